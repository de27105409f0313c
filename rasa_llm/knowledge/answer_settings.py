"""The knowledge answers' settings (the `nlg:` section of endpoints.yml) and the objects they build.

Retrieval (which passages, how many, how they are scored, the sentence encoder) is set on
KnowledgeRetriever in config.yml; the answers use the passages and the encoder it hands them. Kept free
of Rasa so the benchmarks and the tests build exactly what the bot builds.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rasa_llm.knowledge.encoder import SentenceEncoder
from rasa_llm.knowledge.generators import (
    DTYPES,
    Generator,
    LocalGenerator,
    OpenAICompatibleGenerator,
    RememberingGenerator,
)
from rasa_llm.knowledge.relevance import RelevanceCheck
from rasa_llm.knowledge.responder import KnowledgeResponder, ResponderSettings
from rasa_llm.shared.models import default_generator_path, resolve_model_path

# local: CTranslate2 int8 (torch when CTranslate2 cannot load the model); torch: transformers/torch
# only; none: no model is loaded, every answer is extractive.
GENERATOR_BACKENDS = ("local", "torch", "openai", "none")
_RESPONDER_KEYS = {field.name for field in dataclasses.fields(ResponderSettings)}
# Settings that were read here once: where they are set now.
_MOVED = {
    "min_retrieval_score": "set it on rasa_llm.KnowledgeRetriever in config.yml (the retriever hands over "
    "only the passages that score at least this much)",
    "encoder": "set it on rasa_llm.KnowledgeRetriever in config.yml (the answers use the retriever's "
    "encoder)",
    "encoder_backend": "set it on rasa_llm.KnowledgeRetriever in config.yml (the answers use the retriever's "
    "encoder)",
    "context_passages": "an answer is written from the best relevant passage; how many passages it is chosen "
    "from is KnowledgeRetriever's top_k in config.yml",
    "generate": "use `backend: none` for extractive answers without a model",
    "temperature": "answer candidates are no longer sampled: each starts from another of the model's "
    "likeliest first words and is decoded greedily (`candidates` sets how many)",
    "top_k": "answer candidates are no longer sampled (`candidates` sets how many); the passages' top_k is "
    "rasa_llm.KnowledgeRetriever's in config.yml",
}


class ConfigurationError(ValueError):
    """A setting has a wrong name, type or value (the message names it)."""


@dataclass(frozen=True)
class KnowledgeAnswerConfig:
    backend: str = "local"
    model: str | None = None
    url: str | None = None
    api_key_env: str | None = None
    dtype: str = "float32"  # of the torch runtime
    # CPU threads of one generation (one at a time per process). One: on the 2-core reference machine
    # CTranslate2 decodes a 135M model's token in ~31 ms on one thread and ~50 ms on two (too little
    # work per layer to share), and the other core stays with Rasa.
    threads: int = 1
    cache_dir: str | None = None  # the generator's converted weights; None: ~/.cache/rasa_llm
    # Generations kept for prompts asked again word for word (0: none); see RememberingGenerator.
    remembered_answers: int = 256
    preload: bool = True
    response: str = "utter_knowledge_answer"
    order_response: str = "utter_knowledge_order_lookup"
    handoff_payload: str = "/contact_human_agent"
    handoff_title: str = "Talk to a person"
    # Intents whose rule answers with a fixed response although the knowledge base may answer the
    # message better: their response is replaced by the best relevant passage (the template stays when
    # no passage is relevant). The designer's one list; rasa_llm/knowledge/relevance.py says how
    # relevance is judged.
    informational_intents: tuple[str, ...] = ()
    # Question vs the closest sentence of a reply, below which the reply is not sent (calibrated).
    min_relevance: float = 0.45
    # Turns of the conversation before the question that go into the prompt (customer + bot = 2).
    history_turns: int = 2
    # The decline of out-of-scope requests: sent only when no passage passes the relevance check, so a
    # shop question or a follow-up ("and for Canada?") the classifier took for out of scope is answered.
    decline_response: str = "utter_out_of_scope"
    responder: ResponderSettings = ResponderSettings()

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> KnowledgeAnswerConfig:
        """Settings from a flat mapping; unknown keys are an error, so typos do not pass silently."""
        own = {field.name for field in dataclasses.fields(cls)} - {"responder"}
        moved = sorted(set(values) & set(_MOVED))
        if moved:
            raise ConfigurationError(
                " ".join(f"`{key}` is no longer an nlg setting: {_MOVED[key]}." for key in moved)
            )
        unknown = set(values) - own - _RESPONDER_KEYS
        if unknown:
            raise ConfigurationError(f"Unknown knowledge answer setting(s): {', '.join(sorted(unknown))}.")
        try:
            responder = ResponderSettings(
                **{k: v for k, v in values.items() if k in _RESPONDER_KEYS and v is not None}
            )
            own_values = {k: v for k, v in values.items() if k in own and v is not None}
            if "informational_intents" in own_values:
                own_values["informational_intents"] = _names(own_values["informational_intents"])
            config = cls(**own_values, responder=responder)
        except (TypeError, ValueError) as error:
            raise ConfigurationError(f"Invalid knowledge answer settings: {error}") from error
        if not 0.0 <= float(config.min_relevance) <= 1.0:
            raise ConfigurationError(f"min_relevance must be between 0 and 1, not {config.min_relevance}.")
        if config.backend not in GENERATOR_BACKENDS:
            raise ConfigurationError(
                f"backend must be one of {', '.join(GENERATOR_BACKENDS)}, not '{config.backend}'."
            )
        if config.dtype not in DTYPES:
            raise ConfigurationError(f"dtype must be one of {', '.join(DTYPES)}, not '{config.dtype}'.")
        if config.history_turns < 0 or config.remembered_answers < 0:
            raise ConfigurationError("history_turns and remembered_answers must be 0 or more.")
        if not 1 <= config.threads <= 16:
            raise ConfigurationError("threads must be between 1 and 16.")
        if config.backend == "openai" and not (config.url and config.model):
            raise ConfigurationError(
                "The openai backend needs `url` (e.g. http://127.0.0.1:8000/v1) and `model`."
            )
        return config

    def build_generator(self) -> Generator | None:
        generator = self._build_backend()
        if generator is None or self.remembered_answers == 0:
            return generator
        return RememberingGenerator(generator, self.remembered_answers)

    def _build_backend(self) -> Generator | None:
        if self.backend == "none":
            return None
        if self.backend == "openai":
            return OpenAICompatibleGenerator(self.url or "", self.model or "", self.api_key_env)
        path = resolve_model_path(self.model, default_generator_path(), "generator model")
        return LocalGenerator(
            path,
            runtime="torch" if self.backend == "torch" else "ctranslate2",
            dtype=self.dtype,
            max_sentences=self.responder.max_sentences,
            threads=self.threads,
            cache_dir=self.cache_dir,
            preload=self.preload,
        )

    def build_responder(self, encoder: SentenceEncoder, generator: Generator | None) -> KnowledgeResponder:
        """The responder for answers checked with `encoder` (the retriever's); a generated answer is
        held to `min_relevance` like every other reply."""
        return KnowledgeResponder(encoder, generator, self.responder, self.min_relevance)

    def build_relevance_check(self, encoder: SentenceEncoder) -> RelevanceCheck:
        return RelevanceCheck(encoder, self.min_relevance)


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not all(isinstance(item, str) for item in value):
        raise ValueError("informational_intents must be a list of intent names.")
    return tuple(value)
