"""Start the real shop API on loopback with a fresh, freshly seeded database, for any test that needs it.

    from tests.support.shop_api import start_shop_api

    with start_shop_api(tmp_path) as api:
        response = requests.post(
            f"{api.base_url}/v1/orders/ORD-10003/lookup",
            json={"email": "john.smith@example.com"},
            headers=api.headers,
        )
        with api.db() as db:  # read-only, to check what a request changed
            db.execute("SELECT status FROM orders WHERE order_id = 'ORD-10003'").fetchone()

`api.env` holds SHOP_API_URL and SHOP_API_KEY for a client started as a subprocess (action server).
Without `with`, call `api.stop()` when done. The server's log is `api.log_path`.
"""
from __future__ import annotations

import secrets
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.environment import PROJECT_ENV
from bot.processes import ManagedProcess
from bot.testing import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
# free_port() can lose its port to another process before the server binds it: try a new one.
START_ATTEMPTS = 3


@dataclass
class RunningShopApi:
    base_url: str
    api_key: str
    db_path: Path
    process: ManagedProcess

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}

    @property
    def env(self) -> dict[str, str]:
        return {"SHOP_API_URL": self.base_url, "SHOP_API_KEY": self.api_key}

    @property
    def log_path(self) -> Path:
        return self.process.log_path

    @contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection to the server's SQLite file (rows as sqlite3.Row), closed on exit."""
        connection = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        connection.row_factory = sqlite3.Row
        try:
            yield connection
        finally:
            connection.close()

    def stop(self) -> None:
        self.process.stop()

    def __enter__(self) -> RunningShopApi:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_shop_api(tmp_path: Path, timeout: float = 60.0, api_key: str | None = None) -> RunningShopApi:
    """Start `python -m bot.shop_api` with its database and log in `tmp_path`; return once /health answers."""
    api_key = api_key or secrets.token_urlsafe(24)
    db_path = Path(tmp_path) / "shop.sqlite3"
    for attempt in range(1, START_ATTEMPTS + 1):
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        process = ManagedProcess(
            "shop API",
            [
                sys.executable,
                "-m",
                "bot.shop_api",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--db",
                str(db_path),
            ],
            f"{base_url}/health",
            Path(tmp_path) / f"shop_api.{attempt}.log",
            env={**PROJECT_ENV, "SHOP_API_KEY": api_key},
            cwd=REPO_ROOT,
        )
        try:
            process.start(timeout=timeout)
        except RuntimeError:
            if "address already in use" not in process.log_tail().lower():
                raise
            continue
        return RunningShopApi(base_url=base_url, api_key=api_key, db_path=db_path, process=process)
    raise RuntimeError(f"the shop API found no free port in {START_ATTEMPTS} attempts; logs in {tmp_path}")
