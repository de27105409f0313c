"""The four inference runtimes agree with the torch model and survive a save / load round trip."""
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from rasa_llm.intent.config import RUNTIMES, THREADS_ENV, resolve_num_threads
from rasa_llm.intent.model import IntentSentimentModel
from rasa_llm.intent.runtime import build_runtime, load_runtime
from rasa_llm.intent.tokenization import BatchTokenizer
from rasa_llm.shared.models import default_encoder_path

TEXTS = ["where is my order", "i want to return the tent i bought, it leaks badly", "hi"]


@pytest.fixture(scope="module")
def model_and_batch():
    torch.manual_seed(0)
    model = IntentSentimentModel.from_pretrained(default_encoder_path(), 5, 3).eval()
    tokenizer = BatchTokenizer.from_pretrained(default_encoder_path(), max_length=32)
    input_ids, attention_mask = tokenizer.pad(tokenizer.encode(TEXTS))
    with torch.inference_mode():
        intent, sentiment = model(torch.from_numpy(input_ids), torch.from_numpy(attention_mask))
    return model, (input_ids, attention_mask), (intent.numpy(), sentiment.numpy())


@pytest.mark.parametrize("name", RUNTIMES)
def test_runtime_matches_torch_and_round_trips(model_and_batch, name, tmp_path: Path):
    model, batch, (intent, sentiment) = model_and_batch
    runtime = build_runtime(model, name, num_threads=2, work_dir=tmp_path)
    got_intent, got_sentiment = runtime.logits(*batch)
    # fp32 runtimes reproduce torch; int8 ones stay close (logits of an untrained head are small).
    tolerance = 0.25 if name.endswith("int8") else 1e-4
    np.testing.assert_allclose(got_intent, intent, atol=tolerance)
    np.testing.assert_allclose(got_sentiment, sentiment, atol=tolerance)

    saved = tmp_path / "saved"
    saved.mkdir()
    runtime.save(saved)
    loaded = load_runtime(saved, name, num_intents=5, num_sentiments=3, num_threads=2)
    np.testing.assert_array_equal(loaded.logits(*batch)[0], got_intent)


def test_padding_does_not_change_a_message_s_logits(model_and_batch, tmp_path: Path):
    model, _, _ = model_and_batch
    runtime = build_runtime(model, "onnx", num_threads=2, work_dir=tmp_path)
    tokenizer = BatchTokenizer.from_pretrained(default_encoder_path(), max_length=32)
    encoded = tokenizer.encode(TEXTS)
    together = runtime.logits(*tokenizer.pad(encoded))[0]
    alone = runtime.logits(*tokenizer.pad(encoded[2:]))[0]
    np.testing.assert_allclose(together[2], alone[0], atol=1e-4)


def test_truncation_keeps_max_length_tokens():
    tokenizer = BatchTokenizer.from_pretrained(default_encoder_path(), max_length=16)
    (ids,) = tokenizer.encode(["word " * 10_000])
    assert len(ids) == 16


def test_unknown_runtime_is_a_clear_error(model_and_batch, tmp_path: Path):
    model, _, _ = model_and_batch
    with pytest.raises(ValueError, match="Unknown inference runtime 'tensorrt'.*onnx-int8"):
        build_runtime(model, "tensorrt", num_threads=1, work_dir=tmp_path)


def test_threads_come_from_config_then_environment(monkeypatch):
    monkeypatch.setenv(THREADS_ENV, "3")
    assert resolve_num_threads(1) == 1
    assert resolve_num_threads(None) == 3
    monkeypatch.setenv(THREADS_ENV, "lots")
    with pytest.raises(ValueError, match="positive integer"):
        resolve_num_threads(None)
    monkeypatch.delenv(THREADS_ENV)
    assert 1 <= resolve_num_threads(None) <= min(4, os.cpu_count() or 1)
