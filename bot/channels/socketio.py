"""Rasa's socketio channel, with custom payloads delivered as one `bot_uttered` event.

Rasa 3.6's `SocketIOOutput.send_custom_json` passes the payload's keys to `AsyncServer.emit` as
keyword arguments, so a payload such as the knowledge answer's `{"sources": [...], "mode": ...}`
raises a TypeError and never reaches the page. Here it arrives as `{"custom": {...}}`.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels import socketio as rasa_socketio
from sanic import Blueprint


class SocketIOOutput(rasa_socketio.SocketIOOutput):
    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class SocketIOInput(rasa_socketio.SocketIOInput):
    """Rasa's socketio input channel; only the output channel of each message differs."""

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return super().get_output_channel()  # warns that it cannot be recreated
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # Rasa's handler builds its own output channel inside the blueprint; swap it on the way
        # in rather than copying the whole handler.
        async def with_custom_payloads(message: UserMessage) -> Any:
            message.output_channel = SocketIOOutput(self.sio, self.bot_message_evt)
            return await on_new_message(message)

        return super().blueprint(with_custom_payloads)
