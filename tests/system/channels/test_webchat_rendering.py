"""How the page shows each kind of bot message: citations, handoff notice, images, hostile text.

A scripted socket.io server stands in for Rasa, so every message shape the socketio channel can
send is shown exactly, whatever the trained bot currently says.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import socketio
from aiohttp import web
from playwright.sync_api import Page, expect, sync_playwright

from bot.testing import free_port
from bot.webchat.server import WebChatConfig, make_server
from tests.system.channels.browser import PHONE, launch

HOSTILE = '<img src=x onerror="document.title=\'pwned\'">'
SCRIPT: dict[str, list[dict[str, Any]]] = {
    "what is your return policy": [
        {"text": "Unworn items can be returned within 30 days of delivery."},
        {"custom": {"sources": [{"id": "kb-returns", "title": "Returns & exchanges"},
                                {"id": "kb-labels", "title": "Prepaid return labels"}], "mode": "generated"}},
    ],
    "a person please": [
        {"text": "I've passed our conversation to a person from our team (reference HO-40001)."},
        {"custom": {"handoff": True, "handoff_id": "HO-40001"}},
    ],
    "show me something odd": [{"text": HOSTILE}],
}


class ScriptedRasa:
    """A socket.io server speaking the socketio channel's events, answering from SCRIPT."""

    def __init__(self) -> None:
        self.port = free_port()
        self.sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins=[])
        app = web.Application()
        self.sio.attach(app)
        self.runner = web.AppRunner(app)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.sio.on("session_request", self.session_request)
        self.sio.on("user_uttered", self.user_uttered)

    async def session_request(self, sid: str, data: dict[str, Any]) -> None:
        await self.sio.emit("session_confirm", (data or {}).get("session_id") or "0" * 32, room=sid)

    async def user_uttered(self, sid: str, data: dict[str, Any]) -> None:
        for message in SCRIPT.get(data["message"], [{"text": "I don't follow."}]):
            await self.sio.emit("bot_uttered", message, room=sid)

    def __enter__(self) -> ScriptedRasa:
        self.loop.run_until_complete(self.runner.setup())
        self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        async def stop() -> None:
            await self.sio.shutdown()  # its ping tasks first, then the web server
            await self.runner.cleanup()
            # each closed browser's socket leaves a sleeping ping task behind
            leftovers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in leftovers:
                task.cancel()
            await asyncio.gather(*leftovers, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    with ScriptedRasa() as rasa:
        httpd = make_server(WebChatConfig(f"http://127.0.0.1:{rasa.port}"), port=0)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{httpd.server_port}/"
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture()
def page(page_url: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport=PHONE)
        page.goto(page_url)
        expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible(timeout=30_000)
        yield page
        browser.close()


def send(page: Page, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def test_citations_are_listed_under_the_answer(page: Page):
    send(page, "what is your return policy")

    answer = page.locator(".msg--bot").last
    expect(answer.locator(".msg__text")).to_have_text(
        "Unworn items can be returned within 30 days of delivery."
    )
    expect(answer.locator(".sources__label")).to_have_text("Sources")
    expect(answer.locator(".sources__item")).to_have_text(["Returns & exchanges", "Prepaid return labels"])
    expect(page.get_by_text("The assistant is typing…")).to_be_hidden()


def test_handoff_shows_a_notice_and_no_typing_indicator_afterwards(page: Page, artifacts):
    send(page, "what is your return policy")
    send(page, "a person please")

    notice = page.locator(".notice--handoff")
    expect(notice).to_contain_text("handed to our support team")
    expect(notice).to_contain_text("HO-40001")
    page.screenshot(path=str(artifacts / "webchat_citations_handoff_phone.png"))

    send(page, "hello?")
    expect(page.locator(".msg--user").last).to_have_text("You: hello?")
    expect(page.get_by_text("The assistant is typing…")).to_be_hidden()
    page.reload()
    expect(page.locator(".notice--handoff")).to_contain_text("HO-40001")
    expect(page.locator(".sources__item")).to_have_count(2)


def test_bot_text_is_shown_as_text_never_run_as_html(page: Page):
    send(page, "show me something odd")

    expect(page.locator(".msg--bot .msg__text").last).to_have_text(HOSTILE)
    assert page.locator(".msg--bot img").count() == 0
    assert page.title() != "pwned"
