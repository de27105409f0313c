"""An in-memory embedding index over knowledge-base passages, saved as two plain files.

The knowledge base is small (hundreds of passages), so an exact dot product over a float32 matrix is
both the simplest and the fastest search (well under a millisecond). A small sentence encoder hears
"Emberline 20" and "Emberline 35" as nearly the same, so the cosine similarity gets two additions:
- the share of the message's content words found in the passage (`lexical_weight`);
- a bonus for a product passage whose name the message mentions (`name_weight`): the shortest
  leading words of the name that no other product shares ("ridgeline 2", "stormfront rain jacket").
Besides its own text, a passage is embedded once per question customers ask that it answers
(questions.yml): a message worded like one of them finds the passage even when it shares few words
with it. A passage scores its best row; a question's similarity counts `question_weight` times, since
two questions share their form ("can I pay with american express" / "is express available abroad")
where a question and a passage do not.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rasa_llm.knowledge.encoder import SentenceEncoder
from rasa_llm.knowledge.kb import CATALOGUE_SOURCE, Passage
from rasa_llm.knowledge.text import content_words

PASSAGES_FILE = "passages.json"
EMBEDDINGS_FILE = "embeddings.npy"


@dataclass(frozen=True)
class ScoredPassage:
    passage: Passage
    score: float


def _name_words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", text.lower())


def product_name_patterns(passages: Sequence[Passage]) -> list[re.Pattern | None]:
    """Per passage: a pattern for the shortest leading words (at least two) of a product's name that
    no other product name starts with; None for passages that are no product."""
    names = {
        p.title: _name_words(p.title)
        for p in passages
        if p.source == CATALOGUE_SOURCE and not p.id.startswith("category-")
    }
    keys: dict[str, str] = {}
    for title, words in names.items():
        for length in range(min(2, len(words)), len(words) + 1):
            prefix = words[:length]
            if not any(other[:length] == prefix for name, other in names.items() if name != title):
                keys[title] = " ".join(prefix)
                break
    return [
        re.compile(rf"(?<![a-z0-9]){re.escape(keys[p.title])}(?![a-z0-9])")
        if p.title in keys and p.source == CATALOGUE_SOURCE
        else None
        for p in passages
    ]


def embedded_texts(passages: Sequence[Passage]) -> tuple[list[str], list[int]]:
    """The texts the index embeds, with the position of the passage each belongs to: every passage's
    own text first (in order), then the questions of each passage."""
    texts = [passage.embedding_text() for passage in passages]
    owners = list(range(len(passages)))
    for position, passage in enumerate(passages):
        texts.extend(passage.questions)
        owners.extend([position] * len(passage.questions))
    return texts, owners


class KnowledgeIndex:
    """Passages (or their parts) with one unit-length embedding per embedded text (`embedded_texts`)."""

    def __init__(
        self,
        passages: Sequence[Passage],
        embeddings: np.ndarray,
        encoder_identity: str,
        lexical_weight: float = 0.2,
        name_weight: float = 0.3,
        question_weight: float = 0.8,
    ) -> None:
        self.passages = list(passages)
        self._owners = np.array(embedded_texts(self.passages)[1], dtype=np.int64)
        if len(self._owners) != embeddings.shape[0]:
            raise ValueError(f"{len(self._owners)} texts to embed but {embeddings.shape[0]} embeddings.")
        self.embeddings = embeddings.astype(np.float32)
        self.encoder_identity = encoder_identity
        self.lexical_weight = lexical_weight
        self.name_weight = name_weight
        self.question_weight = question_weight
        self._row_weights = np.where(
            np.arange(len(self._owners)) < len(self.passages), 1.0, question_weight
        ).astype(np.float32)
        self._words = [content_words(" ".join((p.title, p.text, *p.questions))) for p in self.passages]
        self._names = product_name_patterns(self.passages)
        self._positions = {(p.id, p.text): position for position, p in enumerate(self.passages)}

    @classmethod
    def build(
        cls,
        passages: Sequence[Passage],
        encoder: SentenceEncoder,
        lexical_weight: float = 0.2,
        name_weight: float = 0.3,
        question_weight: float = 0.8,
    ) -> KnowledgeIndex:
        embeddings = encoder.encode(embedded_texts(passages)[0])
        return cls(passages, embeddings, encoder.identity, lexical_weight, name_weight, question_weight)

    def search(self, query: np.ndarray, k: int, query_text: str = "") -> list[ScoredPassage]:
        """The `k` best passages for a unit-length query vector (and the text it embeds), one entry
        per passage id."""
        bonus = self._overlap(content_words(query_text))
        if query_text and self.name_weight:
            text = " ".join(_name_words(query_text))
            named = np.array([bool(p and p.search(text)) for p in self._names], dtype=np.float32)
            bonus += self.name_weight * named
        scores = self._similarities(query) + bonus[self._owners]
        results: list[ScoredPassage] = []
        seen = set()
        for row in np.argsort(-scores):
            passage = self.passages[int(self._owners[row])]
            if passage.id in seen:
                continue
            seen.add(passage.id)
            results.append(ScoredPassage(passage, float(scores[row])))
            if len(results) == k:
                break
        return results

    def rescore(self, query: np.ndarray, words: set[str], parts: Sequence[tuple[str, str]]) -> list[float]:
        """Scores of passages of this index, given as (id, text), against a query vector, the way
        `search` scores them except for the name bonus, the word overlap counted on `words`."""
        similarities = self._similarities(query)
        overlap = self._overlap(words)
        positions = [self._positions[part] for part in parts]
        return [float(similarities[self._owners == i].max() + overlap[i]) for i in positions]

    def _similarities(self, query: np.ndarray) -> np.ndarray:
        """Per embedded text: its cosine similarity to the query, a customer's question's weighted."""
        return (self.embeddings @ query.astype(np.float32)) * self._row_weights

    def _overlap(self, words: set[str]) -> np.ndarray:
        """Per passage: `lexical_weight` times the share of `words` it holds."""
        bonus = np.zeros(len(self.passages), dtype=np.float32)
        if words and self.lexical_weight:
            overlap = np.array(
                [len(words & passage_words) for passage_words in self._words], dtype=np.float32
            )
            bonus += self.lexical_weight * overlap / len(words)
        return bonus

    def query(self, encoder: SentenceEncoder, text: str, k: int) -> list[ScoredPassage]:
        """The `k` best passages for a message (the encoder truncates long messages to its window)."""
        return self.search(encoder.encode([text])[0], k, text)

    def save(self, folder: Path) -> None:
        payload = {"encoder": self.encoder_identity, "passages": [p.as_dict() for p in self.passages]}
        (folder / PASSAGES_FILE).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        np.save(folder / EMBEDDINGS_FILE, self.embeddings, allow_pickle=False)

    @classmethod
    def load(
        cls, folder: Path, lexical_weight: float = 0.2, name_weight: float = 0.3, question_weight: float = 0.8
    ) -> KnowledgeIndex:
        payload = json.loads((folder / PASSAGES_FILE).read_text(encoding="utf-8"))
        embeddings = np.load(folder / EMBEDDINGS_FILE, allow_pickle=False)
        passages = [Passage.from_dict(item) for item in payload["passages"]]
        return cls(passages, embeddings, payload["encoder"], lexical_weight, name_weight, question_weight)
