"""The run's copy of credentials.yml: channels without their secrets are left out, none leak."""
from __future__ import annotations

from pathlib import Path

import pytest
import rasa.shared.utils.io
import yaml

from bot.channels.credentials import referenced_variables, write_run_credentials
from bot.stack import ROOT

SLACK = "bot.channels.slack.SlackInput"


def test_repository_credentials_take_slack_secrets_from_the_environment():
    channels = yaml.safe_load((ROOT / "credentials.yml").read_text())
    assert referenced_variables(channels) == {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"}
    assert referenced_variables(channels[SLACK]) == {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"}


def test_channels_missing_a_variable_are_left_out(tmp_path: Path):
    target = tmp_path / "credentials.yml"

    left_out = write_run_credentials(ROOT / "credentials.yml", target, environ={"SLACK_BOT_TOKEN": "xoxb-1"})

    assert left_out == {SLACK: ["SLACK_SIGNING_SECRET"]}
    channels = rasa.shared.utils.io.read_config_file(target)  # Rasa's own reader: must not raise
    assert set(channels) == {"rest", "bot.channels.socketio.SocketIOInput"}
    assert channels["bot.channels.socketio.SocketIOInput"]["session_persistence"] is True


def test_secrets_stay_references_that_rasa_expands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "credentials.yml"
    environ = {"SLACK_BOT_TOKEN": "bot-token-for-test", "SLACK_SIGNING_SECRET": "signing-secret"}

    write_run_credentials(ROOT / "credentials.yml", target, environ=environ,
                          overrides={SLACK: {"slack_api_url": "http://127.0.0.1:9/api/"}})

    text = target.read_text()
    assert "bot-token-for-test" not in text and "signing-secret" not in text
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    slack = rasa.shared.utils.io.read_config_file(target)[SLACK]
    assert slack == {"slack_token": "bot-token-for-test", "slack_signing_secret": "signing-secret",
                     "slack_api_url": "http://127.0.0.1:9/api/"}


def test_overrides_for_unknown_channels_are_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="telegram"):
        write_run_credentials(ROOT / "credentials.yml", tmp_path / "c.yml", environ={},
                              overrides={"telegram": {"access_token": "x"}})


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path):
    source = tmp_path / "broken.yml"
    source.write_text("- rest\n- socketio\n")
    with pytest.raises(ValueError, match="must map channel names"):
        write_run_credentials(source, tmp_path / "c.yml", environ={})
