"""Answer a question from the best of the passages it is given: generated if verified, else extractive,
else abstain. The passages come relevant and best first (retrieval.py, relevance.py).

    question + passages ─┬─ order-specific ────────────────> abstain (point to the order flow)
                         ├─ no passage ─────────────────────> abstain (offer a human agent)
                         ├─ tries to change the rules ──────> extractive (best passage)
                         └─ generate (deadline, max tokens)
                              ├─ timeout / backend down ───> extractive
                              └─ verify facts + similarity ─> generated | extractive
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rasa_llm.knowledge.encoder import SentenceEncoder
from rasa_llm.knowledge.generators import Generation, Generator, GeneratorError
from rasa_llm.knowledge.prompt import ContextPassage, Turn, build_messages
from rasa_llm.knowledge.routing import is_order_specific, looks_like_injection, names_a_record
from rasa_llm.knowledge.text import split_sentences
from rasa_llm.knowledge.verification import (
    FaithfulnessChecker,
    Verdict,
    clean_generation,
    extract_facts,
    strip_unknown_urls,
)

logger = logging.getLogger(__name__)

# A question that asks for an amount ("how long...", "what does express shipping cost") is answered only
# by an answer that states the amount of the passage's sentence closest to the question: "We offer
# three shipping speeds in the US." is true, and no answer to what express shipping costs.
_ASKS_FOR_AMOUNT = re.compile(
    r"\bhow (?:much|many|long|fast|soon|heavy|big|bright|warm)\b|\b(?:cost|costs|price|weigh)\b",
    re.IGNORECASE,
)

GENERATED = "generated"
EXTRACTIVE = "extractive"
ABSTAINED = "abstained"

# Why an answer took its path; benchmarks and logs group by these.
REASON_VERIFIED = "verified"
REASON_ORDER_SPECIFIC = "order_specific"
REASON_WEAK_RETRIEVAL = "weak_retrieval"
REASON_EMPTY = "empty_question"
REASON_INJECTION = "injection"
REASON_TIMEOUT = "timeout"
REASON_BACKEND = "backend_error"
REASON_UNVERIFIED = "unverified"
REASON_GENERATION_DISABLED = "generation_disabled"


@dataclass(frozen=True)
class RetrievedPassage:
    id: str
    title: str
    text: str
    score: float
    # Questions customers ask that the passage answers (questions.yml): read by the relevance check.
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnowledgeAnswer:
    text: str  # empty for abstentions: the channel-facing text comes from the domain's response
    mode: str
    reason: str
    sources: tuple[RetrievedPassage, ...] = ()
    detail: str = ""  # e.g. the unsupported fact that made a generation fail verification
    generation: Generation | None = None

    def citations(self) -> list[dict[str, str]]:
        return [{"id": source.id, "title": source.title} for source in self.sources]


@dataclass(frozen=True)
class ResponderSettings:
    min_answer_similarity: float = 0.55
    min_sentence_support: float = 0.8
    context_words: int = 30  # the best sentences for the question: a tiny model restates short facts well
    max_tokens: int = 40
    max_sentences: int = 1
    # Answers generated per question in one batch (CTranslate2: the greedy answer and the answers that
    # start with the model's next likeliest first words), the verified one closest to the question sent.
    # Measured with SmolLM2-135M (benchmarks/fallback_benchmark.py, 2 busy cores): 4 candidates answered
    # 17/48 tuning and 9/27 held-out questions by a verified generation where 1 answered 11/48 and 5/27,
    # but at 2.5x the latency (p50 1.85 s vs 0.75 s on the held-out part), past the 1 s target.
    candidates: int = 1
    timeout: float = 4.0
    extractive_words: int = 50

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.max_tokens < 1 or self.candidates < 1:
            raise ValueError("timeout, max_tokens and candidates must be positive.")


@dataclass
class KnowledgeResponder:
    encoder: SentenceEncoder
    generator: Generator | None  # None: extractive answers only
    settings: ResponderSettings = field(default_factory=ResponderSettings)
    # A generated answer less similar than this to the question does not answer it (verified or not: "This
    # is a basecamp 4 tent." for the tent's waterproof rating); the NLG's min_relevance, one threshold
    # for every reply.
    min_relevance: float = 0.0

    def __post_init__(self) -> None:
        self.checker = FaithfulnessChecker(
            self.encoder, self.settings.min_answer_similarity, self.settings.min_sentence_support
        )

    async def respond(
        self,
        question: str,
        passages: Sequence[RetrievedPassage],
        history: Sequence[Turn] = (),
        policy_question: bool = False,
    ) -> KnowledgeAnswer:
        """The answer from `passages[0]` (the best relevant passage); `history`: the turns for the prompt.

        `policy_question`: the intent classifier has read the message as a question about how the shop
        works ("when will my order be dispatched" as `delivery_period`, not `track_order`), so only a
        record number makes it a question about the customer's own order.
        """
        started = time.monotonic()
        if not question.strip():
            return KnowledgeAnswer("", ABSTAINED, REASON_EMPTY)
        if names_a_record(question) if policy_question else is_order_specific(question):
            return KnowledgeAnswer("", ABSTAINED, REASON_ORDER_SPECIFIC)
        strong = list(passages[:1])
        if not strong:
            return KnowledgeAnswer("", ABSTAINED, REASON_WEAK_RETRIEVAL)
        # Embedding sentences takes milliseconds of CPU: off the event loop like the rest.
        ranked = await asyncio.to_thread(self._rank_sentences, question, strong)
        if looks_like_injection(question):
            return self._extractive(strong[0], ranked[0], REASON_INJECTION)
        if self.generator is None:
            return self._extractive(strong[0], ranked[0], REASON_GENERATION_DISABLED)

        context = [
            ContextPassage(p.title, " ".join(_select(sentences, max_words=self.settings.context_words)))
            for p, sentences in zip(strong, ranked, strict=True)
        ]
        messages = build_messages(question, context, history)
        deadline = started + self.settings.timeout
        try:
            generation = await asyncio.wait_for(
                self.generator.generate(
                    messages, self.settings.max_tokens, deadline, self.settings.candidates
                ),
                timeout=max(deadline - time.monotonic(), 0.001),
            )
        except asyncio.TimeoutError:
            logger.warning(
                "Knowledge answer generation exceeded %.1f s; answering extractively.", self.settings.timeout
            )
            return self._extractive(strong[0], ranked[0], REASON_TIMEOUT)
        except GeneratorError as error:
            logger.warning("Knowledge answer generation failed (%s); answering extractively.", error)
            return self._extractive(strong[0], ranked[0], REASON_BACKEND, detail=str(error))

        sources = [p.text for p in strong]
        answers = [
            strip_unknown_urls(clean_generation(text, self.settings.max_sentences), sources)
            for text in generation.texts
        ]
        amounts = extract_facts(ranked[0][0][1]).numbers if _ASKS_FOR_AMOUNT.search(question) else set()
        answer, verdict, cited = await asyncio.to_thread(
            self._best_verified, question, answers, strong, amounts
        )
        if not verdict.supported:
            logger.info("Generated answer rejected (%s); answering extractively.", verdict.reason)
            return self._extractive(
                strong[0], ranked[0], REASON_UNVERIFIED, detail=verdict.reason, generation=generation
            )
        return KnowledgeAnswer(answer, GENERATED, REASON_VERIFIED, cited, generation=generation)

    def _rank_sentences(
        self, question: str, passages: Sequence[RetrievedPassage]
    ) -> list[list[tuple[int, str, float]]]:
        """Each passage's sentences as (position, sentence, similarity to the question), best first."""
        split = [split_sentences(p.text) or [p.text] for p in passages]
        vectors = self.encoder.encode([question] + [s for sentences in split for s in sentences])
        question_vector, sentence_vectors = vectors[0], vectors[1:]
        ranked, offset = [], 0
        for sentences in split:
            scores = sentence_vectors[offset : offset + len(sentences)] @ question_vector
            offset += len(sentences)
            order = np.argsort(-scores)
            ranked.append([(int(i), sentences[int(i)], float(scores[int(i)])) for i in order])
        return ranked

    def _best_verified(
        self,
        question: str,
        answers: Sequence[str],
        passages: Sequence[RetrievedPassage],
        amounts: set[str],
    ) -> tuple[str, Verdict, tuple[RetrievedPassage, ...]]:
        """Of the answers that pass the check (and state one of `amounts`, when there are any), the one
        closest in meaning to the question, if it is relevant enough (the first rejection's verdict when
        none is)."""
        sources = [p.text for p in passages]
        rejected: Verdict | None = None
        verified: list[tuple[str, Verdict]] = []
        for answer in dict.fromkeys(answers):  # candidates may coincide
            verdict = self.checker.check(answer, sources, question)
            if verdict.supported and amounts and not amounts & extract_facts(answer).numbers:
                verdict = Verdict(False, "no amount for a question that asks for one")
            if verdict.supported:
                verified.append((answer, verdict))
            else:
                rejected = rejected or verdict
        if not verified:
            return "", rejected or Verdict(False, "no answer"), ()
        vectors = self.encoder.encode([question, *(answer for answer, _ in verified)])
        relevance = vectors[1:] @ vectors[0]
        best = int(np.argmax(relevance))
        if relevance[best] < self.min_relevance:
            return "", Verdict(False, f"relevance {relevance[best]:.2f} below {self.min_relevance:.2f}"), ()
        answer, verdict = verified[best]
        # Cite the passages the answer is close to; the check passed, so there is at least one.
        cited = tuple(
            p for p, s in zip(passages, verdict.similarities, strict=True)
            if s >= self.settings.min_answer_similarity
        )
        return answer, verdict, cited

    def _extractive(
        self,
        passage: RetrievedPassage,
        ranked: Sequence[tuple[int, str, float]],
        reason: str,
        detail: str = "",
        generation: Generation | None = None,
    ) -> KnowledgeAnswer:
        text = " ".join(_select(ranked, max_words=self.settings.extractive_words))
        return KnowledgeAnswer(text, EXTRACTIVE, reason, (passage,), detail, generation)


def _select(ranked: Sequence[tuple[int, str, float]], max_words: int) -> list[str]:
    """The best sentences within `max_words` (always at least one), in the order the passage tells them."""
    chosen: list[tuple[int, str, float]] = []
    words = 0
    for item in ranked:
        length = len(item[1].split())
        if chosen and words + length > max_words:
            continue  # a shorter, less relevant sentence may still fit
        chosen.append(item)
        words += length
    return [sentence for _, sentence, _ in sorted(chosen)]
