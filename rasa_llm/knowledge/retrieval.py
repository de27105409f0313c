"""Retrieval for knowledge answers: the model's passage index, the encoder that embeds questions for
it, how many passages to hand over (`top_k`) and which are good enough (`min_retrieval_score`).

`KnowledgeRetriever` (NLU pipeline, config.yml) builds the index at `rasa train` and, when Rasa loads
the model, makes a `PassageRetrieval` this process's retrieval (`serve`). `KnowledgeAnswerNLG` asks it
for passages (`current`) only when a reply needs a knowledge answer: retrieving in the NLU pipeline
cost every message a second encoder pass, although rules and forms answer most messages without one.
"""
from __future__ import annotations

from dataclasses import replace

from rasa_llm.knowledge.encoder import SentenceEncoder
from rasa_llm.knowledge.index import KnowledgeIndex, ScoredPassage
from rasa_llm.knowledge.responder import RetrievedPassage
from rasa_llm.knowledge.text import content_words


class PassageRetrieval:
    """The passages of the knowledge base that may answer a question, best first."""

    def __init__(self, index: KnowledgeIndex, encoder: SentenceEncoder, top_k: int = 3,
                 min_retrieval_score: float = 0.5) -> None:
        if encoder.identity != index.encoder_identity:
            raise ValueError(
                "The index was built with another encoder; its vectors do not match the queries."
            )
        self.index = index
        self.encoder = encoder
        self.top_k = top_k
        self.min_retrieval_score = min_retrieval_score

    def retrieve(
        self, question: str, previous: str | None = None, asked: str | None = None
    ) -> list[RetrievedPassage]:
        """At most `top_k` passages scoring at least `min_retrieval_score`.

        A follow-up (`previous`: the question before it; `asked`: the two read together, see
        relevance.contextual_question) is answered from the passages found for either message,
        scored against `asked`.
        """
        texts = [question] if previous is None else [question, previous]
        if not any(text.strip() for text in texts):
            return []
        vectors = self.encoder.encode(texts)
        found = [
            retrieved_passage(hit)
            for text, vector in zip(texts, vectors, strict=True)
            if text.strip()
            for hit in self.index.search(vector, self.top_k, text)
        ]
        if previous is not None:
            found = self._rescore(asked or f"{previous} {question}", question, found)
        return [p for p in found if p.score >= self.min_retrieval_score]

    def _rescore(
        self, question: str, follow_up: str, passages: list[RetrievedPassage]
    ) -> list[RetrievedPassage]:
        """Passages found for different messages, scored against one question the way the index scores
        them: the best cosine similarity of its text or its customers' questions, plus the share of the
        follow-up's own content words they hold (what the follow-up adds, "canada" in "and for
        canada?", is what the passage must be about; the joined question's words would favour the
        first question's passage)."""
        unique = list({p.id: p for p in passages}.values())
        if not unique:
            return []
        # The passages' own vectors are the index's: only the joined question is embedded.
        scores = self.index.rescore(
            self.encoder.encode([question])[0],
            content_words(follow_up) or content_words(question),
            [(p.id, p.text) for p in unique],
        )
        rescored = [replace(p, score=score) for p, score in zip(unique, scores, strict=True)]
        return sorted(rescored, key=lambda p: -p.score)


def retrieved_passage(hit: ScoredPassage) -> RetrievedPassage:
    passage = hit.passage
    return RetrievedPassage(
        passage.id, passage.title, passage.text, round(hit.score, 4), passage.questions
    )


# One name rebound as a whole (atomic in Python), read by the NLG on each knowledge answer.
_current: PassageRetrieval | None = None


def serve(retrieval: PassageRetrieval | None) -> None:
    """Make `retrieval` the one knowledge answers use in this process (the model Rasa loaded last)."""
    global _current
    _current = retrieval


def current() -> PassageRetrieval | None:
    return _current
