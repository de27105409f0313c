"""Faithfulness checks for generated answers: only what the sources say may reach the customer.

A generated answer is accepted only when
- every fact in it appears in the retrieved passages: prices, percentages, durations (value and unit),
  any other number, every name (a run of capitalized words, e.g. "Ridgeline 3 Tent", "FedEx") and
  every claim word ("all", "free", "most popular", "guaranteed"...);
- each of its sentences is grounded in one place: one source sentence holds all its numbers, most of
  its content words and every content word the sources use anywhere, so a true price cannot be
  attached to the wrong product or shipping option; with the same polarity (a small model readily
  turns "cannot be cancelled" into "you can cancel"; "only while it is processing" denies the other
  cases); words of the customer's question that no source uses are let through only in a sentence
  without numbers that is close in meaning to its source sentence;
- it is close in meaning to at least one passage (cosine similarity of sentence embeddings);
- it does not repeat the instructions.
Links that the passages do not contain are removed before the check. Anything else is the caller's
cue to answer extractively instead.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rasa_llm.knowledge.encoder import SentenceEncoder
from rasa_llm.knowledge.prompt import SYSTEM_PROMPT
from rasa_llm.knowledge.text import (
    AFFIRMED,
    NEGATED,
    POSSESSIVE,
    RESTRICTED,
    TOKEN,
    content_words,
    find_urls,
    normalize_whitespace,
    numbers_to_digits,
    polarity,
    split_sentences,
)

_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
_PRICE = re.compile(rf"\$\s?({_NUMBER})|({_NUMBER})\s?(?:usd|dollars?)\b", re.IGNORECASE)
_PERCENT = re.compile(rf"({_NUMBER})\s?(?:%|percent\b)", re.IGNORECASE)
_DURATION = re.compile(
    rf"({_NUMBER})(?:\s?(?:-|–|—|to)\s?({_NUMBER}))?[\s-]+(?:business\s+|working\s+|calendar\s+)?"
    r"(minute|hour|day|week|month|year)s?\b",
    re.IGNORECASE,
)
_ANY_NUMBER = re.compile(_NUMBER)
_RANGE = re.compile(rf"({_NUMBER})\s?(?:-|–|—|to)\s?({_NUMBER})")

# Words that start names in the middle of a sentence without being part of them.
_LEADING_WORDS = {"the", "a", "an", "our", "your", "this", "that", "these", "those", "yes", "no", "and", "or"}
# Capitalized words an answer may use without a source: the shop's own name and the pronoun "I".
_ALWAYS_ALLOWED = {"i", "i'm", "i'll", "i've", "i'd", "larkspur", "larkspur outfitters", "outfitters"}
ECHO_WORDS = 6
# Words that make a claim or a promise on their own ("all payment methods", "our most popular", "free"):
# an answer may use one only when a source does.
CLAIM_WORDS = frozenset(
    "all any every always never free guarantee guaranteed best popular most only lifetime unlimited "
    "instantly immediately anytime forever whenever".split()
)


@dataclass(frozen=True)
class Verdict:
    supported: bool
    reason: str  # empty when supported; otherwise a short explanation for logs and benchmarks
    similarities: tuple[float, ...] = ()  # of the answer to each source, when computed


def _number_value(text: str) -> str:
    """A canonical form of a number: "1,200.00" and "1200" both give "1200"."""
    value = format(float(text.replace(",", "").rstrip(".")), "f")
    return value.rstrip("0").rstrip(".") if "." in value else value


@dataclass(frozen=True)
class Facts:
    prices: set[str]
    percents: set[str]
    durations: set[tuple[str, str]]
    numbers: set[str]


def extract_facts(text: str) -> Facts:
    """Prices, percentages, durations and all other numbers mentioned in `text`."""
    text = numbers_to_digits(text)
    prices = {_number_value(a or b) for a, b in _PRICE.findall(text)}
    percents = {_number_value(value) for value in _PERCENT.findall(text)}
    durations = set()
    for low, high, unit in _DURATION.findall(text):
        for value in (low, high):
            if value:
                durations.add((_number_value(value), unit.lower()))
    numbers = {_number_value(value) for value in _ANY_NUMBER.findall(text)}
    return Facts(prices, percents, durations, numbers)


def extract_names(text: str) -> list[str]:
    """Runs of capitalized words, numbers allowed after the first ("Emberline 20 Sleeping Bag").

    A lone capitalized word at the start of a sentence is only a sentence start and is skipped;
    leading words such as "The" are dropped; punctuation ends a run ("Visa, Mastercard" is two names).
    """
    names: list[str] = []
    for sentence in split_sentences(text):
        runs: list[tuple[int, list[str]]] = []
        current: list[str] = []
        start = 0
        for position, token in enumerate(TOKEN.findall(sentence)):
            if token[:1].isupper() or (current and token[:1].isdigit()):
                if not current:
                    start = position
                current.append(POSSESSIVE.sub("", token))
                if POSSESSIVE.search(token):  # "Larkspur's Headlamp 400": the owner is its own name
                    runs.append((start, current))
                    current = []
            elif current:
                runs.append((start, current))
                current = []
        if current:
            runs.append((start, current))
        for start, run in runs:
            while run and run[0].lower() in _LEADING_WORDS:
                run, start = run[1:], start + 1
            if run and not (start == 0 and len(run) == 1):
                names.append(" ".join(run))
    return names


def _ranges(text: str) -> list[tuple[str, str]]:
    return [
        (_number_value(low), _number_value(high)) for low, high in _RANGE.findall(numbers_to_digits(text))
    ]


def _mentions(haystack: str, phrase: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", haystack) is not None


def strip_unknown_urls(answer: str, sources: Sequence[str]) -> str:
    """The answer without links that no source contains (markdown links keep their label)."""
    known = {url for source in sources for url in find_urls(source)}
    for url in find_urls(answer):
        if url in known:
            continue
        answer = re.sub(r"\[([^\]]*)\]\(\s*" + re.escape(url) + r"[^)]*\)", r"\1", answer)
        answer = answer.replace(url, "")
    answer = re.sub(r"\(\s*\)", "", answer)
    return re.sub(r"\s+([.,;:!?])", r"\1", normalize_whitespace(answer))


_PROMPT_MARKERS = re.compile(
    r"^\s*(?:customer|assistant|question|passages?|conversation)\b[^:]{0,20}:", re.IGNORECASE
)


_COMPLETE = re.compile(r"[.!?][\"”’')]*$")


def clean_generation(text: str, max_sentences: int) -> str:
    """The answer part of raw model output: before any blank line or echoed prompt line, cut to
    whole sentences."""
    text = text.strip().split("\n\n")[0]
    kept = []
    for line in text.splitlines():
        if _PROMPT_MARKERS.match(line):
            break
        kept.append(line)
    text = normalize_whitespace(" ".join(kept))
    # A sentence cut off by the token limit is dropped (and with it, perhaps, the whole answer).
    sentences = [s for s in split_sentences(text) if _COMPLETE.search(s)]
    return " ".join(sentences[:max_sentences])


_NAMED_NUMBER = re.compile(r"\b([A-Za-z]+) (\d+)\b")


def _without_named_numbers(sentence: str, source_text: str) -> str:
    """`sentence` without the numbers that belong to a product name of the sources ("Basecamp 4",
    "Longtrail 55"): those name a product, and the product's own sentence need not repeat them."""
    def strip(match: re.Match[str]) -> str:
        in_source = re.search(rf"(?<!\w){re.escape(match.group(0))}(?!\w)", source_text, re.IGNORECASE)
        return match.group(1) if in_source and in_source.group(0)[:1].isupper() else match.group(0)

    return _NAMED_NUMBER.sub(strip, sentence)


def _subject_words(source: str) -> set[str]:
    """Words of the names in a passage's first sentence: what the passage is about ("Basecamp 4 Family
    Tent"), which its later sentences ("Specs: waterproof rating 2000 mm") leave unsaid."""
    first = (split_sentences(source) or [""])[0]
    return {word for name in extract_names(first) for word in content_words(name) if not word[:1].isdigit()}


def _agrees(answer: str, support: Sequence[str]) -> bool:
    """Whether supporting sentences of these polarities (text.polarity) bear out an answer sentence of
    polarity `answer`. A restriction ("only while it is processing") denies the other cases, so it
    does not conflict with a negated answer ("a shipped order cannot be cancelled"), but a negated
    answer still needs a negated sentence of its own: restricted support alone cannot tell which case
    the answer denies ("an order cannot be cancelled while it is processing")."""
    if answer == NEGATED:
        return NEGATED in support and AFFIRMED not in support
    if answer == RESTRICTED:
        return RESTRICTED in support and NEGATED not in support
    return all(sense == AFFIRMED for sense in support)


def _share(words: set[str], known: set[str]) -> float:
    return len(words & known) / len(words) if words else 1.0


class FaithfulnessChecker:
    """Decides whether a generated answer says only what its sources say."""

    def __init__(
        self,
        encoder: SentenceEncoder,
        min_similarity: float,
        min_sentence_support: float = 0.8,
        min_paraphrase_similarity: float = 0.7,
    ) -> None:
        self.encoder = encoder
        self.min_similarity = min_similarity
        self.min_sentence_support = min_sentence_support
        self.min_paraphrase_similarity = min_paraphrase_similarity
        words = normalize_whitespace(SYSTEM_PROMPT.lower()).split()
        self._instruction_ngrams = {
            tuple(words[i : i + ECHO_WORDS]) for i in range(len(words) - ECHO_WORDS + 1)
        }

    def unsupported_fact(self, answer: str, sources: Sequence[str]) -> str | None:
        """The first fact of `answer` that no source supports, or None."""
        source_text = " ".join(sources)
        known = extract_facts(source_text)
        facts = extract_facts(answer)
        checks = [
            ("price $", facts.prices - known.prices),
            ("percentage %", facts.percents - known.percents),
            ("duration ", {f"{value} {unit}s" for value, unit in facts.durations - known.durations}),
            ("number ", facts.numbers - known.numbers),
        ]
        for label, missing in checks:
            if missing:
                return label + sorted(missing)[0]
        haystack = normalize_whitespace(source_text).lower()
        for word in sorted(CLAIM_WORDS & set(TOKEN.findall(answer.lower()))):
            if not _mentions(haystack, word):
                return f"claim '{word}'"
        for name in extract_names(answer):
            if name.lower() not in _ALWAYS_ALLOWED and not _mentions(haystack, name.lower()):
                return f"name '{name}'"
        return None

    def ungrounded_sentence(self, answer: str, sources: Sequence[str], question: str = "") -> str | None:
        """The first answer sentence that the sources do not support, or None.

        A source sentence supports an answer sentence when it holds all its numbers, at least
        `min_sentence_support` of its content words, and every one of its content words that the
        sources use anywhere: "Standard delivery costs $19.95" takes "$19.95" from the next-day
        sentence and "standard" from another, "the refund is issued immediately after the order is
        shipped" adds "shipped" from a sentence about something else; that is how small models mix
        up facts. The supporting sentences must also agree with the answer on polarity (`_agrees`):
        "you can cancel a shipped order" is rejected by "an order that has shipped cannot be
        cancelled" and by "you can cancel an order only while it is processing".
        The customer's own words get an allowance only where they cannot carry a fact: words of the
        `question` that no source uses ("No, you don't need an account to *buy* something"), in a
        sentence without numbers (in "the camp chair can hold 1.0 kg" the customer's "hold" turns the
        chair's weight into a false load limit), and only when the sentence is close in meaning to the
        source sentence that supports it (`min_paraphrase_similarity`): "you cannot *rent* camping
        gear" is supported word for word by a sentence about returning used gear, but is not close to it.
        """
        sentences = [
            (extract_facts(s).numbers, content_words(s), _subject_words(source), polarity(s), _ranges(s), s)
            for source in sources
            for s in split_sentences(source)
        ]
        vocabulary = set().union(*(item[1] for item in sentences)) if sentences else set()
        echoed = content_words(question) - vocabulary
        source_text = normalize_whitespace(" ".join(sources))
        for sentence in split_sentences(answer):
            # Numbers of product names ("Basecamp 4") are part of the subject, not facts of the sentence.
            unnamed = _without_named_numbers(sentence, source_text)
            own_words = content_words(unnamed)
            if not own_words:
                continue
            # Numbers are checked as numbers below ("$289" is "$289.00"), not as words.
            words = {word for word in own_words if not word[:1].isdigit()}
            if not words:
                continue
            numbers = extract_facts(unnamed).numbers
            allowed = set() if numbers else words & echoed
            checked = words - allowed
            support = [
                (sense, text)
                for source_numbers, source_words, subject, sense, ranges, text in sentences
                if numbers <= source_numbers
                # The passage's subject may go unsaid in its sentence, but does not count as support;
                # nor, next to the customer's words, does a sentence that holds none of the rest.
                and (not allowed or (checked - subject) & source_words)
                and _share(checked - subject, source_words) >= self.min_sentence_support
                and not (checked & vocabulary) - source_words - subject
                # "1–2 business days" is not "1 business day"
                and all((low in numbers) == (high in numbers) for low, high in ranges)
            ]
            if not support or not _agrees(polarity(sentence), [sense for sense, _ in support]):
                return sentence
            if allowed and not self._paraphrases(sentence, [text for _, text in support]):
                return sentence
        return None

    def _paraphrases(self, sentence: str, supporting: Sequence[str]) -> bool:
        vectors = self.encoder.encode([sentence, *supporting])
        return float(np.max(vectors[1:] @ vectors[0])) >= self.min_paraphrase_similarity

    def echoes_instructions(self, answer: str) -> bool:
        words = normalize_whitespace(answer.lower()).split()
        return any(tuple(words[i : i + ECHO_WORDS]) in self._instruction_ngrams for i in range(len(words)))

    def similarities(self, answer: str, sources: Sequence[str]) -> tuple[float, ...]:
        """Cosine similarity of the answer to each source."""
        vectors = self.encoder.encode([answer, *sources])
        return tuple(float(score) for score in vectors[1:] @ vectors[0])

    def check(self, answer: str, sources: Sequence[str], question: str = "") -> Verdict:
        if not answer:
            return Verdict(False, "empty answer")
        if self.echoes_instructions(answer):
            return Verdict(False, "repeats the instructions")
        unsupported = self.unsupported_fact(answer, sources)
        if unsupported:
            return Verdict(False, f"unsupported {unsupported}")
        ungrounded = self.ungrounded_sentence(answer, sources, question)
        if ungrounded:
            return Verdict(False, f"ungrounded sentence '{ungrounded[:80]}'")
        similarities = self.similarities(answer, sources)
        best = max(similarities, default=0.0)
        if best < self.min_similarity:
            return Verdict(False, f"similarity {best:.2f} below {self.min_similarity:.2f}", similarities)
        return Verdict(True, "", similarities)
