"""``python -m switchboard.faq_sheet``: see :mod:`switchboard.faq_sheet`."""

import sys

from switchboard.faq_sheet.cli import main

sys.exit(main())
