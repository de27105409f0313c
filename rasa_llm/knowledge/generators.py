"""Text generation backends: a local transformers model and an OpenAI-compatible HTTP server.

Both are awaited from Rasa's event loop and never block it. The local model runs on one dedicated
worker thread (a second concurrent generation would only halve the speed of both on a small CPU),
loads once per process, and stops at a deadline so that a reply that timed out does not keep the CPU
busy. A GGUF file is dequantized once and the result cached on disk (see cache.py): loading the
cached weights takes a fraction of a second instead of half a minute.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rasa_llm.knowledge.cache import cache_root, cached_folder, hash_files

logger = logging.getLogger(__name__)

Messages = list[dict[str, str]]
DTYPES = ("float32", "bfloat16")


class GeneratorError(RuntimeError):
    """The backend could not produce an answer (down, misconfigured, malformed reply)."""


@dataclass(frozen=True)
class Generation:
    text: str
    tokens: int
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


class Generator(Protocol):
    async def generate(self, messages: Messages, max_tokens: int, deadline: float) -> Generation:
        """Answer the chat `messages`; `deadline` is a time.monotonic() value to finish by."""


class LocalGenerator:
    """A causal LM from a Hugging Face folder or a GGUF file, run with transformers on the CPU."""

    def __init__(
        self,
        model_path: Path,
        dtype: str = "float32",
        max_sentences: int = 2,
        cache_dir: str | None = None,
        preload: bool = False,
    ) -> None:
        if dtype not in DTYPES:
            raise ValueError(f"Unknown dtype '{dtype}'; use one of {', '.join(DTYPES)}.")
        self.model_path = model_path
        self.dtype = dtype
        self.max_sentences = max_sentences
        self.cache_dir = cache_dir
        self._model: Any = None
        self._tokenizer: Any = None
        self._load_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rasa-llm-generator")
        if preload:
            # Import transformers' shared modules on this thread first. Left to the worker, they are
            # imported while Rasa's thread loads the intent classifier, and Python hands one thread
            # the other's half-initialised module ("cannot import name 'AutoTokenizer'"): no model.
            import transformers.modeling_utils  # noqa: F401
            import transformers.tokenization_utils_fast  # noqa: F401
            from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: F401

            self._executor.submit(self._load_logged)

    def _load_logged(self) -> None:
        try:
            self.load()
        except Exception:  # noqa: BLE001 - reported here; the first reply reports it again
            logger.exception(f"Could not load the generator model '{self.model_path}'.")

    def load(self) -> None:
        """Load the model and tokenizer once (thread-safe); later calls return at once."""
        with self._load_lock:
            if self._model is not None:
                return
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            started = time.monotonic()
            folder = self._weights_folder()
            tokenizer = AutoTokenizer.from_pretrained(folder)
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=getattr(torch, self.dtype)).eval()
            self._tokenizer, self._model = tokenizer, model
            logger.info(f"Loaded generator '{self.model_path.name}' in {time.monotonic() - started:.1f} s.")

    def _weights_folder(self) -> Path:
        if self.model_path.is_dir():
            return self.model_path
        if self.model_path.suffix.lower() != ".gguf":
            raise GeneratorError(f"The generator model '{self.model_path}' is neither a folder nor a .gguf file.")
        key = f"generator-{self.model_path.stem}-{hash_files(self.model_path)}"
        return cached_folder(cache_root(self.cache_dir), key, self._convert_gguf)

    def _convert_gguf(self, folder: Path) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        source, name = self.model_path.parent, self.model_path.name
        AutoTokenizer.from_pretrained(source, gguf_file=name).save_pretrained(folder)
        AutoModelForCausalLM.from_pretrained(source, gguf_file=name).save_pretrained(folder)

    async def generate(self, messages: Messages, max_tokens: int, deadline: float) -> Generation:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._generate_blocking, messages, max_tokens, deadline)

    def _generate_blocking(self, messages: Messages, max_tokens: int, deadline: float) -> Generation:
        if time.monotonic() >= deadline:
            # Waited in the queue past the reply's deadline: the caller has already answered.
            raise GeneratorError("The reply's deadline passed before generation started.")
        try:
            self.load()
        except GeneratorError:
            raise
        except Exception as error:  # noqa: BLE001 - any load failure: the reply goes extractive
            raise GeneratorError(f"The generator model could not be loaded: {error}") from error
        import torch

        started = time.monotonic()
        inputs = self._tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        prompt_length = inputs["input_ids"].shape[1]
        stops = _stopping_criteria(self._tokenizer, prompt_length, self.max_sentences, deadline)
        with torch.inference_mode():
            output = self._model.generate(
                **inputs,
                max_new_tokens=max_tokens,
                do_sample=False,
                stopping_criteria=stops,
                pad_token_id=self._tokenizer.eos_token_id,
            )
        new_tokens = output[0, prompt_length:]
        text = self._tokenizer.decode(new_tokens, skip_special_tokens=True)
        return Generation(text=text.strip(), tokens=int(new_tokens.shape[0]), seconds=time.monotonic() - started)


_CONFIRMED_END = re.compile(r"[.!?]\s")
# A final "." right after a whole number may be a decimal point ("$4." before "95"): not an end yet.
_FINAL_END = re.compile(r"(?:[^\d\s]|\d[.,]\d+)[.!?]$")


def count_sentence_ends(text: str) -> int:
    """Sentence ends in text generated so far."""
    return len(_CONFIRMED_END.findall(text)) + (1 if _FINAL_END.search(text) else 0)


def _stopping_criteria(tokenizer: Any, prompt_length: int, max_sentences: int, deadline: float) -> Any:
    from transformers import StoppingCriteria, StoppingCriteriaList

    class Deadline(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
            return time.monotonic() >= deadline

    class SentenceLimit(StoppingCriteria):
        """Stops after `max_sentences` sentences or a blank line: replies are short, and small
        models tend to carry on by inventing the customer's next question."""

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
            text = tokenizer.decode(input_ids[0, prompt_length:], skip_special_tokens=True).strip()
            return "\n\n" in text or count_sentence_ends(text) >= max_sentences

    return StoppingCriteriaList([Deadline(), SentenceLimit()])


class OpenAICompatibleGenerator:
    """POST /chat/completions on an OpenAI-compatible server (vLLM, llama.cpp server, OpenAI...)."""

    def __init__(self, url: str, model: str, api_key_env: str | None = None, stop: list[str] | None = None) -> None:
        if not url:
            raise ValueError("The openai backend needs `url`, e.g. http://127.0.0.1:8000/v1.")
        url = url.rstrip("/")
        self.url = url if url.endswith("/chat/completions") else f"{url}/chat/completions"
        self.model = model
        self.api_key_env = api_key_env
        self.stop = stop or ["\n\n"]

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    async def generate(self, messages: Messages, max_tokens: int, deadline: float) -> Generation:
        import aiohttp

        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise GeneratorError("The reply's deadline passed before the request was sent.")
        body = {"model": self.model, "messages": messages, "max_tokens": max_tokens, "temperature": 0, "stop": self.stop}
        started = time.monotonic()
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=remaining)) as session:
                async with session.post(self.url, json=body, headers=self._headers()) as response:
                    if response.status != 200:
                        # The body may echo the request; only the status is logged.
                        raise GeneratorError(f"The LLM server answered HTTP {response.status}.")
                    payload = await response.json(content_type=None)
        except aiohttp.ClientError as error:
            raise GeneratorError(f"The LLM server at {self.url} could not be reached: {type(error).__name__}.") from error
        except ValueError as error:
            raise GeneratorError("The LLM server did not answer with JSON.") from error
        try:
            text = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as error:
            raise GeneratorError("The LLM server's reply has no choices[0].message.content.") from error
        if not isinstance(text, str):
            raise GeneratorError("The LLM server's message content is not text.")
        usage = payload.get("usage") if isinstance(payload, dict) else None
        tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
        return Generation(
            text=text.strip(),
            tokens=int(tokens) if isinstance(tokens, int) else len(text.split()),
            seconds=time.monotonic() - started,
        )
