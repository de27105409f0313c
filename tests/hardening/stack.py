"""The whole bot on loopback with every service in the test's hands, for fault and privacy tests.

Built from the launcher's own pieces (bot/stack.py, which logs every service through the redacting
filter of bot/logging.yml), with three differences from the shared `bot_stack` fixture: the action
server reaches the shop API through a `FaultProxy`; Rasa logs at debug level, so that user messages
do reach the log and the masking is tested, not just assumed; the processes are exposed, so a test
can stop and restart any of them.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.processes import ManagedProcess, free_port
from bot.stack import (
    StackSettings,
    backend_processes,
    ensure_model,
    rasa_server,
    start_in,
    write_endpoints,
)
from tests.hardening.fault_proxy import FaultProxy
from tests.support.stack import RunningStack

RASA_START_TIMEOUT_S = 420.0


def rasa_instance(settings: StackSettings, model: Path, endpoints: Path, name: str = "rasa") -> ManagedProcess:
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
    settings = StackSettings(run_dir=run_dir, shop_port=free_port(), actions_port=free_port(),
                             rasa_port=free_port(), webchat_port=free_port())
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
