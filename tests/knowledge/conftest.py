"""Shared fixtures: the packaged sentence encoder and an index over the real knowledge base."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from rasa_llm.knowledge.encoder import SentenceEncoder, load_encoder
from rasa_llm.knowledge.index import KnowledgeIndex
from rasa_llm.knowledge.kb import chunk_passages, load_knowledge_base
from rasa_llm.knowledge.responder import RetrievedPassage
from rasa_llm.knowledge.retrieval import PassageRetrieval, retrieved_passage, serve
from rasa_llm.shared.models import default_encoder_path

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "data" / "knowledge"


@pytest.fixture(scope="session")
def encoder() -> SentenceEncoder:
    return load_encoder(default_encoder_path())


@pytest.fixture(scope="session")
def index(encoder: SentenceEncoder) -> KnowledgeIndex:
    return KnowledgeIndex.build(chunk_passages(load_knowledge_base(KNOWLEDGE), 120), encoder)


@pytest.fixture(scope="session")
def retrieve(index: KnowledgeIndex, encoder: SentenceEncoder):
    """question -> the best passages of the index, however weak (retrieval before its threshold)."""

    def run(question: str, k: int = 3) -> list[RetrievedPassage]:
        return [retrieved_passage(hit) for hit in index.query(encoder, question, k)]

    return run


def bot_retriever_settings() -> dict:
    """KnowledgeRetriever's settings in the reference bot's config.yml."""
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    return next(c for c in pipeline if c["name"] == "rasa_llm.KnowledgeRetriever")


@pytest.fixture(scope="session")
def retrieval(index: KnowledgeIndex, encoder: SentenceEncoder) -> PassageRetrieval:
    """Retrieval as the reference bot's KnowledgeRetriever hands it to the knowledge answers."""
    settings = bot_retriever_settings()
    return PassageRetrieval(index, encoder, settings["top_k"], settings["min_retrieval_score"])


@pytest.fixture
def served(retrieval: PassageRetrieval):
    """`retrieval` served to KnowledgeAnswerNLG, as a loaded model's KnowledgeRetriever serves it."""
    serve(retrieval)
    yield retrieval
    serve(None)


class ConstantEncoder:
    """Every text gets the same unit vector: similarity checks pass, no model is loaded."""

    identity = "constant"

    def encode(self, texts, batch_size: int = 32) -> np.ndarray:
        vectors = np.ones((len(texts), 4), dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
