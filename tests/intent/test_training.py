"""Fine-tuning on a tiny dataset: it learns, calibrates, saves, loads and is deterministic."""
from pathlib import Path

import numpy as np
import pytest

from rasa_llm.intent.classifier import IntentSentimentClassifier
from rasa_llm.intent.config import TrainingConfig
from rasa_llm.intent.data import SENTIMENT_LABELS
from rasa_llm.intent.training import fit_classifier
from rasa_llm.shared.models import default_encoder_path
from tests.intent.tiny_data import FAST_CONFIG, INTENTS, tiny_examples

FAST = TrainingConfig(**FAST_CONFIG)


@pytest.fixture(scope="module")
def trained():
    return fit_classifier(tiny_examples(), default_encoder_path(), FAST)


def _top_intents(classifier, texts):
    return [prediction.intent_ranking[0][0] for prediction in classifier.predict(texts)]


def test_it_learns_the_training_intents(trained):
    classifier, report = trained
    examples = tiny_examples()
    predicted = _top_intents(classifier, [e.text for e in examples])
    accuracy = np.mean([p == e.intent for p, e in zip(predicted, examples, strict=True)])
    # Chance is 0.25 with four intents.
    assert accuracy >= 0.8
    assert report.train_size + report.validation_size == len(examples)
    assert report.validation_size == 8
    assert classifier.intents == INTENTS


def test_it_learns_sentiment_beyond_the_majority_label(trained):
    classifier, _ = trained
    examples = tiny_examples()
    predicted = [p.sentiment[0] for p in classifier.predict([e.text for e in examples])]
    accuracy = np.mean([p == e.sentiment for p, e in zip(predicted, examples, strict=True)])
    majority = max(np.mean([e.sentiment == label for e in examples]) for label in SENTIMENT_LABELS)
    assert accuracy > majority


def test_rankings_are_calibrated_distributions_best_first(trained):
    classifier, report = trained
    assert report.calibration.intent > 0 and report.calibration.sentiment > 0
    for prediction in classifier.predict(["where is my package", "thanks!"]):
        names = [name for name, _ in prediction.intent_ranking]
        confidences = [confidence for _, confidence in prediction.intent_ranking]
        assert sorted(names) == INTENTS
        assert confidences == sorted(confidences, reverse=True)
        assert sum(confidences) == pytest.approx(1.0)
        assert prediction.sentiment[0] in SENTIMENT_LABELS
        assert 0.0 < prediction.sentiment[1] <= 1.0


def test_blank_and_huge_messages(trained):
    classifier, _ = trained
    huge = "my order never arrived and " * 400  # about 10,800 characters
    blank, spaces, long = classifier.predict(["", "   \n", huge])
    assert blank.intent_ranking == [] and blank.sentiment is None
    assert spaces.intent_ranking == [] and spaces.sentiment is None
    assert len(long.intent_ranking) == len(INTENTS)


def test_save_and_load_give_identical_predictions(trained, tmp_path: Path):
    classifier, _ = trained
    classifier.save(tmp_path)
    loaded = IntentSentimentClassifier.load(tmp_path, num_threads=2)
    texts = [e.text for e in tiny_examples()] + ["something else entirely"]
    assert loaded.predict(texts) == classifier.predict(texts)
    assert loaded.runtime.name == "onnx-int8"


def test_same_seed_same_model(trained):
    classifier, _ = trained
    again, _ = fit_classifier(tiny_examples(), default_encoder_path(), FAST)
    texts = ["where is my package", "thanks a bunch", "hello", "send it back"]
    first, second = classifier.logits(texts), again.logits(texts)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
