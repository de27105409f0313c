"""Group unhandled messages by meaning and suggest what a designer could do about each group.

Messages are embedded with the project's sentence encoder (rasa_llm.knowledge.encoder) and grouped
greedily, most frequent text first: a text joins the group whose mean vector it is most similar to,
if that similarity reaches `threshold`, and starts a group of its own otherwise. Greedy grouping is
deterministic, linear in the number of groups per text, and needs no number of groups up front.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from rasa_llm.insights.unhandled import ABSTAINED, UnhandledText

# Similarity to a group's mean all-MiniLM-L6-v2 vector. Chosen on the development questions of
# benchmarks/data/insights_grouping.yml (0.40-0.45 group them perfectly); on its held-out questions it
# keeps unrelated questions apart but splits some rewordings into two groups (README figures).
DEFAULT_THRESHOLD = 0.45
NEW_INTENT = "new_intent"
MORE_EXAMPLES = "more_examples"
KNOWLEDGE_PASSAGE = "knowledge_passage"
# A group is "intent X, badly recognised" when most of its messages had X as the classifier's best guess.
_INTENT_MAJORITY = 0.6


class Encoder(Protocol):
    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray: ...


@dataclass
class MessageGroup:
    size: int  # messages, counting repeats of the same text
    texts: list[UnhandledText] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)
    intents: Counter = field(default_factory=Counter)

    def suggestion(self) -> tuple[str, str, str | None]:
        """(kind, advice for a designer, intent concerned)."""
        example = self.texts[0].text
        if self.reasons[ABSTAINED] * 2 >= self.size:
            return KNOWLEDGE_PASSAGE, f'Add a knowledge-base passage that answers "{example}".', None
        if self.intents:
            intent, count = self.intents.most_common(1)[0]
            if count >= _INTENT_MAJORITY * sum(self.intents.values()):
                return (MORE_EXAMPLES, f"Add training examples like these to intent '{intent}' "
                        "(the classifier guessed it, without confidence).", intent)
        return (
            NEW_INTENT,
            f'Consider a new intent (and a response or story) for messages like "{example}".',
            None,
        )

    def as_dict(self, examples: int = 3) -> dict[str, Any]:
        kind, advice, intent = self.suggestion()
        return {
            "size": self.size,
            "distinct_texts": len(self.texts),
            "examples": [entry.text for entry in self.texts[:examples]],
            "reasons": dict(self.reasons.most_common()),
            "suggestion_kind": kind,
            "suggestion": advice,
            "intent": intent,
        }


def group_messages(
    entries: Sequence[UnhandledText], encoder: Encoder, threshold: float = DEFAULT_THRESHOLD
) -> list[MessageGroup]:
    """Groups of `entries` (most frequent first), biggest group first."""
    if not entries:
        return []
    ordered = sorted(entries, key=lambda entry: -entry.count)
    vectors = encoder.encode([entry.text for entry in ordered])
    groups: list[MessageGroup] = []
    sums = np.zeros((0, vectors.shape[1]), dtype=np.float32)  # count-weighted vector sum per group
    for entry, vector in zip(ordered, vectors, strict=True):
        best = -1
        if groups:
            centroids = sums / np.clip(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12, None)
            similarities = centroids @ vector
            best = int(np.argmax(similarities))
            if similarities[best] < threshold:
                best = -1
        if best < 0:
            groups.append(MessageGroup(size=0))
            sums = np.vstack([sums, np.zeros_like(vector)[None, :]])
            best = len(groups) - 1
        group = groups[best]
        group.size += entry.count
        group.texts.append(entry)
        group.reasons.update(entry.reasons)
        group.intents.update(entry.intents)
        sums[best] += entry.count * vector
    return sorted(groups, key=lambda group: (-group.size, group.texts[0].text))
