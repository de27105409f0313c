"""Shared fixtures: the packaged sentence encoder and an index over the real knowledge base."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rasa_llm.knowledge.encoder import SentenceEncoder, load_encoder
from rasa_llm.knowledge.index import KnowledgeIndex
from rasa_llm.knowledge.kb import chunk_passages, load_knowledge_base
from rasa_llm.knowledge.responder import RetrievedPassage
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
    """question -> the retrieved passages, as the KnowledgeRetriever hands them to the NLG."""

    def run(question: str, k: int = 3) -> list[RetrievedPassage]:
        return [
            RetrievedPassage(hit.passage.id, hit.passage.title, hit.passage.text, hit.score)
            for hit in index.query(encoder, question, k)
        ]

    return run


class ConstantEncoder:
    """Every text gets the same unit vector: similarity checks pass, no model is loaded."""

    identity = "constant"

    def encode(self, texts, batch_size: int = 32) -> np.ndarray:
        vectors = np.ones((len(texts), 4), dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
