"""The local backend with the packaged SmolLM2 GGUF, on both runtimes (CTranslate2 and torch): loads
once, stops on time, never blocks the loop.

The first run on a machine dequantizes and converts the GGUF into the cache (about a minute on 2
cores); later runs load the cached weights.
"""
from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from rasa_llm.knowledge.cache import cached_folder
from rasa_llm.knowledge.generators import GeneratorError, LocalGenerator
from rasa_llm.knowledge.stopping import count_sentence_ends
from rasa_llm.shared.models import default_generator_path

MESSAGES = [
    {
        "role": "system",
        "content": "Answer in one short sentence, using only these facts:\n- Returns: within 30 days.",
    },
    {"role": "user", "content": "How long do I have to return an item?"},
]


@pytest.fixture(scope="module", params=["ctranslate2", "torch"])
def generator(request: pytest.FixtureRequest) -> LocalGenerator:
    generator = LocalGenerator(default_generator_path(), runtime=request.param, max_sentences=1)
    generator.load()
    assert generator.runtime == request.param
    return generator


def test_the_model_loads_once_even_when_asked_from_many_threads(generator: LocalGenerator) -> None:
    model = generator._runtime
    threads = [threading.Thread(target=generator.load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert generator._runtime is model


def test_ctranslate2_candidates_start_with_the_likeliest_first_words_every_time() -> None:
    generator = LocalGenerator(default_generator_path(), max_sentences=1)

    def generate(candidates: int):
        return asyncio.run(
            generator.generate(MESSAGES, max_tokens=12, deadline=time.monotonic() + 60, candidates=candidates)
        )

    several, again = generate(3), generate(3)

    assert generator.runtime == "ctranslate2"
    assert len(several.texts) == 3 and several.texts[0] == several.text
    # Each starts with another of the likeliest first words (int8 arithmetic in a batch may round
    # differently from one sequence alone, so the first is the greedy answer up to that rounding).
    assert len({text.split()[0] for text in several.texts}) == 3
    assert again.texts == several.texts  # no sampling: the same prompt, the same candidates


def test_generation_respects_the_token_limit(generator: LocalGenerator) -> None:
    generation = asyncio.run(generator.generate(MESSAGES, max_tokens=5, deadline=time.monotonic() + 60))
    assert 0 < generation.tokens <= 5
    assert generation.text


def test_a_deadline_that_passed_in_the_queue_skips_the_work(generator: LocalGenerator) -> None:
    with pytest.raises(GeneratorError, match="deadline passed"):
        asyncio.run(generator.generate(MESSAGES, max_tokens=5, deadline=time.monotonic() - 1))


def test_the_deadline_stops_a_long_generation(generator: LocalGenerator) -> None:
    long_answer = [MESSAGES[0], {"role": "user", "content": "Write a long story about a tent."}]
    generation = asyncio.run(generator.generate(long_answer, max_tokens=500, deadline=time.monotonic() + 0.5))
    assert generation.tokens < 500


def test_other_coroutines_run_while_the_model_generates(generator: LocalGenerator) -> None:
    async def scenario() -> tuple[int, int]:
        ticks = 0
        finished_generation = asyncio.Event()

        async def ticker() -> int:
            nonlocal ticks
            while not finished_generation.is_set():
                ticks += 1
                await asyncio.sleep(0.01)
            return ticks

        ticking = asyncio.create_task(ticker())
        await generator.generate(MESSAGES, max_tokens=10, deadline=time.monotonic() + 60)
        ticks_during_generation = ticks
        finished_generation.set()
        return ticks_during_generation, await ticking

    during, _ = asyncio.run(scenario())
    # A blocked event loop would let the ticker run once (before generation started) at most.
    assert during > 2


@pytest.mark.parametrize(
    "text, ends",
    [("It costs $4.", 0), ("It costs $4.95.", 1), ("Returns are free. Refunds take", 1), ("Yes! It is.", 2)],
)
def test_sentence_ends_are_counted_without_decimal_points(text: str, ends: int) -> None:
    assert count_sentence_ends(text) == ends


def test_a_cache_entry_is_built_once(tmp_path: Path) -> None:
    builds = []

    def build(folder: Path) -> None:
        builds.append(folder)
        (folder / "weights.bin").write_bytes(b"converted")

    first = cached_folder(tmp_path, "model-abc", build)
    second = cached_folder(tmp_path, "model-abc", build)

    assert first == second == tmp_path / "model-abc"
    assert len(builds) == 1
    assert (first / "weights.bin").read_bytes() == b"converted"
    assert [p.name for p in tmp_path.iterdir()] == ["model-abc"]  # no staging folder left behind


def test_a_failed_build_leaves_no_entry(tmp_path: Path) -> None:
    def build(folder: Path) -> None:
        (folder / "half.bin").write_bytes(b"...")
        raise RuntimeError("conversion failed")

    with pytest.raises(RuntimeError):
        cached_folder(tmp_path, "model-abc", build)
    assert list(tmp_path.iterdir()) == []


def test_a_path_that_is_no_model_is_refused(tmp_path: Path) -> None:
    not_a_model = tmp_path / "notes.txt"
    not_a_model.write_text("hello")
    with pytest.raises(GeneratorError, match="neither a folder nor a .gguf"):
        LocalGenerator(not_a_model).load()


def test_a_model_that_fails_to_load_is_a_generator_error(tmp_path: Path) -> None:
    # An empty folder is no model: the reply is extractive, not a crash of the conversation.
    with pytest.raises(GeneratorError, match="could not be loaded"):
        asyncio.run(LocalGenerator(tmp_path).generate(MESSAGES, max_tokens=5, deadline=time.monotonic() + 60))
