"""Rasa's socketio channel, with three fixes for the web chat page.

- Session persistence works again: Rasa 3.6 calls `AsyncServer.enter_room` without awaiting it,
  and since python-socketio 5.10 that is a coroutine, so the socket never joins its session's room
  and every bot reply is lost.
- A socket speaks only for the session it was confirmed: Rasa takes the `session_id` of every
  `user_uttered` event at its word, so any client could write into (and, by asking for that
  session, read) any conversation, including a Slack user's. Session ids are the 32-hex-digit
  ids this channel hands out; a client may bring back its own after a reload, nothing else.
- Custom payloads arrive as one `bot_uttered` event `{"custom": {...}}`: Rasa passes the payload's
  keys to `emit` as keyword arguments, so the knowledge answer's `{"sources": [...], "mode": ...}`
  raised a TypeError and never reached the page.
"""
from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import Blueprint

logger = logging.getLogger(__name__)

SESSION_ID = re.compile(r"[0-9a-f]{32}")
MAX_MESSAGE_CHARS = 2000
TOO_LONG_REPLY = f"That message is too long for me. Please keep it under {MAX_MESSAGE_CHARS:,} characters."


class SocketIOOutput(rasa_socketio.SocketIOOutput):
    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class SocketIOInput(rasa_socketio.SocketIOInput):
    """Rasa's socketio input channel (same credentials, events and health route)."""

    def get_output_channel(self) -> OutputChannel | None:
        if self.sio is None:
            return super().get_output_channel()  # warns that it cannot be recreated
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        # Registering an event again replaces Rasa's handler for it.

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            if isinstance(requested, str) and SESSION_ID.fullmatch(requested):
                session_id = requested
            else:
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                await sio.save_session(sid, {"session_id": session_id}, namespace=self.namespace)
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                logger.warning("Ignored a socket.io message without a text 'message' field.")
                return
            if self.session_persistence:
                session = await sio.get_session(sid, namespace=self.namespace)
                sender_id = session.get("session_id")
                if sender_id is None:
                    logger.warning("Ignored a socket.io message sent before its session was confirmed.")
                    return
            else:
                sender_id = sid
            output_channel = SocketIOOutput(sio, self.bot_message_evt)
            if len(data["message"]) > MAX_MESSAGE_CHARS:
                await output_channel.send_text_message(sender_id, TOO_LONG_REPLY)
                return
            metadata = data.get(self.metadata_key)
            message = UserMessage(
                data["message"],
                output_channel,
                sender_id,
                input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else {},
            )
            await on_new_message(message)

        return blueprint
