"""The whole bot on loopback for end-to-end tests: shop API, action server, Rasa, web chat page.

Every service is the real one, started as a subprocess on free ports with a fresh shop database and
tracker store; the model is the reference bot's, trained once and reused while its inputs are unchanged.
"""
from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bot.processes import free_port
from bot.stack import (
    StackSettings,
    backend_processes,
    ensure_model,
    rasa_server,
    start_in,
    webchat_server,
    write_endpoints,
)


@dataclass
class RunningStack:
    settings: StackSettings
    model: Path

    @property
    def rest_url(self) -> str:
        return f"{self.settings.rasa_url}/webhooks/rest/webhook"

    def say(self, sender: str, text: str, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Send one user message through the REST channel; the bot's messages in reply."""
        response = requests.post(self.rest_url, json={"sender": sender, "message": text}, timeout=timeout)
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict[str, Any]:
        response = requests.get(
            f"{self.settings.rasa_url}/conversations/{sender}/tracker",
            params={"token": self.settings.rasa_token}, timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def shop_db(self) -> sqlite3.Connection:
        """Read-only connection to the shop API's database, to check what a conversation changed."""
        connection = sqlite3.connect(f"file:{self.settings.shop_db}?mode=ro", uri=True)
        connection.row_factory = sqlite3.Row
        return connection

    @staticmethod
    def new_sender() -> str:
        return f"test-{uuid.uuid4().hex[:12]}"


def texts(messages: list[dict[str, Any]]) -> str:
    """The bot's reply texts joined, lower-cased, for assertions on content."""
    return "\n".join(message.get("text", "") for message in messages).lower()


@contextmanager
def running_stack(run_dir: Path, with_webchat: bool = False) -> Iterator[RunningStack]:
    model = ensure_model()
    settings = StackSettings(
        run_dir=run_dir, shop_port=free_port(), actions_port=free_port(), rasa_port=free_port(),
        webchat_port=free_port(),
    )
    endpoints = write_endpoints(settings)
    with ExitStack() as stack:
        for process in backend_processes(settings):
            start_in(stack, process)
        start_in(stack, rasa_server(settings, model, endpoints), timeout=420)
        if with_webchat:
            start_in(stack, webchat_server(settings))
        yield RunningStack(settings=settings, model=model)
