"""The generative fallback's settings (the `nlg:` section of endpoints.yml) and the objects they build.

Kept free of Rasa so the benchmark and the tests build exactly what the bot builds.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rasa_llm.knowledge.encoder import BACKENDS as ENCODER_BACKENDS
from rasa_llm.knowledge.encoder import SentenceEncoder, load_encoder
from rasa_llm.knowledge.generators import DTYPES, Generator, LocalGenerator, OpenAICompatibleGenerator
from rasa_llm.knowledge.relevance import RelevanceCheck
from rasa_llm.knowledge.responder import KnowledgeResponder, ResponderSettings
from rasa_llm.shared.models import default_encoder_path, default_generator_path, resolve_model_path

# local: CTranslate2 int8 (torch when CTranslate2 cannot load the model); torch: transformers/torch only.
GENERATOR_BACKENDS = ("local", "torch", "openai", "none")
_RESPONDER_KEYS = {field.name for field in dataclasses.fields(ResponderSettings)}


class ConfigurationError(ValueError):
    """A setting has a wrong name, type or value (the message names it)."""


@dataclass(frozen=True)
class KnowledgeAnswerConfig:
    backend: str = "local"
    model: str | None = None
    url: str | None = None
    api_key_env: str | None = None
    dtype: str = "float32"  # of the torch runtime
    threads: int = 2  # CPU threads of one generation (one at a time per process)
    temperature: float = 0.7  # sampling of the answer candidates beyond the first
    top_k: int = 20
    encoder: str | None = None
    encoder_backend: str = "onnx"
    cache_dir: str | None = None
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
    # The decline of out-of-scope requests: sent only when no passage passes the relevance check, so a
    # shop question or a follow-up ("and for Canada?") the classifier took for out of scope is answered.
    decline_response: str = "utter_out_of_scope"
    responder: ResponderSettings = ResponderSettings()

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> KnowledgeAnswerConfig:
        """Settings from a flat mapping; unknown keys are an error, so typos do not pass silently."""
        own = {field.name for field in dataclasses.fields(cls)} - {"responder"}
        unknown = set(values) - own - _RESPONDER_KEYS
        if unknown:
            raise ConfigurationError(f"Unknown knowledge answer setting(s): {', '.join(sorted(unknown))}.")
        try:
            responder = ResponderSettings(**{k: v for k, v in values.items() if k in _RESPONDER_KEYS and v is not None})
            own_values = {k: v for k, v in values.items() if k in own and v is not None}
            if "informational_intents" in own_values:
                own_values["informational_intents"] = _names(own_values["informational_intents"])
            config = cls(**own_values, responder=responder)
        except (TypeError, ValueError) as error:
            raise ConfigurationError(f"Invalid knowledge answer settings: {error}") from error
        if not 0.0 <= float(config.min_relevance) <= 1.0:
            raise ConfigurationError(f"min_relevance must be between 0 and 1, not {config.min_relevance}.")
        if config.backend not in GENERATOR_BACKENDS:
            raise ConfigurationError(f"backend must be one of {', '.join(GENERATOR_BACKENDS)}, not '{config.backend}'.")
        if config.dtype not in DTYPES:
            raise ConfigurationError(f"dtype must be one of {', '.join(DTYPES)}, not '{config.dtype}'.")
        if config.encoder_backend not in ENCODER_BACKENDS:
            raise ConfigurationError(f"encoder_backend must be one of {', '.join(ENCODER_BACKENDS)}.")
        if not 1 <= config.threads <= 16:
            raise ConfigurationError("threads must be between 1 and 16.")
        if config.temperature <= 0 or config.top_k < 1:
            raise ConfigurationError("temperature must be positive and top_k at least 1.")
        if config.backend == "openai" and not (config.url and config.model):
            raise ConfigurationError("The openai backend needs `url` (e.g. http://127.0.0.1:8000/v1) and `model`.")
        return config

    def build_generator(self) -> Generator | None:
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
            temperature=self.temperature,
            top_k=self.top_k,
            cache_dir=self.cache_dir,
            preload=self.preload,
        )

    def build_responder(self) -> KnowledgeResponder:
        encoder_path = resolve_model_path(self.encoder, default_encoder_path(), "encoder model")
        encoder = load_encoder(encoder_path, backend=self.encoder_backend, cache_dir=self.cache_dir)
        return KnowledgeResponder(encoder, self.build_generator(), self.responder)

    def build_relevance_check(self, encoder: SentenceEncoder) -> RelevanceCheck:
        return RelevanceCheck(encoder, self.responder.min_retrieval_score, self.min_relevance)

    def as_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values.update(values.pop("responder"))
        return values


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not all(isinstance(item, str) for item in value):
        raise ValueError("informational_intents must be a list of intent names.")
    return tuple(value)
