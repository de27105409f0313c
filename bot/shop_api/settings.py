"""Where the shop API finds its key, database and catalogue: environment first, then CLI flags."""
from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_DB_PATH = PACKAGE_DIR / "shop.sqlite3"
DEFAULT_PRODUCTS_PATH = PACKAGE_DIR.parents[1] / "data" / "knowledge" / "products.yml"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8077


class SettingsError(ValueError):
    """A setting is missing or unusable; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    api_key: str
    db_path: Path
    products_path: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    def __repr__(self) -> str:  # keeps the key out of any log or traceback that prints settings
        return (
            f"Settings(api_key='***', db_path={str(self.db_path)!r}, "
            f"products_path={str(self.products_path)!r},"
            f" host={self.host!r}, port={self.port})"
        )


def parse_settings(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        prog="python -m bot.shop_api",
        description="Larkspur Outfitters shop API (needs SHOP_API_KEY in the environment).",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default %(default)s)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port to listen on (default %(default)s)"
    )
    parser.add_argument(
        "--db", type=Path, help="SQLite file, created and seeded if missing (env SHOP_DB_PATH)"
    )
    parser.add_argument("--products", type=Path, help="product catalogue YAML (env SHOP_PRODUCTS_PATH)")
    args = parser.parse_args(argv)

    api_key = environ.get("SHOP_API_KEY", "").strip()
    if not api_key:
        raise SettingsError(
            "SHOP_API_KEY is not set: export a secret key (e.g. `export SHOP_API_KEY=$(openssl rand -hex "
            "24)`) "
            "and give the same value to the action server."
        )
    db_path = args.db or Path(environ.get("SHOP_DB_PATH") or DEFAULT_DB_PATH)
    products_path = args.products or Path(environ.get("SHOP_PRODUCTS_PATH") or DEFAULT_PRODUCTS_PATH)
    if not 0 < args.port < 65536:
        raise SettingsError(f"--port must be between 1 and 65535, not {args.port}")
    return Settings(
        api_key=api_key, db_path=db_path, products_path=products_path, host=args.host, port=args.port
    )
