"""Temperature scaling and expected calibration error."""
import numpy as np
import pytest

from rasa_llm.intent.calibration import (
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    softmax,
)


def _overconfident(seed: int = 0, n: int = 400):
    # Logits with a margin of 8 for the predicted class, but the prediction is right only 70% of
    # the time: a well-calibrated model would say about 0.7, this one says about 0.999.
    rng = np.random.default_rng(seed)
    predicted = rng.integers(0, 3, size=n)
    logits = np.zeros((n, 3))
    logits[np.arange(n), predicted] = 8.0
    correct = rng.random(n) < 0.7
    labels = np.where(correct, predicted, (predicted + 1) % 3)
    return logits, labels, correct


def test_temperature_tames_an_overconfident_model():
    logits, labels, correct = _overconfident()
    temperature = fit_temperature(logits, labels)
    assert temperature > 1.5
    assert negative_log_likelihood(logits, labels, temperature) < negative_log_likelihood(
        logits, labels, 1.0
    )
    raw = softmax(logits).max(axis=1)
    scaled = softmax(logits, temperature).max(axis=1)
    assert expected_calibration_error(scaled, correct) < expected_calibration_error(raw, correct)
    assert scaled.mean() == pytest.approx(correct.mean(), abs=0.05)


def test_temperature_keeps_the_ranking():
    logits, labels, _ = _overconfident(seed=1)
    temperature = fit_temperature(logits, labels)
    assert (softmax(logits, temperature).argmax(axis=1) == logits.argmax(axis=1)).all()


def test_nothing_to_fit_on_means_no_scaling():
    assert fit_temperature(np.zeros((0, 3)), []) == 1.0


def test_an_all_correct_validation_set_does_not_sharpen_to_certainty():
    logits = np.array([[2.0, 0.0, 0.0], [0.0, 1.5, 0.0], [0.0, 0.0, 3.0]])
    assert fit_temperature(logits, [0, 1, 2]) == 1.0


def test_ece_is_zero_when_confidence_matches_accuracy_and_large_when_not():
    confidences = np.full(10, 0.8)
    assert expected_calibration_error(confidences, [True] * 8 + [False] * 2) == pytest.approx(0.0)
    assert expected_calibration_error(confidences, [False] * 10) == pytest.approx(0.8)
    assert expected_calibration_error([], []) == 0.0
