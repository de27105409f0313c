"""A fake Slack Web API on loopback that records what the bot posts, and how to sign Slack events.

Only `chat.postMessage` is answered (the one method Rasa's Slack connector calls); every post is
kept with the bearer token it came with, so a test can assert on what reached "Slack".
"""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def slack_signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """The X-Slack-Signature Slack sends: HMAC-SHA256 of `v0:<timestamp>:<body>`."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(signing_secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(signing_secret, stamp, body),
    }


def message_event(text: str, user: str = "U0TESTUSER", channel: str = "D0TESTDM") -> dict[str, Any]:
    """An Events API `message` event from a direct message to the bot."""
    ts = f"{time.time():.6f}"
    return {
        "team_id": "T0TEST",
        "api_app_id": "A0TEST",
        "type": "event_callback",
        "event_id": f"Ev{int(time.time() * 1000)}",
        "event_time": int(time.time()),
        "authorizations": [{"user_id": "U0BOTUSER", "is_bot": True}],
        "event": {"type": "message", "channel_type": "im", "channel": channel, "user": user,
                  "text": text, "ts": ts, "event_ts": ts},
    }


class FakeSlack:
    """`with FakeSlack() as slack:` serves on `slack.api_url` and collects `slack.posts`."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/api/"

    def posted_to(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [post for post in self.posts if post["body"].get("channel") == channel]

    def wait_for_posts(self, channel: str, count: int = 1, timeout: float = 60.0) -> list[dict[str, Any]]:
        """At least `count` posts to `channel` (or as many as arrived when `timeout` ran out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.posted_to(channel)) < count:
            time.sleep(0.1)
        return self.posted_to(channel)

    def _handler(self) -> type:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/api/chat.postMessage":
                    self._reply({"ok": False, "error": "unknown_method"})
                    return
                body = json.loads(raw or b"{}")
                with fake._lock:
                    fake.posts.append({"token": self.headers.get("Authorization"), "body": body})
                self._reply({"ok": True, "channel": body.get("channel"), "ts": f"{time.time():.6f}"})

            def _reply(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass  # the test asserts on `posts`; request lines would only clutter its output

        return Handler

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
