"""`rasa shell` (output channel "cmdline") shows a knowledge answer's sources as one line of text; the
other channels keep the `custom` payload the web page and Slack render."""
from __future__ import annotations

import asyncio

from rasa_llm.nlg.knowledge_nlg import KnowledgeAnswerNLG
from tests.knowledge.test_components import DOMAIN, _nlg, _tracker


def _generate(nlg: KnowledgeAnswerNLG, channel: str, tracker) -> dict:
    return asyncio.run(
        nlg.generate("utter_knowledge_answer", tracker, channel, domain_responses=DOMAIN.responses)
    )


def test_rasa_shell_gets_the_sources_as_a_line_and_no_payload(served) -> None:
    message = _generate(_nlg(backend="none"), "cmdline", _tracker("how long do refunds take?"))

    assert "custom" not in message
    assert "5–7 business days" in message["text"]
    assert message["text"].splitlines()[-1] == "Sources: Refund timing"


def test_the_other_channels_keep_the_sources_payload(served) -> None:
    for channel in ("rest", "socketio", "slack"):
        message = _generate(_nlg(backend="none"), channel, _tracker("how long do refunds take?"))
        assert "Sources:" not in message["text"]
        assert message["custom"]["sources"] == [{"id": "refund-timing", "title": "Refund timing"}]


def test_an_abstention_in_rasa_shell_has_no_sources_line_but_keeps_its_button(served) -> None:
    message = _generate(_nlg(backend="none"), "cmdline", _tracker("who won the game last night?"))

    assert message["text"] == "Sorry, I'm not sure about that."
    assert message["buttons"] == [{"title": "Talk to a person", "payload": "/contact_human_agent"}]
    assert "custom" not in message
