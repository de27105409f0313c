"""`python -m bot.shop_api [--host H] [--port P] [--db PATH] [--products PATH]` (needs SHOP_API_KEY)."""
from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from bot.shop_api.app import create_app
from bot.shop_api.seed import initialise
from bot.shop_api.settings import SettingsError, parse_settings

logger = logging.getLogger("bot.shop_api")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = parse_settings(argv)
    except SettingsError as error:
        print(f"shop API: {error}", file=sys.stderr)
        return 2
    app = create_app(settings)  # also configures logging, so seeding below is logged
    try:
        seeded = initialise(settings.db_path, settings.products_path)
    except (ValueError, RuntimeError) as error:
        print(f"shop API: {error}", file=sys.stderr)
        return 1
    if not seeded:
        logger.info("Using the existing shop database at %s", settings.db_path)
    app.run(host=settings.host, port=settings.port, workers=1, access_log=True, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
