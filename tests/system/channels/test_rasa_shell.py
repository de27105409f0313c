"""`rasa shell` in a pseudo-terminal: a person types a greeting and reads the bot's reply."""
from __future__ import annotations

import os
import re
import sys

import pexpect

from bot.stack import ROOT
from bot.testing import free_port


def test_greeting_in_rasa_shell_gets_a_reply(channels_stack, domain_texts):
    settings = channels_stack.settings
    greetings = domain_texts("utter_greet")
    shell = pexpect.spawn(
        sys.executable,
        [
            "-m",
            "rasa",
            "shell",
            "--model",
            str(channels_stack.model),
            "--endpoints",
            str(channels_stack.endpoints),
            "--credentials",
            str(channels_stack.credentials),
            "--port",
            str(free_port()),
        ],
        cwd=str(ROOT),
        env={**os.environ, **channels_stack.rasa_env(), "TERM": "xterm"},
        encoding="utf-8",
        codec_errors="replace",
        dimensions=(50, 200),
        timeout=420,
    )
    shell.logfile_read = open(settings.run_dir / "logs" / "rasa_shell.log", "w")
    try:
        shell.expect("Bot loaded. Type a message and press enter")
        shell.expect("Your input ->", timeout=60)
        shell.sendline("hello")
        shell.expect("|".join(re.escape(text) for text in sorted(greetings)), timeout=120)
    finally:
        shell.terminate(force=True)
        shell.logfile_read.close()
