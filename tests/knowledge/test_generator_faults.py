"""Model files that are missing, corrupt or of an architecture CTranslate2 cannot load: a clear log line,
the torch path or extractive answers, never a crash or an empty reply.

Models here are tiny (random weights, the packaged tokenizer) so each test takes seconds.
"""
from __future__ import annotations

import asyncio
import logging
import shutil
import time
from pathlib import Path

import pytest

from rasa_llm.knowledge.generators import GeneratorError, LocalGenerator
from rasa_llm.knowledge.responder import EXTRACTIVE, REASON_BACKEND, KnowledgeResponder, ResponderSettings
from rasa_llm.shared.models import default_generator_path

MESSAGES = [
    {
        "role": "system",
        "content": "Answer in one short sentence, using only these facts:\n- Returns: within 30 days.",
    },
    {"role": "user", "content": "How long do I have to return an item?"},
]
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
)


@pytest.fixture(scope="module")
def packaged_hf_folder() -> Path:
    """The packaged model as a Hugging Face folder (dequantized once into the machine's cache)."""
    return LocalGenerator(default_generator_path())._hf_folder()


def tiny_model(folder: Path, tokenizer_source: Path, architecture: str) -> Path:
    """A 1-layer causal LM with random weights and the packaged tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, GPTNeoConfig, LlamaConfig

    torch.manual_seed(0)
    size = {"hidden_size": 32, "num_attention_heads": 2, "vocab_size": 49152, "max_position_embeddings": 512}
    if architecture == "gpt_neo":  # no CTranslate2 converter for GPT-Neo
        config = GPTNeoConfig(num_layers=1, attention_types=[[["global"], 1]], intermediate_size=64, **size)
    else:
        config = LlamaConfig(num_hidden_layers=1, intermediate_size=64, num_key_value_heads=2, **size)
    AutoModelForCausalLM.from_config(config).save_pretrained(folder)
    for name in TOKENIZER_FILES:
        if (tokenizer_source / name).exists():
            shutil.copy(tokenizer_source / name, folder / name)
    return folder


def generate(generator: LocalGenerator, deadline: float = 60.0):
    return asyncio.run(generator.generate(MESSAGES, max_tokens=5, deadline=time.monotonic() + deadline))


def test_an_architecture_ctranslate2_cannot_convert_runs_on_torch_with_a_warning(
    tmp_path: Path, packaged_hf_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = tiny_model(tmp_path / "neo", packaged_hf_folder, "gpt_neo")
    generator = LocalGenerator(model, cache_dir=str(tmp_path / "cache"))

    with caplog.at_level(logging.WARNING):
        generation = generate(generator)

    assert generator.runtime == "torch"
    assert 0 < generation.tokens <= 5
    assert any("CTranslate2 cannot run the generator model 'neo'" in r.message for r in caplog.records)


def test_a_supported_architecture_is_converted_once_and_runs_on_ctranslate2(
    tmp_path: Path, packaged_hf_folder: Path
) -> None:
    model = tiny_model(tmp_path / "llama", packaged_hf_folder, "llama")
    cache = tmp_path / "cache"

    first = LocalGenerator(model, cache_dir=str(cache))
    generation = generate(first)
    entries = sorted(p.name for p in cache.iterdir())
    LocalGenerator(model, cache_dir=str(cache)).load()

    assert first.runtime == "ctranslate2"
    assert 0 < generation.tokens <= 5
    assert [name for name in entries if name.startswith("ct2-int8-llama-")] == entries
    assert sorted(p.name for p in cache.iterdir()) == entries  # the second load converted nothing


def test_a_corrupt_cached_conversion_falls_back_to_torch(
    tmp_path: Path, packaged_hf_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = tiny_model(tmp_path / "llama", packaged_hf_folder, "llama")
    generator = LocalGenerator(model, cache_dir=str(tmp_path / "cache"))
    entry = tmp_path / "cache" / f"ct2-int8-{generator._model_key}"
    entry.mkdir(parents=True)
    (entry / "model.bin").write_bytes(b"not a model")

    with caplog.at_level(logging.WARNING):
        generation = generate(generator)

    assert generator.runtime == "torch" and generation.tokens > 0
    assert any("generating with transformers/torch instead" in r.message for r in caplog.records)


@pytest.mark.parametrize("name, content", [("missing.gguf", None), ("corrupt.gguf", b"GGUF but not really")])
def test_a_missing_or_corrupt_model_file_is_logged_at_start_and_answers_extractively(
    tmp_path: Path, name: str, content: bytes | None, encoder, retrieve, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)

    with caplog.at_level(logging.ERROR):
        generator = LocalGenerator(path, cache_dir=str(tmp_path / "cache"), preload=True)
        generator._executor.submit(lambda: None).result(timeout=120)  # the preload has finished
    assert any(
        f"Could not load the generator model '{path}'" in r.message and "extractive" in r.message
        for r in caplog.records
    )

    with pytest.raises(GeneratorError):
        generate(generator)
    question = "how many days do I have to send something back?"
    answer = asyncio.run(
        KnowledgeResponder(encoder, generator, ResponderSettings()).respond(question, retrieve(question))
    )
    assert (answer.mode, answer.reason) == (EXTRACTIVE, REASON_BACKEND)
    assert "30 days" in answer.text


def test_a_corrupt_ctranslate2_folder_is_a_generator_error(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"not a model")
    with pytest.raises(GeneratorError, match="could not be loaded"):
        generate(LocalGenerator(tmp_path))
