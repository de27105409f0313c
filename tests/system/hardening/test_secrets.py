"""Secrets come from the environment only: none is written in the repository, and the ones a run
makes up never reach a file the repository would commit."""
import re
import secrets
import subprocess
from pathlib import Path

import pytest

from bot.stack import StackSettings, backend_processes, rasa_server

ROOT = Path(__file__).resolve().parents[3]

# Shapes of real credentials (provider prefixes, private keys) and of a literal assigned to a
# secret-named key in code or configuration. `${VAR}` references do not match.
KEY_LIKE = [
    re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{10,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}"),
    re.compile(r"\bhf_[A-Za-z0-9]{30,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"(?i)\b(?:api[_-]?key|secret|token|password|passwd)\b['\"]?\s*[:=]\s*['\"][A-Za-z0-9_\-+/=]{16,}['\"]"),
]


def repository_files() -> list[Path]:
    """Tracked files and the untracked ones git would add (not ignored)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout
    paths = [ROOT / name for name in listed.decode().split("\0") if name]
    return [path for path in paths if path.is_file()]


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    return None if b"\0" in data[:8192] else data.decode(errors="replace")


def test_no_key_like_string_in_the_repository():
    found = []
    for path in repository_files():
        text = _text(path)
        if text is None:
            continue
        found += [f"{path.relative_to(ROOT)}: {match.group(0)[:24]}..."
                  for pattern in KEY_LIKE for match in pattern.finditer(text)]
    assert not found


def test_the_key_patterns_catch_what_they_are_for():
    # Assembled here so that this file itself holds nothing key-like.
    value = secrets.token_hex(12)
    samples = [
        f'OPENAI_API_KEY="sk-{"proj"}-{value}"',
        f"api_key: '{value}'",
        f"slack_token: xox{'b'}-{value}",
        "-----BEGIN OPENSSH " + "PRIVATE KEY-----",
    ]
    harmless = ["slack_token: ${SLACK_BOT_TOKEN}", "api_key: str", "token = secrets.token_urlsafe(24)"]

    assert all(any(p.search(sample) for p in KEY_LIKE) for sample in samples)
    assert not any(p.search(sample) for p in KEY_LIKE for sample in harmless)


@pytest.mark.slow
def test_the_running_stacks_secrets_are_in_no_repository_file(bot_stack):
    values = [bot_stack.settings.shop_api_key, bot_stack.settings.rasa_token]

    leaked = [str(path.relative_to(ROOT)) for path in repository_files()
              if any(value in (_text(path) or "") for value in values)]
    assert not leaked


def test_a_token_that_starts_with_a_dash_reaches_rasa_as_the_token(tmp_path):
    from rasa.__main__ import create_argument_parser

    # secrets.token_urlsafe starts with "-" once in 64 tokens; as a separate argument Rasa refused it.
    settings = StackSettings(run_dir=tmp_path, rasa_token="-starts-with-a-dash")
    rasa = rasa_server(settings, tmp_path / "model.tar.gz", tmp_path / "endpoints.yml")
    assert rasa.command[1:3] == ["-m", "rasa"]
    assert create_argument_parser().parse_args(rasa.command[3:]).auth_token == "-starts-with-a-dash"


def test_the_launcher_logs_every_service_through_the_redacting_filter(tmp_path):
    settings = StackSettings(run_dir=tmp_path, shop_api_key="k" * 24, rasa_token="t" * 24)
    shop, actions = backend_processes(settings)
    rasa = rasa_server(settings, tmp_path / "model.tar.gz", tmp_path / "endpoints.yml")

    assert "--logging-config-file" in rasa.command and "bot/logging.yml" in " ".join(rasa.command)
    assert "--logging-config_file" in actions.command and "bot/logging.yml" in " ".join(actions.command)
