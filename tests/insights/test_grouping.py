"""Grouping with the project's real sentence encoder (the packaged all-MiniLM-L6-v2, ONNX)."""
from __future__ import annotations

from collections import Counter

import pytest

from rasa_llm.insights.grouping import (
    KNOWLEDGE_PASSAGE,
    MORE_EXAMPLES,
    NEW_INTENT,
    MessageGroup,
    group_messages,
)
from rasa_llm.insights.unhandled import UnhandledText

QUESTIONS = {
    "warranty abroad": [
        "does the warranty still apply if I bought it abroad",
        "is my guarantee valid for a jacket purchased in another country",
        "will you honour the warranty on items bought overseas",
    ],
    "wholesale": [
        "do you sell in bulk to scout groups",
        "can our hiking club get a wholesale price",
        "is there a discount for ordering fifty backpacks for a team",
    ],
    "waterproofing": [
        "how do I re-waterproof my rain jacket",
        "my shell isn't waterproof anymore, how do I fix it",
        "what should I use to reproof a waterproof coat",
    ],
}


@pytest.fixture(scope="module")
def encoder():
    from rasa_llm.knowledge.encoder import load_encoder
    from rasa_llm.shared.models import default_encoder_path

    return load_encoder(default_encoder_path())


def test_paraphrases_share_a_group_and_unrelated_questions_do_not(encoder):
    entries = [UnhandledText(text, count=1) for texts in QUESTIONS.values() for text in texts]
    groups = group_messages(entries, encoder)
    group_of = {entry.text: index for index, group in enumerate(groups) for entry in group.texts}
    for topic, texts in QUESTIONS.items():
        assert len({group_of[text] for text in texts}) == 1, f"{topic} was split: {[g.texts for g in groups]}"
    assert len(groups) == len(QUESTIONS)


def test_biggest_group_first_counting_repeats_of_a_text(encoder):
    entries = [UnhandledText("do you sell in bulk to scout groups", count=1),
               UnhandledText("how do I re-waterproof my rain jacket", count=7),
               UnhandledText("what should I use to reproof a waterproof coat", count=2)]
    groups = group_messages(entries, encoder)
    assert [group.size for group in groups] == [9, 1]
    assert groups[0].texts[0].text == "how do I re-waterproof my rain jacket"  # the most frequent leads


def test_suggestions():
    def group(reasons: dict[str, int], intents: dict[str, int], size: int = 4) -> MessageGroup:
        return MessageGroup(size=size, texts=[UnhandledText("example", count=size)], reasons=Counter(reasons),
                            intents=Counter(intents))

    assert (
        group({"abstained": 2, "fallback": 4}, {"product_question": 4}).suggestion()[0] == KNOWLEDGE_PASSAGE
    )
    kind, advice, intent = group({"fallback": 4}, {"track_refund": 3, "get_refund": 1}).suggestion()
    assert (kind, intent) == (MORE_EXAMPLES, "track_refund") and "track_refund" in advice
    assert group({"fallback": 4}, {"track_refund": 2, "get_refund": 2}).suggestion()[0] == NEW_INTENT
    assert group({"handoff": 4}, {}).suggestion()[0] == NEW_INTENT


def test_nothing_to_group_needs_no_encoder():
    assert group_messages([], encoder=None) == []
