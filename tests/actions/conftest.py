"""Fixtures for the action tests: the real shop API on loopback, and the action server's view of it.

Actions read SHOP_API_URL / SHOP_API_KEY at call time, so pointing the environment at a server is all
it takes; `down_api` points it at a loopback port nobody listens on.
"""
from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator

import pytest

from bot.testing import free_port
from tests.support.shop_api import RunningShopApi


@pytest.fixture
def api(shop_api: RunningShopApi, monkeypatch: pytest.MonkeyPatch) -> RunningShopApi:
    for key, value in shop_api.env.items():
        monkeypatch.setenv(key, value)
    return shop_api


@pytest.fixture
def fresh_api(fresh_shop_api: RunningShopApi, monkeypatch: pytest.MonkeyPatch) -> RunningShopApi:
    for key, value in fresh_shop_api.env.items():
        monkeypatch.setenv(key, value)
    return fresh_shop_api


@pytest.fixture
def down_api(monkeypatch: pytest.MonkeyPatch) -> str:
    """The shop API is down: its URL is a loopback port with no listener."""
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SHOP_API_URL", url)
    monkeypatch.setenv("SHOP_API_KEY", "any-key")
    return url


class _SlowHandler(http.server.BaseHTTPRequestHandler):
    delay_s = 3.0

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        time.sleep(self.delay_s)
        body = b'{"status": "too late"}'
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up long ago
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def slow_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A loopback server that answers every request only after the client's timeout has passed."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("SHOP_API_URL", url)
    monkeypatch.setenv("SHOP_API_KEY", "any-key")
    monkeypatch.setenv("SHOP_API_TIMEOUT_S", "0.5")
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
