"""The generator on transformers/torch: the fallback for models CTranslate2 cannot load.

About 3x slower than ct2_runtime on a small CPU, so it generates one greedy candidate per reply.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rasa_llm.knowledge.stopping import is_finished

DTYPES = ("float32", "bfloat16")


class TorchRuntime:
    """A loaded transformers causal LM and its tokenizer."""

    name = "torch"

    def __init__(self, folder: Path, dtype: str, max_sentences: int) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if dtype not in DTYPES:
            raise ValueError(f"Unknown dtype '{dtype}'; use one of {', '.join(DTYPES)}.")
        self.max_sentences = max_sentences
        self._tokenizer = AutoTokenizer.from_pretrained(folder)
        self._model = AutoModelForCausalLM.from_pretrained(folder, dtype=getattr(torch, dtype)).eval()

    def generate(
        self, messages: list[dict[str, str]], max_tokens: int, deadline: float, candidates: int
    ) -> Any:
        import torch

        from rasa_llm.knowledge.generators import Generation

        started = time.monotonic()
        inputs = self._tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        prompt_length = inputs["input_ids"].shape[1]
        with torch.inference_mode():
            output = self._model.generate(
                **inputs,
                max_new_tokens=max_tokens,
                do_sample=False,
                stopping_criteria=self._stopping_criteria(prompt_length, deadline),
                pad_token_id=self._tokenizer.eos_token_id,
            )
        new_tokens = output[0, prompt_length:]
        text = self._tokenizer.decode(new_tokens, skip_special_tokens=True).strip()
        return Generation(text=text, tokens=int(new_tokens.shape[0]), seconds=time.monotonic() - started)

    def _stopping_criteria(self, prompt_length: int, deadline: float) -> Any:
        from transformers import StoppingCriteria, StoppingCriteriaList

        tokenizer, max_sentences = self._tokenizer, self.max_sentences

        class Stop(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                if time.monotonic() >= deadline:
                    return True
                return is_finished(
                    tokenizer.decode(input_ids[0, prompt_length:], skip_special_tokens=True), max_sentences
                )

        return StoppingCriteriaList([Stop()])
