"""The relevance check refuses neighbouring topics; follow-ups are read with the previous question."""
from __future__ import annotations

import pytest
import yaml

from rasa_llm.knowledge.answer_settings import KnowledgeAnswerConfig
from rasa_llm.knowledge.relevance import RelevanceCheck, contextual_question, is_follow_up
from rasa_llm.knowledge.responder import RetrievedPassage

from .conftest import ROOT


@pytest.fixture(scope="module")
def check(encoder) -> RelevanceCheck:
    """The thresholds the reference bot ships with (endpoints.yml)."""
    nlg = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))["nlg"]
    config = KnowledgeAnswerConfig.from_dict({key: value for key, value in nlg.items() if key != "type"})
    return config.build_relevance_check(encoder)


def test_a_passage_that_answers_the_question_is_kept(check, retrieve) -> None:
    relevant = check.relevant(
        "is there a restocking fee on returns", retrieve("is there a restocking fee on returns")
    )
    assert relevant and relevant[0].id == "restocking-fees"


def test_a_neighbouring_topic_is_refused(check) -> None:
    # Retrieval scored the delivery times high for an opening-hours question: the check must not pass it.
    delivery = RetrievedPassage(
        "shipping-options",
        "Shipping options in the US",
        "We offer three shipping speeds in the US. Standard shipping takes 3–5 business days and costs "
        "$4.95.",
        0.6,
    )
    assert check.relevant("what time does your warehouse staff go home on fridays", [delivery]) == []


def test_no_close_passage_means_no_passage(check, retrieve) -> None:
    # The knowledge base says nothing about student discounts; the discount-code passage is near.
    question = "is there a student discount"
    assert check.relevant(question, retrieve(question)) == []


def test_the_passage_that_gives_the_support_email_answers_how_to_email_support(check, retrieve) -> None:
    question = "how do i send an email to your support team"
    assert [p.id for p in check.relevant(question, retrieve(question))][:1] == ["human-agents"]


def test_weak_passages_are_never_handed_over(retrieval, retrieve) -> None:
    # The reference bot's config.yml threshold: the best passage for a football question is below it.
    question = "who won the football game last night?"
    assert retrieve(question) and retrieval.retrieve(question) == []
    assert all(
        p.score >= retrieval.min_retrieval_score for p in retrieval.retrieve("do you charge restocking fees")
    )


def test_a_template_is_judged_like_a_passage(check) -> None:
    template = "We accept Visa, Mastercard, American Express, Discover, PayPal, Apple Pay and Google Pay."
    assert check.template_relevant("what payment methods do you accept", template)
    assert not check.template_relevant("how do i fix my car's brakes", template)


@pytest.mark.parametrize("text", ["and for Canada?", "what about express?", "and how long does that take?",
                                  "how about gift cards"])
def test_short_leaning_messages_are_follow_ups(text) -> None:
    assert is_follow_up(text)


@pytest.mark.parametrize("text", ["where is my order", "how long does standard shipping take to reach Alaska "
                                  "and what does it cost for a heavy tent", ""])
def test_standalone_messages_are_not(text) -> None:
    assert not is_follow_up(text)


def test_a_follow_up_is_joined_to_the_previous_question() -> None:
    assert (
        contextual_question("and for Canada?", "how much is shipping")
        == "how much is shipping and for Canada?"
    )
    assert contextual_question("where is my order", "how much is shipping") == "where is my order"
    assert contextual_question("and for Canada?", None) == "and for Canada?"


def test_a_follow_up_retrieves_the_passage_for_both_questions_read_together(retrieval) -> None:
    asked = contextual_question("and for Canada?", "how long does delivery take")
    best = retrieval.retrieve("and for Canada?", "how long does delivery take", asked)[0]
    assert best.id in {"international-shipping", "express-international", "shipping-countries"}


def test_a_passage_is_relevant_through_a_question_customers_ask_of_it(check) -> None:
    # No sentence of the passage is worded like the message; the question listed for it is.
    passage = RetrievedPassage(
        "delivered-not-received",
        "Parcel marked delivered but not received",
        "Check with neighbours and around the building first. Then contact us within 14 days.",
        0.6,
    )
    question = "the tracking says it arrived but there is nothing at my door"
    assert check.relevant(question, [passage]) == []
    asked = RetrievedPassage(
        *(passage.id, passage.title, passage.text, passage.score),
        questions=("tracking says delivered but i never got it",),
    )
    assert check.relevant(question, [asked]) == [asked]
