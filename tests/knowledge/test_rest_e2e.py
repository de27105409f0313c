"""End to end over REST: a trained bot answers knowledge questions it has no story for, with sources.

The tiny bot (bot/testing/tiny_bot/) knows greetings only; its generator is an OpenAI-compatible fake
on loopback that always says the same sentence, so both paths show: generated (the sentence fits the
question's passage) and extractive (it does not, and the verifier catches it).
"""
from __future__ import annotations

import pytest
import requests

from bot.testing.tiny_bot import prepare_bot, rasa_server, train, write_endpoints
from tests.knowledge.fake_llm import FakeLLMServer

pytestmark = pytest.mark.slow  # trains Rasa models twice and starts Rasa

CANNED = "You can return items within 30 days of delivery."


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    folder = prepare_bot(tmp_path_factory.mktemp("bot"))
    model, log = train(folder, "first")
    return folder, model, log


@pytest.fixture(scope="module")
def server(bot):
    folder, model, _ = bot
    with FakeLLMServer(reply=CANNED) as llm:
        endpoints = write_endpoints(folder, backend="openai", url=llm.url, model="fake", timeout=20)
        process, url = rasa_server(folder, model, endpoints)
        process.start(timeout=600)
        try:
            yield url, llm
        finally:
            process.stop()


def say(url: str, sender: str, text: str) -> list[dict]:
    response = requests.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    response.raise_for_status()
    return response.json()


def reply_text(messages: list[dict]) -> str:
    return " ".join(m["text"] for m in messages if "text" in m)


def citation(messages: list[dict]) -> dict:
    customs = [m["custom"] for m in messages if "custom" in m]
    assert len(customs) == 1
    return customs[0]


def test_a_story_turn_is_answered_from_the_domain(server) -> None:
    url, _ = server
    messages = say(url, "e2e-greet", "hello")
    assert reply_text(messages) == "Hello! Ask me anything about Larkspur Outfitters."
    assert not [m for m in messages if "custom" in m]


def test_a_knowledge_question_gets_a_generated_answer_citing_its_passage(server) -> None:
    url, llm = server
    messages = say(url, "e2e-generated", "how many days do I have to send something back?")

    assert reply_text(messages) == CANNED
    custom = citation(messages)
    assert custom["mode"] == "generated"
    assert {"id": "return-window", "title": "Return window"} in custom["sources"]
    assert llm.requests[-1]["messages"][-1]["content"].endswith(
        "\nQuestion: how many days do I have to send something back?"
    )


def test_an_answer_the_sources_do_not_support_becomes_the_passage_itself(server) -> None:
    url, _ = server
    messages = say(url, "e2e-extractive", "how much does express shipping cost?")

    assert "$12.95" in reply_text(messages) and "30 days" not in reply_text(messages)
    assert citation(messages) == {
        "sources": [{"id": "shipping-options", "title": "Shipping options in the US"}],
        "mode": "extractive",
    }


def test_order_and_unknown_questions_are_not_answered_from_the_knowledge_base(server) -> None:
    url, _ = server
    order = say(url, "e2e-order", "where is my order ORD-10002?")
    unknown = say(url, "e2e-unknown", "who won the football game last night?")

    assert "track my order" in reply_text(order)
    assert citation(order) == {"sources": [], "mode": "abstained"}
    assert reply_text(unknown) == "Sorry, I'm not sure about that."
    assert [m["buttons"] for m in unknown if "buttons" in m] == [[{"title": "Talk to a person",
                                                                   "payload": "/contact_human_agent"}]]


def test_the_tracker_keeps_the_citation_and_no_passages(server) -> None:
    url, _ = server
    say(url, "e2e-tracker", "how many days do I have to send something back?")
    tracker = requests.get(f"{url}/conversations/e2e-tracker/tracker", timeout=30).json()

    user = [e for e in tracker["events"] if e["event"] == "user"][-1]
    bot_event = [e for e in tracker["events"] if e["event"] == "bot"][-1]
    # Retrieval runs in the NLG when a reply needs it: the parse data holds no passages.
    assert "knowledge" not in user["parse_data"]
    assert bot_event["data"]["custom"]["mode"] == "generated"
    assert "return-window" in [source["id"] for source in bot_event["data"]["custom"]["sources"]]


def test_editing_only_the_knowledge_base_retrains_only_the_retriever(bot) -> None:
    folder, _, _ = bot
    with open(folder / "knowledge" / "faq.md", "a") as faq:
        faq.write("\n## Dogs in the shop {#dogs}\nWell-behaved dogs are welcome in our online community.\n")

    _, log = train(folder, "second")

    assert "Starting to train component 'KnowledgeRetriever'" in log
    for component in ("CountVectorsFeaturizer", "LogisticRegressionClassifier", "RulePolicy"):
        assert f"Restored component '{component}' from cache" in log
        assert f"Starting to train component '{component}'" not in log
