"""The generator on CTranslate2: int8 weights, about 3x the tokens per second of transformers/torch fp32.

The model is converted once from a Hugging Face folder (the dequantized GGUF of cache.py) into a cached
CTranslate2 folder, which also holds the tokenizer. Several answer candidates are sampled in one batch:
on a small CPU a batch of four costs little more than one sequence, and the responder sends the best
one that passes verification. Called from one worker thread only (see generators.LocalGenerator).
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

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

    def __init__(
        self, folder: Path, threads: int, max_sentences: int, temperature: float, top_k: int
    ) -> None:
        import ctranslate2
        from transformers import AutoTokenizer

        self.max_sentences = max_sentences
        self.temperature = temperature
        self.top_k = top_k
        self._tokenizer = AutoTokenizer.from_pretrained(folder)
        # One generation at a time per process (the caller's single worker thread), on at most
        # `threads` cores, so Rasa's event loop and the other turns keep a core.
        self._generator = ctranslate2.Generator(
            str(folder), device="cpu", compute_type=COMPUTE_TYPE, intra_threads=threads, inter_threads=1
        )

    def generate(
        self, messages: list[dict[str, str]], max_tokens: int, deadline: float, candidates: int
    ) -> Any:
        from rasa_llm.knowledge.generators import Generation

        started = time.monotonic()
        ids = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True)
        prompt = self._tokenizer.convert_ids_to_tokens(ids)
        stops = [SentenceStop(self._tokenizer, self.max_sentences, deadline) for _ in range(candidates)]

        def on_token(step: Any) -> bool:
            return stops[step.batch_id].add(step.token_id)

        sampling = candidates > 1
        results = self._generator.generate_batch(
            [prompt] * candidates,
            max_length=max_tokens,
            include_prompt_in_result=False,
            end_token=self._tokenizer.eos_token,
            sampling_topk=self.top_k if sampling else 1,
            sampling_temperature=self.temperature if sampling else 1.0,
            callback=on_token,
        )
        sequences = [result.sequences_ids[0] for result in results]
        texts = [self._tokenizer.decode(ids, skip_special_tokens=True).strip() for ids in sequences]
        return Generation(
            text=texts[0],
            tokens=sum(len(ids) for ids in sequences),
            seconds=time.monotonic() - started,
            candidates=tuple(texts),
        )
