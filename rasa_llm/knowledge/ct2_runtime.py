"""The generator on CTranslate2: int8 weights, about 3x the tokens per second of transformers/torch fp32.

The model is converted once from a Hugging Face folder (the dequantized GGUF of cache.py) into a cached
CTranslate2 folder, which also holds the tokenizer. Several answer candidates are decoded in one batch,
each from another of the model's most likely first words and greedily from there: the greedy answer
and its alternatives ("Yes, you can..." and "No, you cannot..."), of which the responder sends the best
that passes verification. No sampling, so the same prompt always gets the same candidates. The model's
state after the part of the prompt that every question shares (rules and worked example) is computed
once and kept. Called from one worker thread only (see generators.LocalGenerator).
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from rasa_llm.knowledge.prompt import shared_messages
from rasa_llm.knowledge.stopping import SentenceStop

logger = logging.getLogger(__name__)

COMPUTE_TYPE = "int8"
# Files of a converted model; their presence marks a folder the runtime can load without conversion.
CT2_MODEL_FILE = "model.bin"


def is_ct2_folder(path: Path) -> bool:
    return path.is_dir() and (path / CT2_MODEL_FILE).is_file()


def convert(hf_folder: Path, target: Path) -> None:
    """Convert a Hugging Face causal LM folder to an int8 CTranslate2 folder with its tokenizer."""
    import ctranslate2
    from transformers import AutoTokenizer

    ctranslate2.converters.TransformersConverter(str(hf_folder), low_cpu_mem_usage=True).convert(
        str(target), quantization=COMPUTE_TYPE, force=True
    )
    AutoTokenizer.from_pretrained(hf_folder).save_pretrained(target)


class CT2Runtime:
    """A loaded CTranslate2 generator and its tokenizer."""

    name = "ctranslate2"

    def __init__(self, folder: Path, threads: int, max_sentences: int) -> None:
        import ctranslate2
        from transformers import AutoTokenizer

        self.max_sentences = max_sentences
        self._tokenizer = AutoTokenizer.from_pretrained(folder)
        # One generation at a time per process (the caller's single worker thread), on at most
        # `threads` cores, so Rasa's event loop and the other turns keep a core.
        self._generator = ctranslate2.Generator(
            str(folder), device="cpu", compute_type=COMPUTE_TYPE, intra_threads=threads, inter_threads=1
        )

    def _split_prompt(self, messages: list[dict[str, str]]) -> tuple[list[str] | None, list[str]]:
        """The prompt's tokens as (shared part or None, the rest)."""
        ids = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True)
        shared = shared_messages(messages)
        if shared:
            prefix = self._tokenizer.apply_chat_template(messages[:shared], add_generation_prompt=False)
            if ids[: len(prefix)] == prefix:
                return (self._tokenizer.convert_ids_to_tokens(prefix),
                        self._tokenizer.convert_ids_to_tokens(ids[len(prefix):]))
        return None, self._tokenizer.convert_ids_to_tokens(ids)

    def generate(
        self, messages: list[dict[str, str]], max_tokens: int, deadline: float, candidates: int
    ) -> Any:
        from rasa_llm.knowledge.generators import Generation

        started = time.monotonic()
        static, prompt = self._split_prompt(messages)
        options = {"static_prompt": static, "include_prompt_in_result": False,
                   "end_token": self._tokenizer.eos_token}
        firsts: list[list[str]] = [[]]
        if candidates > 1:
            # The most likely first tokens, best (the greedy answer's) first.
            alternatives = self._generator.generate_batch(
                [prompt], max_length=1, return_alternatives=True, num_hypotheses=candidates, **options
            )[0].sequences
            eos = self._tokenizer.eos_token
            firsts = [first for first in alternatives if first and first[0] != eos] or [[]]
        first_ids = [self._tokenizer.convert_tokens_to_ids(first) for first in firsts]
        stops = [SentenceStop(self._tokenizer, self.max_sentences, deadline, ids) for ids in first_ids]

        def on_token(step: Any) -> bool:
            return stops[step.batch_id].add(step.token_id)

        results = self._generator.generate_batch(
            [prompt + first for first in firsts],
            max_length=max(1, max_tokens - (1 if candidates > 1 else 0)),
            callback=on_token,
            **options,
        )
        sequences = [ids + result.sequences_ids[0] for ids, result in zip(first_ids, results, strict=True)]
        texts = [self._tokenizer.decode(ids, skip_special_tokens=True).strip() for ids in sequences]
        return Generation(
            text=texts[0],
            tokens=sum(len(ids) for ids in sequences),
            seconds=time.monotonic() - started,
            candidates=tuple(texts) if len(texts) > 1 else (),
        )
