"""FAQ spreadsheet round trip: content editors edit FAQ questions and answers in a CSV.

    python -m switchboard.faq_sheet export [--out PATH]        # default reports/faq.csv
    python -m switchboard.faq_sheet import FILE [--dry-run]
    python -m switchboard.faq_sheet --root DIR export|import …  # another checkout's data/, domain/

The CSV has the columns ``topic,language,questions,answer``: one row per (topic, language),
topics in ``domain/faq.yml`` order, languages in ``LANGUAGES`` order, the questions one per
line inside their cell. It is UTF-8 with a byte-order mark, so that Excel shows Chinese and
Ukrainian correctly (see :mod:`switchboard.faq_sheet.sheet`).

``import`` validates the whole sheet first (every error with its ``file:line`` and a fix; on
any error nothing is written and the exit status is 2), prints one summary line per changed
(topic, language), then a unified diff of each YAML file that changes, then writes them
(``--dry-run``: writes nothing). Exit status: 0 done (or nothing to do), 2 invalid sheet or a
YAML shape the sheet cannot hold, 1 internal error (the edited YAML failed its re-check). A row's questions replace that language's ``examples:``
block; its answer replaces the ``text:`` of that language's variation. Everything else stays
byte-for-byte as it was: the files are edited by replacing the changed values' spans only
(an unchanged sheet changes nothing). A topic or language new to the files is appended in
the files' own layout. A topic, or a topic's language, with no row in the sheet is left as
it is and listed as a note: deleting FAQ content is a code change (rules, tests, training
data), not a spreadsheet edit.
"""

from switchboard.faq_sheet.cli import export_faq, import_faq, main

__all__ = ["export_faq", "import_faq", "main"]
