"""Rasa's socket.io channel as the page and a hostile client use it, against the running bot."""
from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import requests
import socketio

from bot.channels.socketio import MAX_MESSAGE_CHARS, TOO_LONG_REPLY


class Client:
    """A socket.io client that keeps what the bot sends it.

    It long-polls: python-engineio's websocket transport needs a newer aiohttp than Rasa allows.
    """

    def __init__(self, rasa_url: str) -> None:
        self.rasa_url = rasa_url
        self.sio = socketio.AsyncClient()
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.confirmed: asyncio.Queue[str] = asyncio.Queue()
        self.sio.on("bot_uttered", self.messages.put)
        self.sio.on("session_confirm", self.confirmed.put)

    async def __aenter__(self) -> Client:
        await self.sio.connect(self.rasa_url, transports=["polling"], socketio_path="/socket.io")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        # abort: do not sit out the pending long-poll request (up to 25 s) before returning
        await self.sio.eio.disconnect(abort=True)

    async def start_session(self, session_id: str | None) -> str:
        await self.sio.emit("session_request", {"session_id": session_id})
        return await asyncio.wait_for(self.confirmed.get(), 30)

    async def say(self, text: str, session_id: str) -> dict[str, Any]:
        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id})
        return await asyncio.wait_for(self.messages.get(), 120)


def user_texts(stack, sender: str) -> list[str]:
    response = requests.get(f"{stack.settings.rasa_url}/conversations/{sender}/tracker",
                            params={"token": stack.settings.rasa_token}, timeout=30)
    response.raise_for_status()
    return [event.get("text") for event in response.json()["events"] if event["event"] == "user"]


def test_a_session_id_of_another_channel_is_not_granted(channels_stack):
    async def scenario() -> str:
        async with Client(channels_stack.settings.rasa_url) as client:
            return await client.start_session("U0SLACKUSER")

    granted = asyncio.run(scenario())

    assert re.fullmatch(r"[0-9a-f]{32}", granted)


def test_messages_go_to_the_sockets_own_session_whatever_they_claim(channels_stack):
    victim = uuid.uuid4().hex

    async def scenario() -> tuple[str, dict[str, Any]]:
        async with Client(channels_stack.settings.rasa_url) as client:
            own = await client.start_session(None)
            return own, await client.say("hello", session_id=victim)

    own, reply = asyncio.run(scenario())

    assert reply.get("text")
    assert user_texts(channels_stack, own) == ["hello"]
    assert user_texts(channels_stack, victim) == []


def test_an_over_long_message_gets_a_polite_reply_and_reaches_no_model(channels_stack):
    async def scenario() -> tuple[str, dict[str, Any]]:
        async with Client(channels_stack.settings.rasa_url) as client:
            own = await client.start_session(None)
            return own, await client.say("x" * (MAX_MESSAGE_CHARS + 1), session_id=own)

    own, reply = asyncio.run(scenario())

    assert reply == {"text": TOO_LONG_REPLY}
    assert user_texts(channels_stack, own) == []
