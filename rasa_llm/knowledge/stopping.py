"""When to stop generating: after `max_sentences` sentences, a blank line, or the reply's deadline.

Replies are short, and small models tend to carry on by inventing the customer's next question;
stopping early also returns the CPU sooner.
"""
from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

_CONFIRMED_END = re.compile(r"[.!?]\s")
# A final "." right after a whole number may be a decimal point ("$4." before "95"): not an end yet.
_FINAL_END = re.compile(r"(?:[^\d\s]|\d[.,]\d+)[.!?]$")


def count_sentence_ends(text: str) -> int:
    """Sentence ends in text generated so far."""
    return len(_CONFIRMED_END.findall(text)) + (1 if _FINAL_END.search(text) else 0)


def is_finished(text: str, max_sentences: int) -> bool:
    text = text.strip()
    return "\n\n" in text or count_sentence_ends(text) >= max_sentences


class SentenceStop:
    """Fed one generated token id at a time; says when that sequence should stop."""

    def __init__(
        self, tokenizer: Any, max_sentences: int, deadline: float, start: Sequence[int] = ()
    ) -> None:
        self.tokenizer = tokenizer
        self.max_sentences = max_sentences
        self.deadline = deadline
        self.ids: list[int] = list(start)  # tokens of the answer chosen before this decoding

    def add(self, token_id: int) -> bool:
        self.ids.append(token_id)
        if time.monotonic() >= self.deadline:
            return True
        return is_finished(self.tokenizer.decode(self.ids, skip_special_tokens=True), self.max_sentences)
