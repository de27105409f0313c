"""Serve the web chat page and its socket.io client from this folder, nothing else.

The page is static; the only thing it learns from the server is where Rasa is (`/config.json`),
so one build of the page works against any Rasa URL. Files are served from a fixed table, never by
mapping URL paths onto the disk, so no request can reach a file outside that table.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

PAGE_DIR = Path(__file__).resolve().parent
SOCKET_IO_CLIENT = PAGE_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
DEFAULT_SOCKET_PATH = "/socket.io"


class WebChatSetupError(RuntimeError):
    """The page cannot be served as configured (bad Rasa URL, npm packages not installed)."""


@dataclass(frozen=True)
class WebChatConfig:
    """What the page needs to reach Rasa's socketio channel."""

    rasa_url: str
    socket_path: str = DEFAULT_SOCKET_PATH

    def __post_init__(self) -> None:
        parts = urlsplit(self.rasa_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise WebChatSetupError(
                f"--rasa-url must be an http(s) URL like http://127.0.0.1:5005, got {self.rasa_url!r}"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise WebChatSetupError(
                f"--rasa-url must be Rasa's origin only (scheme, host, port), got {self.rasa_url!r}"
            )
        if not self.socket_path.startswith("/"):
            raise WebChatSetupError(f"--socket-path must start with '/', got {self.socket_path!r}")

    @property
    def origin(self) -> str:
        parts = urlsplit(self.rasa_url)
        return f"{parts.scheme}://{parts.netloc}"

    def content_security_policy(self) -> str:
        # The page may load code only from this server and talk only to Rasa (HTTP long-polling
        # first, then the websocket upgrade).
        parts = urlsplit(self.rasa_url)
        websocket = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
        return (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
            f"connect-src 'self' {self.origin} {websocket}; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )


def _routes(config: WebChatConfig) -> dict[str, tuple[str, bytes]]:
    """URL path -> (content type, body), read once at start-up."""
    if not SOCKET_IO_CLIENT.is_file():
        raise WebChatSetupError(
            f"{SOCKET_IO_CLIENT} is missing: install the page's npm packages with "
            "`npm ci --prefix bot/webchat` (or run `bash bot/setup_test_deps.sh`)."
        )
    page_config = json.dumps({"rasaUrl": config.origin, "socketPath": config.socket_path}).encode()
    index = (PAGE_DIR / "index.html").read_bytes()
    return {
        "/": ("text/html; charset=utf-8", index),
        "/index.html": ("text/html; charset=utf-8", index),
        "/chat.css": ("text/css; charset=utf-8", (PAGE_DIR / "chat.css").read_bytes()),
        "/chat.js": ("text/javascript; charset=utf-8", (PAGE_DIR / "chat.js").read_bytes()),
        "/vendor/socket.io.min.js": ("text/javascript; charset=utf-8", SOCKET_IO_CLIENT.read_bytes()),
        "/config.json": ("application/json", page_config),
    }


def make_server(config: WebChatConfig, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    """An HTTP server for the page, bound but not yet serving (call `serve_forever`)."""
    routes = _routes(config)
    security_policy = config.content_security_policy()

    class WebChatHandler(BaseHTTPRequestHandler):
        server_version = "LarkspurWebChat"
        sys_version = ""

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._answer(include_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(include_body=False)

        def _answer(self, include_body: bool) -> None:
            route = routes.get(urlsplit(self.path).path)
            if route is None:
                content_type, body = "text/plain; charset=utf-8", b"Not found\n"
                self.send_response(HTTPStatus.NOT_FOUND)
            else:
                content_type, body = route
                self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", security_policy)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if include_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (base signature)
            logger.info("%s %s", self.address_string(), format % args)

    return ThreadingHTTPServer((host, port), WebChatHandler)
