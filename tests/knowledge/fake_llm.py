"""A fake OpenAI-compatible LLM server on loopback, run on a background thread.

    with FakeLLMServer(reply="You can return items within 30 days of delivery.") as server:
        server.url       # http://127.0.0.1:PORT/v1
        server.requests  # the JSON bodies received
        server.headers   # their headers

`delay` makes it slow (past a reply's timeout), `status` makes it fail, `body` replaces the JSON.
"""
from __future__ import annotations

import asyncio
import threading
from typing import Any

from aiohttp import web


class FakeLLMServer:
    def __init__(self, reply: str = "", delay: float = 0.0, status: int = 200, body: Any = None) -> None:
        self.reply = reply
        self.delay = delay
        self.status = status
        self.body = body
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(await request.json())
        self.headers.append(dict(request.headers))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"error": {"message": "fake failure"}}, status=self.status)
        if self.body is not None:
            return web.Response(text=self.body, content_type="application/json")
        return web.json_response(
            {
                "choices": [{"index": 0, "message": {"role": "assistant", "content": self.reply}}],
                "usage": {"completion_tokens": len(self.reply.split())},
            }
        )

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        # Requests still sleeping in a `delay` end here rather than with the loop.
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
