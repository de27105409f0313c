"""KnowledgeAnswerNLG: the designer's informational-intent list, the relevance check and follow-ups."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from rasa_llm.knowledge.relevance import RelevanceCheck
from rasa_llm.knowledge.retrieval import PassageRetrieval, serve
from rasa_llm.nlg.knowledge_nlg import ONLY_IF_ANSWERED, KnowledgeAnswerNLG

DELIVERY_TEMPLATE = "Standard delivery takes 3-5 business days, Express 1-2 business days."
DOMAIN = Domain.from_dict(
    {
        "responses": {
            "utter_delivery_period": [{"text": DELIVERY_TEMPLATE}],
            "utter_knowledge_answer": [{"text": "Sorry, I don't know that one."}],
            "utter_knowledge_order_lookup": [{"text": "Say 'track my order' and I'll look it up."}],
            "utter_out_of_scope": [{"text": "Sorry, that's not something I can help with."}],
            "utter_ask_email": [{"text": "And your email?"}],
        }
    }
)
SETTINGS = {"backend": "none", "min_relevance": 0.45}


@pytest.fixture(autouse=True)
def knowledge_base(index, encoder):
    """The knowledge base as a loaded KnowledgeRetriever serves it (top_k 3, min score 0.45)."""
    serve(PassageRetrieval(index, encoder, top_k=3, min_retrieval_score=0.45))
    yield
    serve(None)


def _nlg(**settings) -> KnowledgeAnswerNLG:
    nlg = NaturalLanguageGenerator.create(
        EndpointConfig(type="rasa_llm.KnowledgeAnswerNLG", **{**SETTINGS, **settings}), DOMAIN
    )
    assert isinstance(nlg, KnowledgeAnswerNLG)
    return nlg


def _user(text: str, intent: str) -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 0.9},
                       parse_data={"intent": {"name": intent, "confidence": 0.9}})


def _reply(nlg: KnowledgeAnswerNLG, response: str, *events) -> dict:
    tracker = DialogueStateTracker.from_events("customer-1", [*events, ActionExecuted(response)])
    return asyncio.run(nlg.generate(response, tracker, "rest", domain_responses=DOMAIN.responses))


def _sources(message: dict) -> list[str]:
    return [source["id"] for source in message.get("custom", {}).get("sources", [])]


def test_an_informational_intent_is_answered_from_the_passage_for_the_message() -> None:
    nlg = _nlg(informational_intents=["delivery_period"])
    message = _reply(nlg, "utter_delivery_period", _user("do you deliver on weekends", "delivery_period"))
    assert _sources(message) == ["weekend-holiday-delivery"]
    assert "weekend" in message["text"].lower()


def test_a_policy_question_about_my_order_is_answered_from_the_passage() -> None:
    # "my order" + "when": a question about the customer's own order to the fallback; the classifier
    # read it as a delivery question, so only an order number would make it one.
    nlg = _nlg(informational_intents=["delivery_period"])
    message = _reply(nlg, "utter_delivery_period",
                     _user("will my order arrive on a sunday", "delivery_period"))
    assert _sources(message) == ["weekend-holiday-delivery"]
    with_number = _reply(nlg, "utter_delivery_period",
                         _user("will order ORD-10002 arrive on a sunday", "delivery_period"))
    assert with_number["text"] == DELIVERY_TEMPLATE


def test_an_intent_off_the_list_keeps_its_template() -> None:
    message = _reply(_nlg(informational_intents=["check_payment_methods"]), "utter_delivery_period",
                     _user("do you deliver on weekends", "delivery_period"))
    assert message["text"] == DELIVERY_TEMPLATE and "custom" not in message


def test_without_a_relevant_passage_the_template_answers_if_it_is_about_the_question(monkeypatch) -> None:
    nlg = _nlg(informational_intents=["delivery_period"])
    monkeypatch.setattr(RelevanceCheck, "relevant", lambda self, question, passages: [])
    message = _reply(nlg, "utter_delivery_period", _user("how many days does express delivery take",
                                                         "delivery_period"))
    assert message["text"] == DELIVERY_TEMPLATE


def test_a_misrouted_question_gets_an_honest_dont_know_not_a_neighbouring_template() -> None:
    # Classified as a delivery question, but it asks something neither the KB nor the template answers.
    nlg = _nlg(informational_intents=["delivery_period"])
    message = _reply(nlg, "utter_delivery_period",
                     _user("do you sponsor athletes", "delivery_period"))
    assert message["text"] == "Sorry, I don't know that one."
    assert message["custom"]["mode"] == "abstained"
    assert message["buttons"][0]["payload"] == "/contact_human_agent"


def test_a_form_question_after_the_answer_is_left_alone() -> None:
    nlg = _nlg(informational_intents=["delivery_period"])
    asked = _user("do you deliver on weekends", "delivery_period")
    answered = BotUttered(
        "We do not deliver on weekends.", data={"custom": {"mode": "extractive", "sources": []}}
    )
    assert _reply(nlg, "utter_ask_email", asked, answered)["text"] == "And your email?"


def test_a_follow_up_is_answered_in_the_context_of_the_previous_question() -> None:
    nlg = _nlg()
    first = _user("how much does shipping cost", "nlu_fallback")
    answer = BotUttered("Standard shipping costs $4.95.", data={"custom": {"mode": "extractive"}})
    message = _reply(nlg, "utter_knowledge_answer", first, answer, _user("and for canada?", "nlu_fallback"))
    assert set(_sources(message)) & {"international-shipping", "express-international", "shipping-countries"}


def test_a_follow_up_taken_for_out_of_scope_is_still_answered() -> None:
    nlg = _nlg()
    first = _user("how long does standard shipping take", "delivery_period")
    answer = BotUttered("Standard shipping takes 3-5 business days.", data={"custom": {"mode": "extractive"}})
    message = _reply(nlg, "utter_out_of_scope", first, answer, _user("what about express?", "out_of_scope"))
    assert _sources(message) and "express" in message["text"].lower()


def test_an_off_topic_request_is_still_declined() -> None:
    message = _reply(_nlg(), "utter_out_of_scope", _user("tell me a joke", "out_of_scope"))
    assert message["text"] == "Sorry, that's not something I can help with."


def test_a_follow_up_taken_for_another_intent_is_answered_after_a_knowledge_answer() -> None:
    nlg = _nlg()
    first = _user("how much does shipping cost", "delivery_options")
    answer = BotUttered("Standard shipping costs $4.95.", data={"custom": {"mode": "extractive"}})
    message = _reply(nlg, "utter_anything_with_order", first, answer, _user("and for canada?", "inform"))
    assert set(_sources(message)) & {"international-shipping", "express-international", "shipping-countries"}


def test_the_same_words_after_a_template_keep_the_rule_s_response() -> None:
    nlg = _nlg()
    first = _user("hi", "greet")
    greeting = BotUttered("Hi! How can I help?")
    message = _reply(nlg, "utter_ask_email", first, greeting, _user("and for canada?", "inform"))
    assert message["text"] == "And your email?"
    message = _reply(nlg, "utter_out_of_scope", first, greeting, _user("and my car?", "inform"))
    assert not _sources(message)


def _complaint_reply(nlg: KnowledgeAnswerNLG, text: str) -> dict | None:
    """The knowledge answer as ActionAcknowledgeFrustration asks for it after a complaint's apology."""
    tracker = DialogueStateTracker.from_events(
        "customer-1", [_user(text, "complaint"), ActionExecuted("action_acknowledge_frustration")]
    )
    return asyncio.run(nlg.generate("utter_knowledge_answer", tracker, "rest",
                                    **{ONLY_IF_ANSWERED: True, "text": None, "buttons": None}))


def test_a_complaint_about_a_case_the_shop_has_a_policy_for_gets_that_passage() -> None:
    message = _complaint_reply(_nlg(), "my package got stolen")
    assert message is not None and "delivered-not-received" in _sources(message)


def test_a_complaint_without_a_relevant_passage_gets_no_dont_know() -> None:
    assert _complaint_reply(_nlg(), "you people are hopeless") is None
