"""The language detector alone, and OtherLanguageDetector trained, persisted, loaded and run as Rasa does."""
from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_llm.language.detector import LanguageDetector, words
from rasa_llm.nlu.other_language_detector import LANGUAGE, OtherLanguageDetector

CONTEXT = ExecutionContext(GraphSchema({}), "test-model")
ENGLISH_EXAMPLES = ["where is my order", "I want to return an item", "my card got declined", "thanks"]


def test_ids_emails_and_numbers_are_no_words() -> None:
    assert words("it's ORD-10003, maria.garcia@example.com, 42 Juniper Lane") == [
        "it",
        "s",
        "juniper",
        "lane",
    ]


@pytest.mark.parametrize("text", ["my card got declined", "ORD-10003", "maria.garcia@example.com", "", "!!!",
                                  "where is my Granite Mid Hiking Boots order", "dunno", "nah"])
def test_english_and_languageless_messages_are_english(text: str) -> None:
    assert LanguageDetector.from_texts(ENGLISH_EXAMPLES).language(text) == "en"


@pytest.mark.parametrize("text, language", [("¿Dónde está mi pedido? Lo necesito", "es"),
                                            ("Wo ist meine Bestellung?", "de"), ("Где мой заказ?", "ru"),
                                            ("bonsoir", "fr")])
def test_other_languages_are_named(text: str, language: str) -> None:
    assert LanguageDetector.from_texts(ENGLISH_EXAMPLES).language(text) == language


@pytest.fixture(scope="module")
def detector(tmp_path_factory) -> OtherLanguageDetector:
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("train_OtherLanguageDetector0")
    config = OtherLanguageDetector.get_default_config()
    data = TrainingData([Message(data={TEXT: text, INTENT: "inform"}) for text in ENGLISH_EXAMPLES])
    OtherLanguageDetector.create(config, storage, resource, CONTEXT).train(data)
    return OtherLanguageDetector.load(config, storage, resource, CONTEXT)


def _classified(text: str, intent: str = "track_order") -> Message:
    return Message(
        data={
            TEXT: text,
            INTENT: {"name": intent, "confidence": 0.9},
            INTENT_RANKING_KEY: [{"name": intent, "confidence": 0.9}],
            ENTITIES: [
                {"entity": "sentiment", "value": "negative"},
                {"entity": "order_id", "value": "ORD-10003"},
            ],
        }
    )


def test_a_reloaded_detector_marks_another_language_and_drops_the_sentiment(detector) -> None:
    message = _classified("Hola, ¿dónde está mi pedido ORD-10003?")
    detector.process([message])
    output = message.as_dict(only_output_properties=True)
    assert output[INTENT] == {"name": "other_language", "confidence": 1.0}
    assert output[INTENT_RANKING_KEY] == [{"name": "other_language", "confidence": 1.0}]
    assert [entity["entity"] for entity in output[ENTITIES]] == ["order_id"]
    assert output[LANGUAGE] not in (None, "en")  # langid.py may say Galician for this one


def test_english_and_button_payloads_are_left_alone(detector) -> None:
    for text in ("where is my order", "/affirm", "/inform{\"product\": \"Ridgeline 2 Tent\"}"):
        message = _classified(text)
        detector.process([message])
        assert message.get(INTENT)["name"] == "track_order" and message.get(LANGUAGE) is None


def test_an_untrained_detector_leaves_every_message_alone(tmp_path) -> None:
    storage = LocalModelStorage(tmp_path)
    loaded = OtherLanguageDetector.load(
        OtherLanguageDetector.get_default_config(), storage, Resource("never_trained"), CONTEXT
    )
    message = _classified("Wo ist meine Bestellung?")
    loaded.process([message])
    assert message.get(INTENT)["name"] == "track_order"
