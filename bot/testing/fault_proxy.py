"""A loopback HTTP proxy that puts faults between the action server and the shop API.

The action server is pointed at the proxy (SHOP_API_URL) instead of the shop API; a test switches
the proxy's mode to make the shop API look slow or broken without touching the real service:
- `pass`: forward every request and its answer unchanged;
- `slow`: wait `delay_s` seconds, then forward (longer than the client's timeout: it gives up first);
- `error`: answer 500 with the shop API's error document, forward nothing;
- `lost_reply`: forward the request (the shop API does the work), then answer 502 as if the reply
  had been lost on the way back: the client cannot tell whether its request took effect.
A fault can be limited to the paths matching a regular expression (`fault(mode, path=...)`).
"""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PASS, SLOW, ERROR, LOST_REPLY = "pass", "slow", "error", "lost_reply"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def _error_document(code: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": "Injected fault."}}).encode()


class FaultProxy:
    def __init__(self, upstream: str, delay_s: float = 8.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.delay_s = delay_s
        self.mode = PASS
        self.path_pattern: re.Pattern[str] | None = None
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
    def fault(self, mode: str, path: str | None = None) -> Iterator[None]:
        """Switch to `mode` (for paths matching `path`) for the block, back to `pass` after it."""
        self.mode, self.path_pattern = mode, re.compile(path) if path else None
        try:
            yield
        finally:
            self.mode, self.path_pattern = PASS, None

    def mode_for(self, path: str) -> str:
        if self.path_pattern is not None and not self.path_pattern.search(path):
            return PASS
        return self.mode

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet: the test output is the report
                pass

            def _relay(self) -> None:
                proxy.requests_seen += 1
                mode = proxy.mode_for(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if mode == ERROR:
                    self._answer(500, _error_document("internal_error"))
                    return
                if mode == SLOW:
                    time.sleep(proxy.delay_s)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                request = urllib.request.Request(proxy.upstream + self.path, data=body or None,
                                                 headers=headers, method=self.command)
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        if mode == LOST_REPLY:
                            self._answer(502, _error_document("bad_gateway"))
                            return
                        self._answer(response.status, response.read(), response.headers.get("Content-Type"))
                except urllib.error.HTTPError as error:
                    self._answer(error.code, error.read(), error.headers.get("Content-Type"))
                except (urllib.error.URLError, OSError):
                    # The shop API itself is down: the client sees its connection dropped.
                    self.close_connection = True

            def _answer(
                self, status: int, body: bytes, content_type: str | None = "application/json"
            ) -> None:
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
