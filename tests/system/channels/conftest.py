"""The bot on loopback for the channel tests, its Slack channel pointed at a fake Slack Web API.

Shop API, action server, Rasa (with the repository's credentials.yml) and the web chat page are the
real ones, started once per test session; only Slack's side is faked.
"""
from __future__ import annotations

import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.channels.credentials import write_run_credentials
from bot.processes import ManagedProcess
from bot.stack import (
    ROOT,
    StackSettings,
    backend_processes,
    ensure_model,
    start_in,
    webchat_server,
    write_endpoints,
)
from bot.testing import free_port
from tests.system.channels.fake_slack import FakeSlack

ARTIFACTS = ROOT / "tests" / "artifacts"
DOMAIN = ROOT / "domain.yml"
SLACK_CHANNEL_KEY = "bot.channels.slack.SlackInput"


@dataclass
class ChannelsStack:
    settings: StackSettings
    model: Path
    endpoints: Path
    credentials: Path
    slack: FakeSlack
    slack_token: str
    slack_signing_secret: str

    @property
    def webchat_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.webchat_port}/"

    @property
    def slack_webhook(self) -> str:
        return f"{self.settings.rasa_url}/webhooks/slack/webhook"

    def rasa_env(self) -> dict[str, str]:
        """Environment for a Rasa process reading the run's credentials (Slack secrets included)."""
        return {**self.settings.service_env(), "SLACK_BOT_TOKEN": self.slack_token,
                "SLACK_SIGNING_SECRET": self.slack_signing_secret}


def rasa_with_credentials(stack: ChannelsStack) -> ManagedProcess:
    settings = stack.settings
    return ManagedProcess(
        "rasa",
        [
            sys.executable,
            "-m",
            "rasa",
            "run",
            "--model",
            str(stack.model),
            "--endpoints",
            str(stack.endpoints),
            "--credentials",
            str(stack.credentials),
            "--port",
            str(settings.rasa_port),
            "--interface",
            "127.0.0.1",
            "--enable-api",
            f"--auth-token={settings.rasa_token}",
        ],
        f"{settings.rasa_url}/",
        settings.run_dir / "logs" / "rasa.log",
        env=stack.rasa_env(),
        cwd=ROOT,
    )


@pytest.fixture(scope="session")
def channels_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChannelsStack]:
    run_dir = tmp_path_factory.mktemp("channels")
    settings = StackSettings(
        run_dir=run_dir, shop_port=free_port(), actions_port=free_port(), rasa_port=free_port(),
        webchat_port=free_port(),
    )
    with FakeSlack() as slack, ExitStack() as services:
        stack = ChannelsStack(
            settings=settings, model=ensure_model(), endpoints=write_endpoints(settings),
            credentials=run_dir / "credentials.yml", slack=slack,
            slack_token="xoxb-" + secrets.token_hex(8), slack_signing_secret=secrets.token_hex(16),
        )
        left_out = write_run_credentials(
            ROOT / "credentials.yml",
            stack.credentials,
            environ={
                "SLACK_BOT_TOKEN": stack.slack_token,
                "SLACK_SIGNING_SECRET": stack.slack_signing_secret,
            },
            overrides={SLACK_CHANNEL_KEY: {"slack_api_url": slack.api_url}},
        )
        assert not left_out, f"credentials.yml needs variables the tests do not set: {left_out}"
        for process in backend_processes(settings):
            start_in(services, process)
        start_in(services, rasa_with_credentials(stack), timeout=420)
        start_in(services, webchat_server(settings))
        yield stack


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests leave files for a person to look at (screenshots); not tracked by git."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def domain_texts() -> Callable[[str], set[str]]:
    """The message texts a domain response can produce (each variation, split into messages as
    the channels split it on blank lines)."""
    responses = (yaml.safe_load(DOMAIN.read_text()) or {}).get("responses", {})

    def texts(response: str) -> set[str]:
        return {
            part.strip()
            for variation in responses[response]
            for part in str(variation.get("text", "")).strip().split("\n\n")
            if part.strip()
        }

    return texts
