"""A run's copy of credentials.yml holding only the channels it can open.

Rasa refuses to start when a `${VAR}` in credentials.yml is unset, so a bot run without Slack
secrets would not start at all. The copy leaves such channels out (and says which), keeps every
`${VAR}` reference as it is, so no secret is ever written to disk, and can add run-specific
settings such as a test's fake Slack API URL.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ENV_REFERENCE = re.compile(r"\$\{([^}]+)\}")


def referenced_variables(value: Any) -> set[str]:
    """Names of the environment variables that `${VAR}` references in a YAML value point to."""
    if isinstance(value, str):
        return set(ENV_REFERENCE.findall(value))
    if isinstance(value, dict):
        return set().union(*(referenced_variables(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(referenced_variables(item) for item in value))
    return set()


def write_run_credentials(
    source: Path,
    target: Path,
    environ: Mapping[str, str] = os.environ,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, list[str]]:
    """Write `source` to `target` without the channels whose variables are unset in `environ`.

    `overrides` maps a channel key of the file to settings merged into that channel. Returns, for
    each channel left out, the variables it is missing.
    """
    channels = yaml.safe_load(Path(source).read_text()) or {}
    if not isinstance(channels, dict):
        raise ValueError(f"{source} must map channel names to their settings")
    left_out: dict[str, list[str]] = {}
    kept: dict[str, Any] = {}
    for name, settings in channels.items():
        missing = sorted(var for var in referenced_variables(settings) if not environ.get(var))
        if missing:
            left_out[name] = missing
            continue
        extra = (overrides or {}).get(name)
        kept[name] = {**(settings or {}), **extra} if extra else settings
    unknown = set(overrides or {}) - set(channels)
    if unknown:
        raise ValueError(f"overrides name channels that {source} does not configure: {sorted(unknown)}")
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    # PyYAML writes `${VAR}` as a plain scalar, which is what Rasa expands; a quoted one it would not
    Path(target).write_text(yaml.safe_dump(kept, sort_keys=False))
    return left_out
