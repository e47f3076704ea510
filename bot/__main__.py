"""Run the gateway: ``python -m bot`` (configuration from the environment, see README)."""

from __future__ import annotations

import logging
import sys

from bot.app import create_app
from bot.routing.config import RoutingConfigError, load_routing
from bot.settings import ConfigError, Settings


def main() -> int:
    """Start the gateway in this process until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        routing = load_routing(settings.routing_file)
    except (ConfigError, RoutingConfigError) as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    app = create_app(settings, routing=routing)
    app.run(host=settings.host, port=settings.port, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
