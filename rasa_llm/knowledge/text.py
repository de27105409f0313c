"""Small text helpers shared by the knowledge-base loader, the prompt builder and the verifier."""
from __future__ import annotations

import re

# A sentence ends at . ! or ? followed by whitespace and an upper-case letter, digit, quote or "$".
# Abbreviations such as "e.g." are rare in the knowledge base, and a wrong split only makes an
# extractive answer one sentence shorter.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“(A-Z0-9$])")
_WHITESPACE = re.compile(r"\s+")
# Words, numbers with their suffix ("1L", "900ml") and single punctuation marks, which end a name.
TOKEN = re.compile(r"[A-Za-z][\w'’&-]*|\d+(?:[.,]\d+)*[A-Za-z]*|[^\w\s]")
POSSESSIVE = re.compile(r"['’]s$")
_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_NUMBER_WORDS = re.compile(
    r"\b(?:({tens})(?:[\s-]({digits}))?|({units}))\b".format(
        tens="|".join(_TENS), digits="|".join(list(_UNITS)[1:10]), units="|".join(_UNITS)
    ),
    re.IGNORECASE,
)
_STOPWORDS = frozenset(
    "a an the and or but if of to in on at for with by from as is are was were be been being it its this "
    "that "
    "these those you your yours we our us i me my they them their he she his her do does did have has had "
    "can "
    "could will would should may might must not no yes so than then there here what which who when where why "
    "how all any each some more most other such only own same too very just also about into over after "
    "before "
    "up out off again once because both few nor don't can't won't isn't aren't i'm you're we're it's that's "
    "there's you'll we'll i'll you've we've cannot".split()
)
URL_PATTERN = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]\"']+", re.IGNORECASE)


def normalize_whitespace(text: str) -> str:
    """Collapse runs of whitespace (newlines included) into single spaces."""
    return _WHITESPACE.sub(" ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; a text without sentence breaks is one sentence."""
    text = normalize_whitespace(text)
    if not text:
        return []
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def find_urls(text: str) -> list[str]:
    """URLs and www. links in `text`, without trailing sentence punctuation."""
    return [match.rstrip(".,;:!?") for match in URL_PATTERN.findall(text)]


def numbers_to_digits(text: str) -> str:
    """Spell-out numbers ("thirty", "twenty-four") written as digits, so both forms compare equal."""

    def replace(match: re.Match) -> str:
        tens, unit, alone = match.groups()
        if alone:
            return str(_UNITS[alone.lower()])
        return str(_TENS[tens.lower()] + (_UNITS[unit.lower()] if unit else 0))

    return _NUMBER_WORDS.sub(replace, text)


def _stem(word: str) -> str:
    """A crude suffix strip, applied alike to both sides of every comparison: "shipped", "shipping"
    and "ships" all become "ship", "cancelled" and "cancel" both "cancel", "changed" and "change"
    both "chang"."""
    for suffix, min_length in (("ing", 6), ("ed", 5), ("es", 5), ("s", 4)):
        if len(word) >= min_length and word.endswith(suffix) and not word.endswith("ss"):
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeious":
        word = word[:-1]
    return word.rstrip("e") if len(word) > 3 else word


def content_words(text: str) -> set[str]:
    """Lower-case, crudely stemmed words that carry meaning (no stopwords, no punctuation)."""
    words = set()
    for token in TOKEN.findall(numbers_to_digits(text).lower()):
        token = POSSESSIVE.sub("", token)
        if token[:1].isalnum() and token not in _STOPWORDS:
            words.add(_stem(token) if token[:1].isalpha() else token)
    return words


_NEGATION = re.compile(
    r"\b(?:not|no|never|cannot|nothing|none|neither|nor|without)\b|n['’]t\b", re.IGNORECASE
)


def is_negated(sentence: str) -> bool:
    """Whether a sentence says that something is not so ("cannot be returned", "isn't free")."""
    return _NEGATION.search(sentence) is not None


NEGATED, RESTRICTED, AFFIRMED = "negated", "restricted", "affirmed"
_RESTRICTION = re.compile(r"\bonly\b", re.IGNORECASE)


def polarity(sentence: str) -> str:
    """NEGATED ("cannot be cancelled"), RESTRICTED ("can be cancelled only while it is processing": so
    and no otherwise) or AFFIRMED."""
    if is_negated(sentence):
        return NEGATED
    return RESTRICTED if _RESTRICTION.search(sentence) else AFFIRMED
