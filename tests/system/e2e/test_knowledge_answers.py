"""The reference bot answers knowledge-base questions over REST with its real retriever, generator and
citations: a reference config that lost its retriever, or a knowledge base that is no longer indexed,
turns these answers into abstentions and fails here.
"""
from __future__ import annotations

import pytest

from bot.testing.stack import texts

pytestmark = pytest.mark.slow

QUESTIONS = [
    # question, the passages that answer it (any one cited), the fact the reply must hold (any one wording)
    ("how long is the warranty on a backpack", ("warranty-gear", "warranty-by-type"),
     ("2-year", "2 year", "two-year", "two year")),
    ("how should I wash my rain jacket", ("care-rain-jacket",), ("fabric softener",)),
]


@pytest.mark.parametrize("question, passages, wordings", QUESTIONS)
def test_a_knowledge_question_is_answered_with_its_fact_and_a_citation(
    bot_stack, question, passages, wordings
):
    messages = bot_stack.say(bot_stack.new_sender(), question, timeout=120)

    customs = [
        m["custom"] for m in messages if isinstance(m.get("custom"), dict) and "sources" in m["custom"]
    ]
    assert len(customs) == 1, f"no knowledge answer in {messages}"
    assert customs[0]["mode"] in ("generated", "extractive")
    assert set(passages) & {source["id"] for source in customs[0]["sources"]}
    reply = texts(messages)
    assert any(wording in reply for wording in wordings), reply
