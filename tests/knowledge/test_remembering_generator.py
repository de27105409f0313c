"""RememberingGenerator: a prompt asked again word for word is answered from memory, a prompt asked
while it is being answered waits for that generation, and nothing unfinished is remembered."""
from __future__ import annotations

import asyncio
import time

import pytest

from rasa_llm.knowledge.answer_settings import ConfigurationError, KnowledgeAnswerConfig
from rasa_llm.knowledge.generators import Generation, GeneratorError, RememberingGenerator


def ask(question: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "Answer from: returns within 30 days."},
        {"role": "user", "content": question},
    ]


class CountingGenerator:
    """Answers after `seconds`; fails when told to; counts the generations it ran."""

    def __init__(self, seconds: float = 0.0, fail: bool = False) -> None:
        self.seconds = seconds
        self.fail = fail
        self.prompts: list[str] = []

    async def generate(self, messages, max_tokens, deadline, candidates=1) -> Generation:
        self.prompts.append(messages[-1]["content"])
        await asyncio.sleep(self.seconds)
        if self.fail:
            raise GeneratorError("backend down")
        text = f"answer {len(self.prompts)} to {messages[-1]['content']}"
        return Generation(text=text, tokens=5, seconds=self.seconds, candidates=(text,) * candidates)


def later(seconds: float = 5.0) -> float:
    return time.monotonic() + seconds


def test_the_same_prompt_is_generated_once_and_another_prompt_again():
    inner = CountingGenerator()
    remembering = RememberingGenerator(inner, size=8)

    async def scenario():
        first = await remembering.generate(ask("can I return it?"), 40, later())
        again = await remembering.generate(ask("can I return it?"), 40, later())
        other = await remembering.generate(ask("do you ship to Canada?"), 40, later())
        longer = await remembering.generate(ask("can I return it?"), 80, later())
        return first, again, other, longer

    first, again, other, longer = asyncio.run(scenario())
    assert again.text == first.text == "answer 1 to can I return it?"
    assert other.text == "answer 2 to do you ship to Canada?"
    assert longer.text == "answer 3 to can I return it?"  # max_tokens is part of the prompt's identity
    assert len(inner.prompts) == 3


def test_customers_asking_at_once_share_one_generation():
    inner = CountingGenerator(seconds=0.2)
    remembering = RememberingGenerator(inner, size=8)

    async def scenario():
        asking = [remembering.generate(ask("can I return it?"), 40, later()) for _ in range(5)]
        return await asyncio.gather(*asking)

    answers = asyncio.run(scenario())
    assert {answer.text for answer in answers} == {"answer 1 to can I return it?"}
    assert len(inner.prompts) == 1


def test_a_caller_that_times_out_leaves_the_generation_to_the_others():
    inner = CountingGenerator(seconds=0.3)
    remembering = RememberingGenerator(inner, size=8)

    async def scenario():
        impatient = asyncio.wait_for(remembering.generate(ask("can I return it?"), 40, later()), timeout=0.05)
        patient = remembering.generate(ask("can I return it?"), 40, later())
        return await asyncio.gather(impatient, patient, return_exceptions=True)

    impatient, patient = asyncio.run(scenario())
    assert isinstance(impatient, asyncio.TimeoutError)
    assert patient.text == "answer 1 to can I return it?" and len(inner.prompts) == 1


def test_failed_and_late_generations_are_not_remembered():
    async def twice(generator, deadline_in: float, candidates: int = 1):
        remembering = RememberingGenerator(generator, size=8)
        for _ in range(2):
            try:
                await remembering.generate(ask("can I return it?"), 40, later(deadline_in), candidates)
            except GeneratorError:
                pass
        return len(generator.prompts)

    assert asyncio.run(twice(CountingGenerator(fail=True), 5.0)) == 2
    assert asyncio.run(twice(CountingGenerator(seconds=0.1), 0.05)) == 2  # past its deadline: cut short
    assert asyncio.run(twice(CountingGenerator(), 5.0)) == 1


def test_several_candidates_are_remembered_apart_from_one():
    # The local model's candidates are greedy continuations of its likeliest first words: the same
    # prompt always gets the same ones, so they are remembered like a single answer.
    inner = CountingGenerator()
    remembering = RememberingGenerator(inner, size=8)

    async def scenario():
        first = await remembering.generate(ask("can I return it?"), 40, later(), 3)
        again = await remembering.generate(ask("can I return it?"), 40, later(), 3)
        single = await remembering.generate(ask("can I return it?"), 40, later(), 1)
        return first, again, single

    first, again, single = asyncio.run(scenario())
    assert again is first and len(first.texts) == 3
    assert len(single.texts) == 1 and len(inner.prompts) == 2


def test_only_the_most_recent_prompts_are_kept():
    inner = CountingGenerator()
    remembering = RememberingGenerator(inner, size=2)

    async def scenario():
        for question in ("a?", "b?", "c?", "a?", "c?"):
            await remembering.generate(ask(question), 40, later())

    asyncio.run(scenario())
    assert inner.prompts == ["a?", "b?", "c?", "a?"]


def test_the_setting_wraps_the_backend_and_zero_turns_it_off():
    server = {"backend": "openai", "url": "http://127.0.0.1:9/v1", "model": "m"}
    assert isinstance(KnowledgeAnswerConfig.from_dict(server).build_generator(), RememberingGenerator)
    off = KnowledgeAnswerConfig.from_dict({**server, "remembered_answers": 0})
    assert not isinstance(off.build_generator(), RememberingGenerator)
    assert KnowledgeAnswerConfig.from_dict({"backend": "none"}).build_generator() is None
    with pytest.raises(ConfigurationError):
        KnowledgeAnswerConfig.from_dict({"remembered_answers": -1})
