"""KnowledgeRetriever: finds the knowledge-base passages that match each user message.

At `rasa train` it loads the knowledge base (`knowledge_path`, default `data/knowledge`), splits long
passages, embeds them with the sentence encoder (the packaged all-MiniLM-L6-v2 by default) and stores
the index in the model archive. Its fingerprint includes a hash of the knowledge-base files, so when
only they change, Rasa's graph cache retrains this component and nothing else.

At inference it adds to the parse data (docs/contracts.md):
    knowledge: {"passages": [{"id", "title", "text", "score"}, ...], "top_score": float}
for the `KnowledgeAnswerNLG` to answer from when the dialogue falls back. Retrieval is one encoder
call (ONNX Runtime) plus a dot product: a few milliseconds.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_llm.knowledge.encoder import BACKENDS, SentenceEncoder, load_encoder
from rasa_llm.knowledge.index import KnowledgeIndex
from rasa_llm.knowledge.kb import chunk_passages, fingerprint_knowledge_base, load_knowledge_base
from rasa_llm.shared.models import default_encoder_path, resolve_model_path

logger = logging.getLogger(__name__)

KNOWLEDGE = "knowledge"
DEFAULT_KNOWLEDGE_PATH = "data/knowledge"


# Registered as an intent classifier because that is the recipe's place for components that train
# on the side and annotate messages at inference (Rasa's ResponseSelector does the same); it sets
# no intent.
@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class KnowledgeRetriever(GraphComponent):
    """Retrieves knowledge-base passages for each message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Folder (or single file) of Markdown passages and the products.yml catalogue.
            "knowledge_path": DEFAULT_KNOWLEDGE_PATH,
            # Passages added to each message's parse data.
            "top_k": 3,
            # Longer passages are split into parts of at most this many words.
            "max_chunk_words": 120,
            # Weight of the word-overlap term added to the cosine similarity.
            "lexical_weight": 0.2,
            # Bonus for a product passage whose name the message mentions.
            "name_weight": 0.3,
            # A local sentence-encoder folder; None: the packaged all-MiniLM-L6-v2.
            "encoder": None,
            "encoder_backend": "onnx",
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
                path, backend=self.config["encoder_backend"], cache_dir=self.config["cache_dir"]
            )
        return self._encoder

    def train(self, training_data: TrainingData) -> Resource:
        """Index the knowledge base (the NLU training data is not used)."""
        path = Path(self.config["knowledge_path"])
        passages = chunk_passages(load_knowledge_base(path), int(self.config["max_chunk_words"]))
        self._index = KnowledgeIndex.build(
            passages, self.encoder, float(self.config["lexical_weight"]), float(self.config["name_weight"])
        )
        with self._model_storage.write_to(self._resource) as folder:
            self._index.save(folder)
        logger.info(f"Indexed {len(passages)} knowledge-base passages from '{path}'.")
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
                index = KnowledgeIndex.load(
                    folder, float(component.config["lexical_weight"]), float(component.config["name_weight"])
                )
        except ValueError:
            logger.warning(
                f"The model has no knowledge-base index for '{resource.name}': messages get no "
                f"'{KNOWLEDGE}' until the model is trained with this component."
            )
            return component
        if index.encoder_identity != component.encoder.identity:
            # Vectors from another encoder are not comparable with this one's queries.
            logger.warning("The knowledge index was built with another encoder; re-embedding its passages.")
            index = KnowledgeIndex.build(index.passages, component.encoder, index.lexical_weight, index.name_weight)
        component._index = index
        return component

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the best passages for each message's text as `knowledge`."""
        if self._index is None:
            return messages
        texts = [message.get(TEXT) or "" for message in messages]
        vectors = self.encoder.encode(texts)
        for message, text, vector in zip(messages, texts, vectors, strict=True):
            hits = self._index.search(vector, int(self.config["top_k"]), text) if text.strip() else []
            message.set(
                KNOWLEDGE,
                {
                    "passages": [hit.as_parse_data() for hit in hits],
                    "top_score": round(hits[0].score, 4) if hits else 0.0,
                },
                add_to_output=True,
            )
        return messages
