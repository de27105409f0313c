"""The messages the bot could not handle, counted by text in bounded memory.

Identical messages are counted once with their number of occurrences, so a report over millions of
messages keeps one entry per distinct text. Past `max_distinct` distinct texts new texts are only
counted, not kept: the report says how many were left out of the grouping. Texts are masked once per
distinct text (`masked()`), when the report is written, and entries that mask to the same text (the
same question about two different orders) are merged then.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rasa_llm.shared.privacy import mask_personal_data

FALLBACK = "fallback"
ABSTAINED = "abstained"
LOW_CONFIDENCE = "low_confidence"
HANDOFF = "handoff"
REPEAT = "repeat"
REASONS = (FALLBACK, ABSTAINED, LOW_CONFIDENCE, HANDOFF, REPEAT)


@dataclass
class UnhandledText:
    text: str
    count: int = 0
    reasons: Counter = field(default_factory=Counter)
    # The classifier's best intent (below nlu_fallback when the fallback fired), for the suggestion.
    intents: Counter = field(default_factory=Counter)

    def merge(self, other: UnhandledText) -> None:
        self.count += other.count
        self.reasons.update(other.reasons)
        self.intents.update(other.intents)


class UnhandledMessages:
    def __init__(self, max_distinct: int = 50_000) -> None:
        self.max_distinct = max_distinct
        self._by_text: dict[str, UnhandledText] = {}
        self.total = 0
        self.not_kept = 0  # messages whose text arrived after `max_distinct` distinct texts
        self.reasons: Counter = Counter()

    def add(self, text: str, reasons: set[str], intent: str | None) -> None:
        self.total += 1
        self.reasons.update(reasons)
        key = " ".join((text or "").lower().split())
        entry = self._by_text.get(key)
        if entry is None:
            if len(self._by_text) >= self.max_distinct:
                self.not_kept += 1
                return
            entry = self._by_text[key] = UnhandledText((text or "").strip())
        entry.count += 1
        entry.reasons.update(reasons)
        if intent:
            entry.intents[intent] += 1

    def merge(self, other: UnhandledMessages) -> None:
        """Add what another collector (another part of the store) counted."""
        self.total += other.total
        self.not_kept += other.not_kept
        self.reasons.update(other.reasons)
        for key, entry in other._by_text.items():
            if key in self._by_text:
                self._by_text[key].merge(entry)
            elif len(self._by_text) < self.max_distinct:
                self._by_text[key] = entry
            else:
                self.not_kept += entry.count

    def masked(self) -> list[UnhandledText]:
        """The distinct texts with personal data masked, most frequent first."""
        merged: dict[str, UnhandledText] = {}
        for entry in self._by_text.values():
            text = mask_personal_data(entry.text, order_numbers=True)
            key = " ".join(text.lower().split())
            if key not in merged:
                merged[key] = UnhandledText(text)
            merged[key].merge(entry)
        return sorted(merged.values(), key=lambda entry: (-entry.count, entry.text))
