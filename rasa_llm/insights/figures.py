"""The report's figures, accumulated one conversation at a time (memory grows with days, intents and
distinct unhandled texts, never with the number of conversations).

What counts as what:
- a turn is a user message; a conversation is one sender's events inside the window, dated by its
  first user message;
- a knowledge answer is a bot message whose `custom.mode` KnowledgeAnswerNLG set;
- a handoff is a run of `action_handoff`; a contained conversation has none;
- a form starts with `active_loop: <form>` and completes when `requested_slot` is cleared before the
  loop ends (Rasa's FormAction); it is abandoned at the slot still requested when the loop is ended by
  something else (a stop, a handoff, another form) or when the conversation ends inside it;
- a negative message is one whose parse data's `sentiment.name` is `negative` (TransformerIntentClassifier).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from rasa_llm.insights.store import ACTION, ACTIVE_LOOP, BOT, REQUESTED_SLOT, SLOT, USER, Conversation
from rasa_llm.insights.unhandled import (
    ABSTAINED,
    FALLBACK,
    HANDOFF,
    LOW_CONFIDENCE,
    REPEAT,
    UnhandledMessages,
)

NLU_FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
HANDOFF_ACTION = "action_handoff"
LISTEN = "action_listen"
NEGATIVE = "negative"
KNOWLEDGE_MODES = ("generated", "extractive", "abstained")
NONE = "(none)"
# Messages that ask for the person (or accept the offer): the message that needed one came before them.
HANDOFF_REQUESTS = frozenset({"contact_human_agent", "affirm"})
# Intents a customer naturally sends twice in a row (answers, courtesies): not a sign of a repeat.
NATURAL_REPEATS = frozenset({"inform", "affirm", "deny", "greet", "thank", "goodbye", NLU_FALLBACK})
_SECONDS_PER_DAY = 86400


def day_of(timestamp: float) -> str:
    return (
        datetime.fromtimestamp(int(timestamp // _SECONDS_PER_DAY) * _SECONDS_PER_DAY, timezone.utc)
        .date()
        .isoformat()
    )


@dataclass
class _Message:
    text: str
    intent: str | None
    best_intent: str | None  # the classifier's best intent other than nlu_fallback
    reasons: set[str] = field(default_factory=set)


@dataclass
class FormFunnel:
    started: int = 0
    completed: int = 0
    abandoned_at: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "completed": self.completed,
            "abandoned": sum(self.abandoned_at.values()),
            "abandoned_at": dict(self.abandoned_at.most_common()),
        }


class Figures:
    """Add conversations with `add`; read the result with `as_dict` and `unhandled`."""

    def __init__(self, low_confidence: float = 0.6, max_distinct_unhandled: int = 50_000) -> None:
        self.low_confidence = low_confidence
        self.conversations = 0
        self.unreadable_events = 0
        self.conversations_by_day: Counter = Counter()
        self.turns_by_day: Counter = Counter()
        self.intents_by_day: dict[int, Counter] = defaultdict(Counter)
        self.negative_by_day: Counter = Counter()
        self.knowledge: Counter = Counter()
        self.handoff_conversations = 0
        self.handoffs = 0
        self.before_handoff: Counter = Counter()  # (bot action before the message, the message's intent)
        self.forms: dict[str, FormFunnel] = defaultdict(FormFunnel)
        self.negative_after_intent: Counter = Counter()
        self.negative_after_bot: Counter = Counter()
        self.unhandled = UnhandledMessages(max_distinct_unhandled)

    def add(self, conversation: Conversation) -> None:
        self.unreadable_events += conversation.unreadable
        messages: list[_Message] = []
        last_bot_action = NONE  # the bot's latest action other than listening
        bot_before_message = NONE  # ... as it was when the latest user message arrived
        form: str | None = None
        requested: str | None = None
        handed_off = False
        for event in conversation.events:
            kind = event.type_name
            if kind == USER:
                message = self._user_message(event, messages, last_bot_action)
                if message is None:
                    continue
                if not messages:
                    self.conversations_by_day[int(event.timestamp // _SECONDS_PER_DAY)] += 1
                if messages and form is None and _is_repeat(messages[-1], message):
                    messages[-1].reasons.add(REPEAT)
                messages.append(message)
                bot_before_message = last_bot_action
            elif kind == ACTION:
                name = event.action_name
                if name == HANDOFF_ACTION:
                    self.handoffs += 1
                    handed_off = True
                    self._handoff(messages, bot_before_message)
                if name and name != LISTEN:
                    last_bot_action = name
            elif kind == BOT:
                mode = _knowledge_mode(event.data)
                if mode:
                    self.knowledge[mode] += 1
                    if mode == ABSTAINED and messages:
                        messages[-1].reasons.add(ABSTAINED)
            elif kind == ACTIVE_LOOP:
                if form is not None:
                    self._form_ended(form, requested)
                form, requested = event.action_name, None
                if form:
                    self.forms[form].started += 1
            elif kind == SLOT and event.action_name == REQUESTED_SLOT and form is not None:
                value = (event.data or {}).get("value")
                requested = value if isinstance(value, str) else None
        if form is not None:
            self.forms[form].abandoned_at[requested or NONE] += 1
        if not messages:
            return
        self.conversations += 1
        self.handoff_conversations += handed_off
        for message in messages:
            if message.reasons:
                self.unhandled.add(message.text, message.reasons, message.best_intent)

    def merge(self, other: Figures) -> None:
        """Add the figures of another part of the store (conversations are never split between parts)."""
        self.conversations += other.conversations
        self.unreadable_events += other.unreadable_events
        self.handoff_conversations += other.handoff_conversations
        self.handoffs += other.handoffs
        for name in ("conversations_by_day", "turns_by_day", "negative_by_day", "knowledge", "before_handoff",
                     "negative_after_intent", "negative_after_bot"):
            getattr(self, name).update(getattr(other, name))
        for day, counts in other.intents_by_day.items():
            self.intents_by_day[day].update(counts)
        for form, funnel in other.forms.items():
            mine = self.forms[form]
            mine.started += funnel.started
            mine.completed += funnel.completed
            mine.abandoned_at.update(funnel.abandoned_at)
        self.unhandled.merge(other.unhandled)

    def _user_message(self, event: Any, messages: list[_Message], last_bot_action: str) -> _Message | None:
        data = event.data or {}
        parse = data.get("parse_data")
        if not isinstance(parse, dict):
            self.unreadable_events += 1
            return None
        intent_data = parse.get("intent") or {}
        intent = intent_data.get("name") or event.intent_name
        day = int(event.timestamp // _SECONDS_PER_DAY)
        self.turns_by_day[day] += 1
        self.intents_by_day[day][intent or NONE] += 1
        message = _Message(str(data.get("text") or ""), intent, _best_intent(parse, intent))
        if intent == NLU_FALLBACK:
            message.reasons.add(FALLBACK)
        elif intent != OUT_OF_SCOPE and _number(intent_data.get("confidence")) < self.low_confidence:
            message.reasons.add(LOW_CONFIDENCE)
        sentiment = parse.get("sentiment")
        if isinstance(sentiment, dict) and sentiment.get("name") == NEGATIVE:
            self.negative_by_day[day] += 1
            self.negative_after_intent[
                (messages[-1].intent or NONE) if messages else "(conversation start)"
            ] += 1
            self.negative_after_bot[last_bot_action] += 1
        return message

    def _handoff(self, messages: list[_Message], bot_before_message: str) -> None:
        if not messages:
            return
        self.before_handoff[(bot_before_message, messages[-1].intent or NONE)] += 1
        # The message that needed a person is the latest one that was not itself the request for one.
        for message in reversed(messages):
            if message.intent not in HANDOFF_REQUESTS:
                message.reasons.add(HANDOFF)
                return

    def _form_ended(self, form: str, requested: str | None) -> None:
        if requested is None:
            self.forms[form].completed += 1
        else:
            self.forms[form].abandoned_at[requested] += 1

    def as_dict(self) -> dict[str, Any]:
        """Every figure except the grouped to-do list, JSON-ready."""
        days = sorted(set(self.turns_by_day) | set(self.conversations_by_day))
        turns = sum(self.turns_by_day.values())
        intent_totals: Counter = Counter()
        for counts in self.intents_by_day.values():
            intent_totals.update(counts)
        knowledge_total = sum(self.knowledge.values())
        return {
            "totals": {
                "conversations": self.conversations,
                "turns": turns,
                "unreadable_events": self.unreadable_events,
            },
            "volume": [
                {
                    "day": day_of(d * _SECONDS_PER_DAY),
                    "conversations": self.conversations_by_day[d],
                    "turns": self.turns_by_day[d],
                }
                for d in days
            ],
            "intents": {
                "total": dict(intent_totals.most_common()),
                "by_day": {
                    day_of(d * _SECONDS_PER_DAY): dict(self.intents_by_day[d].most_common()) for d in days
                },
            },
            "fallback": {
                "nlu_fallback": intent_totals[NLU_FALLBACK],
                "nlu_fallback_rate": _share(intent_totals[NLU_FALLBACK], turns),
                "out_of_scope": intent_totals[OUT_OF_SCOPE],
                "out_of_scope_rate": _share(intent_totals[OUT_OF_SCOPE], turns),
            },
            "knowledge": {
                "answers": knowledge_total,
                **{mode: self.knowledge[mode] for mode in KNOWLEDGE_MODES},
                **{
                    f"{mode}_share": _share(self.knowledge[mode], knowledge_total) for mode in KNOWLEDGE_MODES
                },
            },
            "containment": {
                "conversations": self.conversations,
                "handed_off": self.handoff_conversations,
                "handoffs": self.handoffs,
                "handoff_rate": _share(self.handoff_conversations, self.conversations),
                "containment_rate": _share(
                    self.conversations - self.handoff_conversations, self.conversations
                ),
                "before_handoff": [
                    {"bot_action": bot, "intent": intent, "count": count}
                    for (bot, intent), count in self.before_handoff.most_common(15)
                ],
            },
            "forms": {name: funnel.as_dict() for name, funnel in sorted(self.forms.items())},
            "sentiment": {
                "negative": sum(self.negative_by_day.values()),
                "by_day": [
                    {
                        "day": day_of(d * _SECONDS_PER_DAY),
                        "messages": self.turns_by_day[d],
                        "negative": self.negative_by_day[d],
                        "negative_share": _share(self.negative_by_day[d], self.turns_by_day[d]),
                    }
                    for d in days
                ],
                "after_intent": dict(self.negative_after_intent.most_common(10)),
                "after_bot_action": dict(self.negative_after_bot.most_common(10)),
            },
            "unhandled": {
                "messages": self.unhandled.total,
                "by_reason": dict(self.unhandled.reasons.most_common()),
                "not_grouped_overflow": self.unhandled.not_kept,
            },
        }


def _best_intent(parse: dict[str, Any], intent: str | None) -> str | None:
    if intent != NLU_FALLBACK:
        return intent
    for ranked in parse.get("intent_ranking") or []:
        name = ranked.get("name") if isinstance(ranked, dict) else None
        if name and name != NLU_FALLBACK:
            return name
    return None


def _is_repeat(previous: _Message, message: _Message) -> bool:
    """The customer asked the same thing again right away: the first answer did not do."""
    if " ".join(previous.text.lower().split()) == " ".join(message.text.lower().split()):
        return bool(message.text.strip())
    return message.intent == previous.intent and message.intent not in NATURAL_REPEATS


def _knowledge_mode(data: dict[str, Any] | None) -> str | None:
    custom = ((data or {}).get("data") or {}).get("custom")
    mode = custom.get("mode") if isinstance(custom, dict) else None
    return mode if mode in KNOWLEDGE_MODES else None


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
