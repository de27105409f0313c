"""An explicit out-of-scope class, trained from negative examples, catches requests unlike the shop's."""
import numpy as np
import pytest

from rasa_llm.intent.config import TrainingConfig
from rasa_llm.intent.data import Example
from rasa_llm.intent.training import fit_classifier
from rasa_llm.shared.models import default_encoder_path
from tests.intent.tiny_data import FAST_CONFIG, tiny_examples

OUT_OF_SCOPE = [
    "write a python function that sorts a list",
    "what's 17 times 23",
    "who should i vote for",
    "how do i fix my car's brakes",
    "give me a recipe for lasagna",
    "tell me a joke",
    "what's the weather like tomorrow",
    "how do i reset my iphone",
    "book me a flight to paris",
    "what's the capital of australia",
]
# Never seen in training, from other topics again.
UNSEEN_OFF_TOPIC = [
    "solve this equation for x",
    "who won the football match yesterday",
    "how do i bake banana bread",
    "translate good night into spanish",
    "is it going to rain in london",
    "debug my javascript code",
]
UNSEEN_IN_SCOPE = ["where is my parcel", "i want to send these boots back", "hey there", "thanks so much"]


@pytest.fixture(scope="module")
def trained():
    examples = tiny_examples() + [Example(text, "out_of_scope", "neutral") for text in OUT_OF_SCOPE]
    classifier, _ = fit_classifier(
        examples, default_encoder_path(), TrainingConfig(**{**FAST_CONFIG, "epochs": 6})
    )
    return classifier


def _top(classifier, texts):
    return [prediction.intent_ranking[0][0] for prediction in classifier.predict(texts)]


def test_unseen_off_topic_requests_are_out_of_scope(trained):
    predicted = _top(trained, UNSEEN_OFF_TOPIC)
    assert np.mean([intent == "out_of_scope" for intent in predicted]) >= 5 / 6, predicted


def test_shop_requests_are_not_rejected(trained):
    predicted = _top(trained, UNSEEN_IN_SCOPE)
    assert "out_of_scope" not in predicted, predicted
