"""Run the whole bot: train a model if none is current, start shop API + action server + Rasa.

    python -m bot.stack shell   # services in the background, `rasa shell` in this terminal
    python -m bot.stack serve   # services + Rasa HTTP server (REST, socket.io) + web chat page
    python -m bot.stack train   # only train when config/domain/data changed

The shop API key and the Rasa HTTP API token come from the environment (SHOP_API_KEY,
RASA_AUTH_TOKEN); when unset, a random one is made for this run and shared with the services that
need it, so no secret ever sits in the repository.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import yaml

import rasa_llm
from bot.channels.credentials import write_run_credentials
from bot.environment import PROJECT_ENV
from bot.processes import ManagedProcess
from rasa_llm.shared.hashing import hash_files

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
QUIET_ENV = {**PROJECT_ENV, "PYTHONUNBUFFERED": "1"}
TRAINING_INPUTS = ("config.yml", "domain.yml", "data")
MODEL_NAME = "larkspur"
# Masks emails, phone and card numbers, addresses and secrets in every log line (docs/privacy.md).
LOGGING_CONFIG = ROOT / "bot" / "logging.yml"


def _training_files(root: Path) -> Iterator[Path]:
    for name in TRAINING_INPUTS:
        path = root / name
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        elif path.exists():
            yield path


def training_fingerprint(root: Path = ROOT) -> str:
    """Hash of everything `rasa train` reads, to skip training when the model is current.

    The archive names each component by its module (`rasa_llm.nlu.intent_classifier...`), so a
    component that moves makes the model stale too.
    """
    inputs = hash_files(_training_files(root), name=lambda path: str(path.relative_to(root)))
    return f"{inputs}:{hashlib.sha256(repr(sorted(rasa_llm._MODULES.items())).encode()).hexdigest()[:16]}"


def rasa_train_command(out: Path, model_name: str) -> list[str]:
    """`rasa train` of the bot in the working directory (its TRAINING_INPUTS) into `out`/`model_name`."""
    return [PYTHON, "-m", "rasa", "train", "--config", "config.yml", "--domain", "domain.yml",
            "--data", "data", "--out", str(out), "--fixed-model-name", model_name]


def ensure_model(root: Path = ROOT, models_dir: Path | None = None, force: bool = False) -> Path:
    """Path of a model trained on the current inputs; runs `rasa train` only when inputs changed."""
    models_dir = models_dir or root / "models"
    model = models_dir / f"{MODEL_NAME}.tar.gz"
    stamp = models_dir / f"{MODEL_NAME}.fingerprint"
    fingerprint = training_fingerprint(root)
    if not force and model.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return model
    print(f"stack: training a model into {model} (a few minutes on 2 cores)", flush=True)
    subprocess.run(
        rasa_train_command(models_dir, MODEL_NAME), cwd=root, env={**os.environ, **QUIET_ENV}, check=True
    )
    stamp.write_text(fingerprint)
    return model


@dataclass
class StackSettings:
    """Where each service listens and keeps its state; defaults are the documented local ports."""

    run_dir: Path = ROOT / ".run"
    shop_port: int = 8077
    actions_port: int = 5055
    rasa_port: int = 5005
    webchat_port: int = 8080
    shop_api_key: str = field(
        default_factory=lambda: os.environ.get("SHOP_API_KEY") or secrets.token_urlsafe(24)
    )
    rasa_token: str = field(
        default_factory=lambda: os.environ.get("RASA_AUTH_TOKEN") or secrets.token_urlsafe(24)
    )
    shop_db: Path | None = None
    tracker_db: Path | None = None

    def __post_init__(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.shop_db = self.shop_db or self.run_dir / "shop.sqlite3"
        self.tracker_db = self.tracker_db or self.run_dir / "trackers.sqlite3"

    @property
    def shop_url(self) -> str:
        return f"http://127.0.0.1:{self.shop_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def service_env(self) -> dict[str, str]:
        return {**QUIET_ENV, "SHOP_API_URL": self.shop_url, "SHOP_API_KEY": self.shop_api_key}


def write_endpoints(settings: StackSettings, root: Path = ROOT) -> Path:
    """The repo's endpoints.yml with this run's action server port and tracker database."""
    endpoints = yaml.safe_load((root / "endpoints.yml").read_text()) or {}
    endpoints["action_endpoint"] = {"url": f"http://127.0.0.1:{settings.actions_port}/webhook"}
    store = endpoints.get("tracker_store") or {"type": "SQL"}
    endpoints["tracker_store"] = {**store, "dialect": "sqlite", "db": str(settings.tracker_db)}
    path = settings.run_dir / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return path


def backend_processes(settings: StackSettings, root: Path = ROOT) -> list[ManagedProcess]:
    """Shop API and action server: what Rasa needs behind it."""
    env = settings.service_env()
    logs = settings.run_dir / "logs"
    return [
        ManagedProcess(
            "shop API",
            [PYTHON, "-m", "bot.shop_api", "--host", "127.0.0.1", "--port", str(settings.shop_port),
             "--db", str(settings.shop_db)],
            f"{settings.shop_url}/health", logs / "shop_api.log", env=env, cwd=root,
        ),
        ManagedProcess(
            "action server",
            [PYTHON, "-m", "rasa_sdk", "--actions", "actions", "--port", str(settings.actions_port),
             "--logging-config_file", str(LOGGING_CONFIG)],  # rasa_sdk spells the flag with "_"
            f"http://127.0.0.1:{settings.actions_port}/health", logs / "actions.log", env=env, cwd=root,
        ),
    ]


def write_credentials(settings: StackSettings, root: Path = ROOT) -> Path:
    """credentials.yml less the channels whose secrets are unset (Slack without its tokens)."""
    path = settings.run_dir / "credentials.yml"
    for channel, missing in write_run_credentials(root / "credentials.yml", path).items():
        print(f"stack: channel {channel} is off until {', '.join(missing)} is set", flush=True)
    return path


def rasa_server(settings: StackSettings, model: Path, endpoints: Path, root: Path = ROOT) -> ManagedProcess:
    """Rasa's HTTP server with the REST, socket.io and (when configured) Slack channels."""
    return ManagedProcess(
        "rasa",
        [PYTHON, "-m", "rasa", "run", "--model", str(model), "--endpoints", str(endpoints),
         "--credentials", str(write_credentials(settings, root)), "--port", str(settings.rasa_port),
         # One argument: a random token may start with "-", which argparse takes for an option.
         "--interface", "127.0.0.1", "--enable-api", f"--auth-token={settings.rasa_token}",
         "--logging-config-file", str(LOGGING_CONFIG)],
        f"{settings.rasa_url}/", settings.run_dir / "logs" / "rasa.log",
        env=settings.service_env(), cwd=root,
    )


def webchat_server(settings: StackSettings, root: Path = ROOT) -> ManagedProcess:
    return ManagedProcess(
        "web chat",
        [PYTHON, "-m", "bot.webchat", "--port", str(settings.webchat_port), "--rasa-url", settings.rasa_url],
        f"http://127.0.0.1:{settings.webchat_port}/", settings.run_dir / "logs" / "webchat.log",
        env=settings.service_env(), cwd=root,
    )


def start_in(stack: ExitStack, process: ManagedProcess, timeout: float = 300.0) -> ManagedProcess:
    """Start `process` and have `stack` stop it; Rasa's start takes 10-30 s, minutes on a busy machine."""
    print(f"stack: starting {process.name} (log: {process.log_path})", flush=True)
    process.start(timeout)
    stack.callback(process.stop)
    return process


def _wait_while_running(processes: list[ManagedProcess]) -> int:
    try:
        while all(process.running for process in processes):
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    for process in processes:
        if not process.running:
            print(f"stack: {process.name} stopped:\n{process.log_tail()}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=["shell", "serve", "train"], nargs="?", default="shell")
    parser.add_argument("--retrain", action="store_true", help="train even when the inputs did not change")
    args = parser.parse_args(argv)
    os.environ.update(QUIET_ENV)
    os.chdir(ROOT)

    model = ensure_model(force=args.retrain)
    if args.mode == "train":
        print(f"stack: model {model} is current")
        return 0
    settings = StackSettings()
    endpoints = write_endpoints(settings)
    with ExitStack() as stack:
        services = [start_in(stack, process) for process in backend_processes(settings)]
        if args.mode == "shell":
            shell = [PYTHON, "-m", "rasa", "shell", "--model", str(model), "--endpoints", str(endpoints),
                     "--credentials", str(write_credentials(settings)), "--port", str(settings.rasa_port),
                     "--logging-config-file", str(LOGGING_CONFIG)]
            return subprocess.run(shell, env={**os.environ, **settings.service_env()}).returncode
        services.append(start_in(stack, rasa_server(settings, model, endpoints)))
        services.append(start_in(stack, webchat_server(settings)))
        print(f"stack: web chat on http://127.0.0.1:{settings.webchat_port}/ ; REST on "
              f"{settings.rasa_url}/webhooks/rest/webhook ; Ctrl-C stops everything", flush=True)
        return _wait_while_running(services)

if __name__ == "__main__":
    sys.exit(main())
