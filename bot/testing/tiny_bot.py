"""A tiny bot with the fallback (bot/testing/tiny_bot/), trained and served on loopback.

Used by the end-to-end test and by benchmarks/fallback_concurrency.py: greetings, thanks and
goodbyes have rules; everything else falls back to `utter_knowledge_answer`.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from bot.environment import PROJECT_ENV
from bot.processes import ManagedProcess
from bot.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
BOT_TEMPLATE = Path(__file__).resolve().parent / "tiny_bot"
KNOWLEDGE = ROOT / "data" / "knowledge"
ENV = {**PROJECT_ENV, "PYTHONPATH": str(ROOT)}


def prepare_bot(folder: Path) -> Path:
    """Copy the tiny bot and the knowledge base into `folder` (so a test may edit its copy)."""
    shutil.copytree(BOT_TEMPLATE, folder, dirs_exist_ok=True)
    shutil.copytree(KNOWLEDGE, folder / "knowledge", dirs_exist_ok=True)
    return folder


def train(folder: Path, name: str) -> tuple[Path, str]:
    """`rasa train` in `folder` (Rasa's graph cache lives there too); the model and the log."""
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--fixed-model-name", name, "--out", "models"],
        cwd=folder, env={**os.environ, **ENV}, capture_output=True, text=True, timeout=900,
    )
    if result.returncode != 0:
        raise RuntimeError(f"rasa train failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return folder / "models" / f"{name}.tar.gz", result.stdout + result.stderr


def write_endpoints(folder: Path, **nlg: Any) -> Path:
    path = folder / "endpoints.test.yml"
    path.write_text(yaml.safe_dump({"nlg": {"type": "rasa_llm.KnowledgeAnswerNLG", **nlg}}))
    return path


def rasa_server(folder: Path, model: Path, endpoints: Path) -> tuple[ManagedProcess, str]:
    """Rasa's HTTP server (REST channel) for the model; started by the caller."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = ManagedProcess(
        "rasa",
        [sys.executable, "-m", "rasa", "run", "--model", str(model), "--endpoints", str(endpoints),
         "--port", str(port), "--interface", "127.0.0.1", "--enable-api"],
        f"{url}/", folder / "rasa.log", env=ENV, cwd=folder,
    )
    return process, url

