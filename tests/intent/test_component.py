"""The Rasa component: parse output shape, sentiment entity, and clear errors for bad configuration."""
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException, RasaException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_llm import TransformerIntentClassifier
from rasa_llm.intent.classifier import Prediction

RANKING = [("track_order", 0.7), ("return_item", 0.2), ("greet", 0.06), ("thank", 0.04)]


class _FixedClassifier:
    """Stands in for a trained model: the same prediction for every non-blank text."""

    def __init__(self, sentiment, has_sentiment: bool = True):
        self._sentiment = sentiment
        self.has_sentiment = has_sentiment

    def predict(self, texts: list[str]) -> list[Prediction]:
        return [
            Prediction(RANKING, self._sentiment) if text.strip() else Prediction([], None)
            for text in texts
        ]


def _component(tmp_path: Path, classifier=None, **config) -> TransformerIntentClassifier:
    return TransformerIntentClassifier(
        config, "classifier", LocalModelStorage(tmp_path), Resource("classifier"), classifier
    )


def _create(tmp_path: Path, **config) -> TransformerIntentClassifier:
    return TransformerIntentClassifier.create(
        config,
        LocalModelStorage(tmp_path),
        Resource("classifier"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def test_parse_output_is_shaped_like_rasa_classifiers(tmp_path):
    component = _component(
        tmp_path, _FixedClassifier(("neutral", 0.9)), intent_ranking_length=2
    )
    (message,) = component.process([Message(data={"text": "where is my order"})])
    assert message.get("intent") == {"name": "track_order", "confidence": 0.7}
    assert message.get("intent_ranking") == [
        {"name": "track_order", "confidence": 0.7},
        {"name": "return_item", "confidence": 0.2},
    ]
    assert message.get("sentiment") == {"name": "neutral", "confidence": 0.9}
    assert message.get("entities") is None
    assert {"intent", "intent_ranking", "sentiment"} <= set(message.as_dict(only_output_properties=True))


def test_ranking_length_zero_lists_every_intent(tmp_path):
    component = _component(tmp_path, _FixedClassifier(None), intent_ranking_length=0)
    (message,) = component.process([Message(data={"text": "hi"})])
    assert len(message.get("intent_ranking")) == len(RANKING)


def test_confident_negative_sentiment_becomes_an_entity_after_existing_ones(tmp_path):
    component = _component(tmp_path, _FixedClassifier(("negative", 0.8)))
    order_id = {"entity": "order_id", "value": "ORD-10002", "start": 9, "end": 18}
    text = "where is ORD-10002, this is a joke"
    (message,) = component.process([Message(data={"text": text, "entities": [order_id]})])
    assert message.get("entities") == [
        order_id,
        {
            "entity": "sentiment",
            "value": "negative",
            "start": 0,
            "end": len(text),
            "confidence_entity": 0.8,
            "extractor": "TransformerIntentClassifier",
        },
    ]


def test_negative_below_threshold_adds_no_entity(tmp_path):
    component = _component(
        tmp_path, _FixedClassifier(("negative", 0.55)), negative_sentiment_threshold=0.6
    )
    (message,) = component.process([Message(data={"text": "meh, still waiting"})])
    assert message.get("sentiment") == {"name": "negative", "confidence": 0.55}
    assert not message.get("entities")


def test_empty_message_gets_no_intent_so_fallback_can_take_over(tmp_path):
    component = _component(tmp_path, _FixedClassifier(("neutral", 0.9)))
    empty, no_text = component.process([Message(data={"text": ""}), Message(data={})])
    for message in (empty, no_text):
        assert message.get("intent") == {"name": None, "confidence": 0.0}
        assert message.get("intent_ranking") == []
        assert message.get("sentiment") == {"name": None, "confidence": 0.0}


def test_without_a_sentiment_head_there_is_no_sentiment_output(tmp_path):
    component = _component(tmp_path, _FixedClassifier(None, has_sentiment=False))
    (message,) = component.process([Message(data={"text": "where is my order"})])
    assert message.get("intent")["name"] == "track_order"
    assert "sentiment" not in message.data


def test_loading_a_resource_that_was_never_trained_predicts_no_intent(tmp_path):
    component = TransformerIntentClassifier.load(
        {},
        LocalModelStorage(tmp_path),
        Resource("never_trained"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    (message,) = component.process([Message(data={"text": "hello"})])
    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []


def test_a_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidConfigException, match="encoder model folder '/no/such/model'"):
        _create(tmp_path, model="/no/such/model")


def test_a_hub_name_is_a_clear_error_without_network(tmp_path):
    with pytest.raises(InvalidConfigException, match="looks like a Hugging Face hub id"):
        _create(tmp_path, model="sentence-transformers/all-MiniLM-L6-v2")


def test_a_folder_that_is_no_model_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidConfigException, match="not a Hugging Face model folder"):
        _create(tmp_path, model=str(tmp_path))


@pytest.mark.parametrize(
    "config, message",
    [
        ({"runtime": "tensorrt"}, "Unknown inference runtime 'tensorrt'"),
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"validation_fraction": 1.5}, "validation_fraction must be in"),
        ({"negative_sentiment_threshold": 2}, "between 0 and 1"),
        ({"intent_ranking_length": -1}, "intent_ranking_length must be"),
        ({"inference_threads": 0}, "inference_threads must be a positive integer"),
        ({"batch_sizee": 8}, "unknown option\\(s\\) 'batch_sizee'"),
    ],
)
def test_bad_hyper_parameters_are_clear_errors(tmp_path, config, message):
    with pytest.raises(InvalidConfigException, match=message):
        _create(tmp_path, **config)


def test_fewer_than_two_intents_is_a_clear_error(tmp_path):
    component = _create(tmp_path)
    data = TrainingData(
        [
            Message.build("hello", "greet"),
            Message.build("hi there", "greet"),
            Message(data={"intent": "goodbye"}),  # from a story: no text, cannot train
        ]
    )
    with pytest.raises(RasaException, match="at least two intents, found only 'greet'"):
        component.train(data)


def test_component_defaults_are_the_training_loop_defaults():
    from dataclasses import fields

    from rasa_llm.intent.config import TrainingConfig

    defaults = TransformerIntentClassifier.get_default_config()
    # num_threads is None in the component config: resolved from the environment at train time.
    shared = [f for f in fields(TrainingConfig) if f.name in defaults and f.name != "num_threads"]
    assert len(shared) >= 10
    for field in shared:
        assert defaults[field.name] == field.default, field.name
