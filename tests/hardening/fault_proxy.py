"""A loopback HTTP proxy that puts faults between the action server and the shop API.

The action server is pointed at the proxy (SHOP_API_URL) instead of the shop API; a test switches
the proxy's mode to make the shop API look slow or broken without touching the real service:
- `pass`: forward every request and its answer unchanged;
- `slow`: wait `delay_s` seconds, then forward (longer than the client's timeout: it gives up first);
- `error`: answer 500 with the shop API's error document, forward nothing.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PASS, SLOW, ERROR = "pass", "slow", "error"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class FaultProxy:
    def __init__(self, upstream: str, delay_s: float = 8.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.delay_s = delay_s
        self.mode = PASS
        self.requests_seen = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @contextmanager
    def fault(self, mode: str) -> Iterator[None]:
        """Switch to `mode` for the block, back to `pass` after it whatever happens."""
        self.mode = mode
        try:
            yield
        finally:
            self.mode = PASS

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet: the test output is the report
                pass

            def _relay(self) -> None:
                proxy.requests_seen += 1
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy.mode == ERROR:
                    self._answer(500, json.dumps({"error": {"code": "internal_error",
                                                            "message": "Injected fault."}}).encode())
                    return
                if proxy.mode == SLOW:
                    time.sleep(proxy.delay_s)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                request = urllib.request.Request(proxy.upstream + self.path, data=body or None,
                                                 headers=headers, method=self.command)
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        self._answer(response.status, response.read(), response.headers.get("Content-Type"))
                except urllib.error.HTTPError as error:
                    self._answer(error.code, error.read(), error.headers.get("Content-Type"))
                except (urllib.error.URLError, OSError):
                    # The shop API itself is down: the client sees its connection dropped.
                    self.close_connection = True

            def _answer(self, status: int, body: bytes, content_type: str | None = "application/json") -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type or "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the `slow` fault): nobody to answer

            do_GET = do_POST = _relay

        return Handler
