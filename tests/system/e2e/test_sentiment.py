"""Escalation on tone, through the REST channel against the full stack.

An upset customer gets an apology and the offer of a person; a happy one does not; an upset one who
asks something gets the answer too, after the apology and never instead of it. The hard cases
(sarcasm, negation, mixed) are taken from benchmarks/data/sentiment_heldout.yml, which the classifier
is not trained on.
"""
from __future__ import annotations

import json

import pytest

from actions import messages
from bot.testing.stack import RunningStack, texts

pytestmark = pytest.mark.slow

APOLOGIES = (messages.NEGATIVE_SENTIMENT.lower(), messages.COMPLAINT_APOLOGY.lower())

HARD_NEGATIVE = [
    "oh great, the tracking number doesn't work either",  # sarcasm
    "so glad I spent an hour on hold for that",  # sarcasm
    "not pleased, not even a little",  # negation
    "great product, terrible delivery, and nobody answers the phone",  # mixed, complaint wins
]
HARD_POSITIVE = [
    "not bad at all, really solid jacket",  # negation
    "I couldn't be happier with it",  # negation
    "delivery was a day late but the boots are gorgeous, very happy",  # mixed, praise wins
    "well that was shockingly easy, thank you",  # praise that reads like sarcasm
]
UPSET_QUESTIONS = [
    "the zipper on my jacket broke after 3 months is that covered",
    "my stove stopped working after a year, what can i do",
]


def _apologised(reply: str) -> bool:
    return any(apology in reply for apology in APOLOGIES)


def _turn(stack: RunningStack, text: str) -> tuple[list[dict], dict]:
    sender = stack.new_sender()
    bot_messages = stack.say(sender, text)
    return bot_messages, stack.tracker(sender)


@pytest.mark.parametrize("text", HARD_NEGATIVE)
def test_an_upset_customer_gets_an_apology_and_the_offer_of_a_person(bot_stack, text: str) -> None:
    bot_messages, tracker = _turn(bot_stack, text)
    reply = texts(bot_messages)
    assert _apologised(reply), reply
    assert "person" in reply, reply
    # Still open after the turn (a form may have started), so a "yes" next hands over.
    assert tracker["slots"]["human_offered"] is True


@pytest.mark.parametrize("text", HARD_POSITIVE)
def test_a_happy_customer_is_not_treated_as_upset(bot_stack, text: str) -> None:
    bot_messages, tracker = _turn(bot_stack, text)
    assert not _apologised(texts(bot_messages)), texts(bot_messages)
    assert tracker["slots"]["human_offered"] is not True
    assert (tracker["latest_message"].get("sentiment") or {}).get("name") != "negative"


def _answer_after_apology(bot_messages: list[dict]) -> tuple[int, int]:
    """(index of the apology, index of the knowledge-base answer: the reply carrying its `mode`)."""
    replies = [(message.get("text") or "").lower() for message in bot_messages]
    apology = next(i for i, reply in enumerate(replies) if _apologised(reply))
    answer = next(i for i, message in enumerate(bot_messages) if "mode" in (message.get("custom") or {}))
    return apology, answer


@pytest.mark.parametrize("text", UPSET_QUESTIONS)
def test_an_upset_question_gets_empathy_then_the_answer_not_only_the_apology(bot_stack, text: str) -> None:
    bot_messages, tracker = _turn(bot_stack, text)
    apology, answer = _answer_after_apology(bot_messages)
    assert apology < answer, texts(bot_messages)
    assert "person" in texts(bot_messages)
    assert tracker["slots"]["human_offered"] is True


@pytest.mark.parametrize("text", UPSET_QUESTIONS)
def test_the_answer_to_an_upset_warranty_question_is_the_warranty(bot_stack, text: str) -> None:
    bot_messages, _ = _turn(bot_stack, text)
    _, answer = _answer_after_apology(bot_messages)
    assert "warranty" in json.dumps(bot_messages[answer - 1 : answer + 1]).lower()
