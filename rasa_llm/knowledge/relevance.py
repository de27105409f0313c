"""Does a candidate reply address the customer's question? Checked before any informational reply leaves.

Retrieval always finds *some* passage, and for a question the knowledge base cannot answer it is a
neighbouring topic ("customer service hours" -> the delivery times). Two measures keep such replies
out, both calibrated on the tuning split of `benchmarks/data/answer_questions.yml`
(`benchmarks/answer_benchmark.py --calibrate`):

- the passage's retrieval score (cosine similarity plus the index's word-overlap and name bonuses), at
  least KnowledgeRetriever's `min_retrieval_score` (config.yml): weaker passages are never handed over
  (retrieval.py);
- the similarity between the question and the passage's closest sentence, its title or one of the
  questions customers ask that it answers (questions.yml), at least `min_relevance` (endpoints.yml): a
  passage that is near the question as a whole but has nothing about what was asked is refused.

A fixed template (an informational intent's domain response) has no retrieval score; it is held to
`min_relevance` alone.

Short follow-ups ("and for Canada?", "what about express?") are asked in the context of the previous
question: `contextual_question` joins the two, and retrieval ranks the passages found for either
message against the joined question.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rasa_llm.knowledge.encoder import SentenceEncoder
from rasa_llm.knowledge.responder import RetrievedPassage
from rasa_llm.knowledge.text import split_sentences

# "and ...", "what about ...", "how about ...", "or ...", "also ...", or a question about "that"/"it".
_FOLLOW_UP_START = re.compile(r"^\s*(?:and|or|also|what about|how about|same for|plus)\b", re.IGNORECASE)
_ANAPHORA = re.compile(r"\b(?:that|it|this|those|them|there)\b", re.IGNORECASE)
FOLLOW_UP_MAX_WORDS = 7


@dataclass(frozen=True)
class Judged:
    passage: RetrievedPassage
    relevance: float  # question vs the passage's closest sentence, title or customers' question


def is_follow_up(text: str) -> bool:
    """A short message that leans on the previous question for its meaning."""
    words = text.split()
    if not words or len(words) > FOLLOW_UP_MAX_WORDS:
        return False
    return bool(_FOLLOW_UP_START.search(text) or _ANAPHORA.search(text))


def contextual_question(question: str, previous: str | None) -> str:
    """The question as retrieval should read it: a follow-up is joined to the question before it."""
    if previous and previous.strip() and is_follow_up(question):
        return f"{previous.strip()} {question.strip()}"
    return question


class RelevanceCheck:
    """Scores candidates against the question with the sentence encoder the answers are checked with."""

    def __init__(self, encoder: SentenceEncoder, min_relevance: float) -> None:
        self.encoder = encoder
        self.min_relevance = min_relevance

    def judge(self, question: str, passages: Sequence[RetrievedPassage]) -> list[Judged]:
        """Every passage with its relevance to the question, in the order given."""
        if not passages:
            return []
        parts = [[p.title, *(split_sentences(p.text) or [p.text]), *p.questions] for p in passages]
        vectors = self.encoder.encode([question] + [part for sentences in parts for part in sentences])
        question_vector, part_vectors = vectors[0], vectors[1:]
        judged, offset = [], 0
        for passage, sentences in zip(passages, parts, strict=True):
            scores = part_vectors[offset : offset + len(sentences)] @ question_vector
            offset += len(sentences)
            judged.append(Judged(passage, float(np.max(scores))))
        return judged

    def relevant(self, question: str, passages: Sequence[RetrievedPassage]) -> list[RetrievedPassage]:
        """The passages that may answer the question, best retrieval score first; [] when none may."""
        return [
            j.passage
            for j in sorted(self.judge(question, passages), key=lambda j: -j.passage.score)
            if j.relevance >= self.min_relevance
        ]

    def template_relevant(self, question: str, text: str) -> bool:
        """Whether a fixed reply has a sentence about what was asked."""
        sentences = split_sentences(text) or [text]
        vectors = self.encoder.encode([question, *sentences])
        return bool(np.max(vectors[1:] @ vectors[0]) >= self.min_relevance)
