"""The whole bot on loopback for system tests and benchmarks: shop API, action server, Rasa, web chat.

Built from the launcher's own pieces (bot/stack.py, which logs every service through the redacting
filter of bot/logging.yml). Every service is the real one, started as a subprocess on free ports with
a fresh shop database and tracker store; the model is the reference bot's, trained once and reused
while its inputs are unchanged.

- `running_stack`: the bot as it runs (the shared `bot_stack` fixture, end-to-end tests).
- `controllable_stack`: for fault and privacy tests, with three differences: the action server
  reaches the shop API through a `FaultProxy`; Rasa logs at debug level, so that user messages do
  reach the log and the masking is tested, not just assumed; the processes are exposed, so a test
  can stop and restart any of them.
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

from bot.processes import ManagedProcess
from bot.stack import (
    StackSettings,
    backend_processes,
    ensure_model,
    rasa_server,
    start_in,
    webchat_server,
    write_endpoints,
)
from bot.testing import free_port
from bot.testing.fault_proxy import FaultProxy

RASA_START_TIMEOUT_S = 420.0


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


def _loopback_settings(run_dir: Path) -> StackSettings:
    return StackSettings(
        run_dir=run_dir, shop_port=free_port(), actions_port=free_port(), rasa_port=free_port(),
        webchat_port=free_port(),
    )


@contextmanager
def running_stack(run_dir: Path, with_webchat: bool = False) -> Iterator[RunningStack]:
    model = ensure_model()
    settings = _loopback_settings(run_dir)
    endpoints = write_endpoints(settings)
    with ExitStack() as stack:
        for process in backend_processes(settings):
            start_in(stack, process)
        start_in(stack, rasa_server(settings, model, endpoints), timeout=RASA_START_TIMEOUT_S)
        if with_webchat:
            start_in(stack, webchat_server(settings))
        yield RunningStack(settings=settings, model=model)


def rasa_instance(
    settings: StackSettings, model: Path, endpoints: Path, name: str = "rasa"
) -> ManagedProcess:
    """A Rasa server as the launcher starts it, logging at debug level to `<name>.log`."""
    process = rasa_server(settings, model, endpoints)
    process.command.append("--debug")
    process.name = name
    process.log_path = settings.run_dir / "logs" / f"{name}.log"
    return process


@dataclass
class ControllableStack:
    running: RunningStack
    shop: ManagedProcess
    actions: ManagedProcess
    rasa: ManagedProcess
    proxy: FaultProxy
    model: Path
    endpoints: Path

    @property
    def settings(self) -> StackSettings:
        return self.running.settings

    @property
    def log_paths(self) -> list[Path]:
        return sorted((self.settings.run_dir / "logs").glob("*.log"))

    @staticmethod
    def restart(process: ManagedProcess, timeout: float = RASA_START_TIMEOUT_S) -> None:
        process.stop()
        process.start(timeout)


@contextmanager
def controllable_stack(run_dir: Path) -> Iterator[ControllableStack]:
    model = ensure_model()
    settings = _loopback_settings(run_dir)
    endpoints = write_endpoints(settings)
    with ExitStack() as stack:
        proxy = FaultProxy(settings.shop_url).start()
        stack.callback(proxy.stop)
        shop, actions = backend_processes(settings)
        actions.env["SHOP_API_URL"] = proxy.url
        for process in (shop, actions):
            start_in(stack, process)
        rasa = start_in(stack, rasa_instance(settings, model, endpoints), timeout=RASA_START_TIMEOUT_S)
        yield ControllableStack(RunningStack(settings=settings, model=model), shop, actions, rasa, proxy,
                                model, endpoints)
