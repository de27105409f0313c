"""The dialogue checks the README gives designers pass on the reference bot's model.

`rasa test core --stories tests/test_stories.yml` predicts every action of every test story with the
trained model (custom actions are not run), and `rasa data validate` finds no story conflicts.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.stack import QUIET_ENV, ROOT, ensure_model


def _rasa(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rasa", *args], cwd=cwd, env={**os.environ, **QUIET_ENV},
        capture_output=True, text=True, timeout=900,
    )


@pytest.mark.timeout(900)
def test_every_test_story_is_predicted_exactly(tmp_path: Path):
    model = ensure_model()
    result = _rasa("test", "core", "--stories", "tests/test_stories.yml", "--model", str(model),
                   "--out", str(tmp_path), "--no-plot")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text()
    assert "predicted:" not in failed, failed[-3000:]


@pytest.mark.timeout(600)
def test_the_training_data_has_no_story_conflicts():
    result = _rasa("data", "validate", "stories", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
