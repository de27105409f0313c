"""The project's environment block (`bot/environment.env`), for the Python processes that need it."""
from __future__ import annotations

import os
from pathlib import Path

ENV_FILE = Path(__file__).with_name("environment.env")


def _read(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    return {key.strip(): value.strip() for key, value in pairs}


PROJECT_ENV = _read(ENV_FILE)


def apply(override: bool = False) -> None:
    """Put the block into this process's environment: over what is set, or only where it is unset."""
    for key, value in PROJECT_ENV.items():
        if override:
            os.environ[key] = value
        else:
            os.environ.setdefault(key, value)
