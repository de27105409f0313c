"""The web chat page's static server: a fixed set of files, Rasa's address, safe headers."""
from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from bot.webchat import server as webchat
from bot.webchat.server import WebChatConfig, WebChatSetupError, make_server


@pytest.fixture()
def base_url() -> Iterator[str]:
    httpd = make_server(WebChatConfig("http://127.0.0.1:5005"), port=0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_page_and_its_scripts_are_served_from_this_server(base_url: str):
    status, headers, body = get(base_url + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    references = re.findall(rb'(?:src|href)="([^"]+)"', body)
    assert b"vendor/socket.io.min.js" in references
    assert all(not re.match(rb"(https?:)?//", reference) for reference in references), references
    status, headers, body = get(base_url + "/vendor/socket.io.min.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and b"Socket.IO" in body


def test_page_learns_rasas_address_from_config(base_url: str):
    status, _, body = get(base_url + "/config.json")
    assert status == 200
    assert json.loads(body) == {"rasaUrl": "http://127.0.0.1:5005", "socketPath": "/socket.io"}


def test_only_rasa_may_be_contacted_and_scripts_come_from_self(base_url: str):
    _, headers, _ = get(base_url + "/")
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self' http://127.0.0.1:5005 ws://127.0.0.1:5005" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/server.py",
        "/../server.py",
        "/%2e%2e/server.py",
        "/node_modules/socket.io-client/package.json",
        "/package.json",
        "/index.html/../server.py",
    ],
)
def test_files_outside_the_page_are_not_served(base_url: str, path: str):
    status, _, body = get(base_url + path)
    assert status == 404 and b"import" not in body


@pytest.mark.parametrize("url", ["127.0.0.1:5005", "ftp://127.0.0.1", "http://", "http://127.0.0.1:5005/api",
                                 "javascript:alert(1)"])
def test_bad_rasa_urls_are_refused(url: str):
    with pytest.raises(WebChatSetupError):
        WebChatConfig(url)


def test_missing_npm_packages_are_named_with_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setattr(webchat, "SOCKET_IO_CLIENT", tmp_path / "socket.io.min.js")
    with pytest.raises(WebChatSetupError, match="npm ci --prefix bot/webchat"):
        make_server(WebChatConfig("http://127.0.0.1:5005"), port=0)
