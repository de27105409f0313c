"""KnowledgeRetriever: owns retrieval from the knowledge base (how many passages, which are good enough).

At `rasa train` it loads the knowledge base (`knowledge_path`, default `data/knowledge`), splits long
passages, embeds them with the sentence encoder (the packaged all-MiniLM-L6-v2 by default) and stores
the index in the model archive. Its fingerprint includes a hash of the knowledge-base files, so when
only they change, Rasa's graph cache retrains this component and nothing else.

When Rasa loads the model, it hands its index, encoder and settings to `KnowledgeAnswerNLG`
(rasa_llm/knowledge/retrieval.py), which retrieves when a reply needs a knowledge answer: one encoder
call (ONNX Runtime) plus a dot product, a few milliseconds spent only on those replies.

In the pipeline it looks only at messages the intent classifier could not place (`nlu_fallback` from
the FallbackClassifier before it, or `out_of_scope`): the intents name what the bot was trained on, the
knowledge base what the shop can answer, and a question that closely matches a passage or a question
customers ask of it (`answerable_score`) is the shop's business even when no intent names it. Such a
message gets `answerable_intent` (the informational intent answered from the knowledge base), its
confidence the retrieval score. Every other message passes untouched, with no encoder call, and so
does an `out_of_scope` prediction at least `certain_out_of_scope` confident.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME as FALLBACK_INTENT
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_llm.knowledge.encoder import BACKENDS, SentenceEncoder, load_encoder
from rasa_llm.knowledge.index import KnowledgeIndex
from rasa_llm.knowledge.kb import chunk_passages, fingerprint_knowledge_base, load_knowledge_base
from rasa_llm.knowledge.retrieval import PassageRetrieval, serve
from rasa_llm.shared.models import default_encoder_path, resolve_model_path

logger = logging.getLogger(__name__)

DEFAULT_KNOWLEDGE_PATH = "data/knowledge"
# What the classifier and the FallbackClassifier call a message they could not place.
OUT_OF_SCOPE = "out_of_scope"
REJECTED_INTENTS = frozenset({FALLBACK_INTENT, OUT_OF_SCOPE})


# Registered as an intent classifier: it trains on the side (as Rasa's ResponseSelector does) and may
# set the intent of a message the classifier rejected.
@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class KnowledgeRetriever(GraphComponent):
    """Indexes the knowledge base at training; serves retrieval to the knowledge answers once loaded."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Folder (or single file) of Markdown passages and the products.yml catalogue.
            "knowledge_path": DEFAULT_KNOWLEDGE_PATH,
            # Passages a knowledge answer chooses from (the relevance check keeps those about the
            # question; the answer is written from the best of them).
            "top_k": 3,
            # Passages scoring below it are not handed over (cosine similarity plus the word-overlap
            # and name terms below; calibrated: benchmarks/answer_benchmark.py --calibrate).
            "min_retrieval_score": 0.5,
            # Longer passages are split into parts of at most this many words.
            "max_chunk_words": 120,
            # Weight of the word-overlap term added to the cosine similarity.
            "lexical_weight": 0.2,
            # Bonus for a product passage whose name the message mentions.
            "name_weight": 0.3,
            # How much a message's similarity to a question customers ask of a passage (questions.yml)
            # counts, against 1 for its similarity to the passage itself.
            "question_weight": 0.8,
            # A message classified `nlu_fallback` / `out_of_scope` whose best passage scores at least
            # `answerable_score` gets this intent (None: never); keep the retriever after the
            # FallbackClassifier in the pipeline so it sees `nlu_fallback`.
            "answerable_intent": None,
            # Calibrated on benchmarks/data/answer_questions.yml's tuning split (README): above the
            # off-topic requests' best passages, below most shop questions the classifier missed.
            "answerable_score": 0.8,
            # An `out_of_scope` prediction at least this confident is final: no encoder pass for the
            # requests the classifier is sure of (most off-topic ones), so their parse stays cheap.
            "certain_out_of_scope": 0.9,
            # A local sentence-encoder folder; None: the packaged all-MiniLM-L6-v2.
            "encoder": None,
            "encoder_backend": "onnx",
            # ONNX Runtime threads of one encoder call (a short question: about 8 ms on one thread of
            # the 2-core reference machine, 5 ms on two).
            "encoder_threads": 2,
            # Where derived model files (the encoder's ONNX export) are cached; None: ~/.cache/rasa_llm.
            "cache_dir": None,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["onnxruntime", "tokenizers"]

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config["top_k"]) < 1 or int(config["max_chunk_words"]) < 10:
            raise ValueError("KnowledgeRetriever needs top_k >= 1 and max_chunk_words >= 10.")
        if not 0.0 <= float(config["question_weight"]) <= 1.0:
            raise ValueError("KnowledgeRetriever: question_weight must be between 0 and 1.")
        if not 0.0 <= float(config["min_retrieval_score"]) <= 2.0:
            raise ValueError(
                "KnowledgeRetriever: min_retrieval_score must be between 0 and 2 (cosine plus bonuses)."
            )
        if not 0.0 <= float(config["answerable_score"]) <= 2.0:
            raise ValueError("KnowledgeRetriever: answerable_score must be between 0 and 2.")
        if not 0.0 <= float(config["certain_out_of_scope"]) <= 1.0:
            raise ValueError("KnowledgeRetriever: certain_out_of_scope must be between 0 and 1.")
        if config["answerable_intent"] is not None and not str(config["answerable_intent"]).strip():
            raise ValueError("KnowledgeRetriever: answerable_intent must name an intent or be null.")
        if int(config["encoder_threads"]) < 1:
            raise ValueError("KnowledgeRetriever: encoder_threads must be 1 or more.")
        if config["encoder_backend"] not in BACKENDS:
            raise ValueError(f"KnowledgeRetriever: encoder_backend must be one of {', '.join(BACKENDS)}.")

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # The knowledge base is read from disk, not passed through the graph: without this, Rasa
        # would reuse a cached index after the passages changed.
        path = Path(config.get("knowledge_path") or DEFAULT_KNOWLEDGE_PATH)
        return fingerprint_knowledge_base(path)

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        index: KnowledgeIndex | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self.validate_config(self.config)
        self._model_storage = model_storage
        self._resource = resource
        self._index = index
        self._encoder: SentenceEncoder | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeRetriever:
        return cls(config, model_storage, resource)

    @property
    def encoder(self) -> SentenceEncoder:
        if self._encoder is None:
            path = resolve_model_path(self.config["encoder"], default_encoder_path(), "sentence encoder")
            self._encoder = load_encoder(
                path,
                backend=self.config["encoder_backend"],
                threads=int(self.config["encoder_threads"]),
                cache_dir=self.config["cache_dir"],
            )
        return self._encoder

    def train(self, training_data: TrainingData) -> Resource:
        """Index the knowledge base (the NLU training data is not used)."""
        path = Path(self.config["knowledge_path"])
        passages = chunk_passages(load_knowledge_base(path), int(self.config["max_chunk_words"]))
        self._index = KnowledgeIndex.build(passages, self.encoder, *self._weights())
        with self._model_storage.write_to(self._resource) as folder:
            self._index.save(folder)
        logger.info("Indexed %d knowledge-base passages from '%s'.", len(passages), path)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> KnowledgeRetriever:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as folder:
                index = KnowledgeIndex.load(folder, *component._weights())
        except ValueError:
            logger.warning(
                "The model has no knowledge-base index for '%s': knowledge answers abstain until the model "
                "is trained with this component.",
                resource.name,
            )
            serve(None)
            return component
        if index.encoder_identity != component.encoder.identity:
            # Vectors from another encoder are not comparable with this one's queries.
            logger.warning("The knowledge index was built with another encoder; re-embedding its passages.")
            index = KnowledgeIndex.build(index.passages, component.encoder, *component._weights())
        component._index = index
        serve(component.retrieval())
        return component

    def _weights(self) -> tuple[float, float, float]:
        """The index's scoring weights (lexical, name, question) from this component's config."""
        return tuple(float(self.config[key]) for key in ("lexical_weight", "name_weight", "question_weight"))

    def retrieval(self) -> PassageRetrieval | None:
        """Retrieval with this component's index and settings; None before training."""
        if self._index is None:
            return None
        return PassageRetrieval(
            self._index, self.encoder, int(self.config["top_k"]), float(self.config["min_retrieval_score"])
        )

    def process(self, messages: list[Message]) -> list[Message]:
        """Give `answerable_intent` to the rejected messages the knowledge base answers closely."""
        if self._index is None or not self.config["answerable_intent"]:
            return messages
        for message in messages:
            intent = message.get(INTENT) or {}
            text = message.get(TEXT) or ""
            if intent.get(INTENT_NAME_KEY) not in REJECTED_INTENTS or not text.strip():
                continue
            if (
                intent.get(INTENT_NAME_KEY) == OUT_OF_SCOPE
                and intent.get(PREDICTED_CONFIDENCE_KEY, 0.0) >= float(self.config["certain_out_of_scope"])
            ):
                continue
            best = self._index.query(self.encoder, text, 1)
            if best and best[0].score >= float(self.config["answerable_score"]):
                self._relabel(message, min(1.0, best[0].score))
        return messages

    def _relabel(self, message: Message, confidence: float) -> None:
        # The classifier's own ranking stays below the new intent; the fallback's entry goes, since
        # the message is no longer a fallback.
        name = str(self.config["answerable_intent"])
        ranking = [
            entry
            for entry in message.get(INTENT_RANKING_KEY) or []
            if entry.get(INTENT_NAME_KEY) not in (name, FALLBACK_INTENT)
        ]
        message.set(INTENT, {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}, add_to_output=True)
        message.set(
            INTENT_RANKING_KEY,
            [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}, *ranking],
            add_to_output=True,
        )
