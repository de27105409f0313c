"""Is a short chat message English? (no Rasa imports)

General language identifiers misjudge short English chat messages ("my card got declined" -> French,
"Granite Mid Hiking Boots" -> Polish), so a message counts as English when at least half of its words
are in the bot's own vocabulary (the words of its English training examples); only the rest is handed
to langid.py (py3langid). Order ids, emails and numbers are removed first: they are in no language.
Measured on short messages by benchmarks/language_benchmark.py.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

ENGLISH = "en"
# Emails, order ids and anything with digits say nothing about the language.
_NOT_WORDS = re.compile(r"\S+@\S+|\S*\d\S*")
_WORD = re.compile(r"[^\W\d_]+")


def words(text: str) -> list[str]:
    """The lower-cased words of `text`, without emails, order ids and numbers."""
    return _WORD.findall(_NOT_WORDS.sub(" ", text).lower())


@lru_cache(maxsize=1)
def _identifier() -> Any:
    # Loads langid.py's model (a few MB) once, on first use.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)


@dataclass(frozen=True)
class LanguageDetector:
    """`vocabulary`: words known to be English here; `min_known_share`: the share of a message's words
    in it that makes the message English; `min_probability`: how sure langid.py must be of another
    language (`min_single_word_probability` for a message of one word)."""

    vocabulary: frozenset[str]
    min_known_share: float = 0.5
    min_probability: float = 0.3
    # One word is little evidence: "dunno" is German to langid.py at 0.41, "bonsoir" French at 0.97.
    min_single_word_probability: float = 0.9

    @classmethod
    def from_texts(cls, texts: Iterable[str], **settings: float) -> LanguageDetector:
        return cls(frozenset(word for text in texts for word in words(text)), **settings)

    def language(self, text: str) -> str:
        """The ISO 639-1 code of the language `text` is written in; "en" when in doubt."""
        said = words(text)
        if not said or sum(word in self.vocabulary for word in said) >= self.min_known_share * len(said):
            return ENGLISH
        language, probability = _identifier().classify(" ".join(said))
        needed = self.min_probability if len(said) > 1 else self.min_single_word_probability
        return language if probability >= needed else ENGLISH
