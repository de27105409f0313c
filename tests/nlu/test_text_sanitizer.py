"""TextSanitizer: the NLU pipeline reads valid Unicode and at most `max_characters` of a message."""
from pathlib import Path

import pytest
import yaml
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_llm.nlu.text_sanitizer import TextSanitizer, cut_text, sanitize_text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("where is my order", "where is my order"),
        ("where is my orders now", "where is my orders"),  # cut at a space in the last tenth
        ("where is my order now", "where is my order no"),  # the last space is further back: hard cut
        ("x" * 30, "x" * 20),  # no space near the end: cut hard
        ("", ""),
    ],
)
def test_cut_text(text, expected):
    assert cut_text(text, 20) == expected


def test_lone_surrogates_become_replacement_characters():
    # What json.loads('"\\ud800 hello"') gives: a str that Rust tokenizers refuse.
    assert sanitize_text("\ud800 hello \udfff", 100) == "\ufffd hello \ufffd"
    assert sanitize_text("emoji 📦 stay", 100) == "emoji 📦 stay"


def test_the_pipeline_reads_the_sanitised_text_and_other_messages_pass_unchanged():
    sanitizer = TextSanitizer(max_characters=50)
    long, short = Message(data={TEXT: "where is my order? " * 5000}), Message(data={TEXT: "hi"})

    sanitizer.process([long, short])

    assert len(long.get(TEXT)) <= 50 and long.get(TEXT).startswith("where is my order?")
    assert short.get(TEXT) == "hi"


@pytest.mark.parametrize("value", [0, -5, "2000"])
def test_a_wrong_limit_is_a_configuration_error(value):
    with pytest.raises(InvalidConfigException, match="max_characters"):
        TextSanitizer(max_characters=value)


def test_the_reference_bot_sanitises_the_text_before_anything_else_reads_it():
    pipeline = yaml.safe_load((Path(__file__).resolve().parents[2] / "config.yml").read_text())["pipeline"]

    assert pipeline[0]["name"].endswith("TextSanitizer")
