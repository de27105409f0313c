"""Chat prompts for grounded answers, with the customer's words kept as data.

The rules live only in the system message; one worked example follows (a tiny model copies the form
of an example far better than it follows a rule); then the conversation, and last the passages'
facts with the question, next to each other, where a 135M model uses them best. Customer text (the
question and earlier turns) only fills user turns, after chat-template control tokens (`<|im_start|>`...)
are removed from it, so a message cannot open a new role or pose as the system.
Personal data (emails, card and phone numbers, street addresses) is masked: no knowledge-base answer
needs it, and the prompt may go to a remote model server.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rasa_llm.knowledge.text import normalize_whitespace
from rasa_llm.shared.privacy import mask_personal_data

# Asked for the fact's own sentence, the model keeps the fact's words (which verification can match)
# where "in the customer's words" made it repeat the question's ("No, you cannot swap your jacket").
SYSTEM_PROMPT = (
    "You answer customer questions for the Larkspur Outfitters shop. Answer with the one sentence of the "
    "fact that answers the question, shortened if it is long."
)
# A made-up example far from the shop's topics, so that its facts can never pass verification.
EXAMPLE_QUESTION = (
    "Fact: The museum opens at 9 am on weekdays and at 11 am on Sundays.\n"
    "Question: when can i get into the museum on a tuesday"
)
EXAMPLE_ANSWER = "On weekdays such as Tuesday the museum opens at 9 am."
MAX_QUESTION_CHARS = 400
MAX_HISTORY_CHARS = 160

_CONTROL_TOKENS = re.compile(r"<\|[^|>]{0,40}\|>|</?s>|\[/?INST\]", re.IGNORECASE)


@dataclass(frozen=True)
class ContextPassage:
    """A passage as the model sees it: title and the sentences kept for this question."""

    title: str
    text: str


@dataclass(frozen=True)
class Turn:
    speaker: str  # "customer" or "assistant"
    text: str


def sanitize_customer_text(text: str, max_chars: int) -> str:
    """Customer text made safe to quote: no control tokens, no personal data, bounded."""
    text = _CONTROL_TOKENS.sub(" ", text)
    text = normalize_whitespace(mask_personal_data(text))
    return text[:max_chars]


def shared_messages(messages: Sequence[dict[str, str]]) -> int:
    """How many leading `messages` every prompt of build_messages starts with (rules and worked example),
    so that a runtime may keep the model's state after them; 0 for other prompts."""
    shared = _leading_messages()
    return len(shared) if list(messages[: len(shared)]) == shared else 0


def _leading_messages() -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": EXAMPLE_QUESTION},
        {"role": "assistant", "content": EXAMPLE_ANSWER},
    ]


def build_messages(
    question: str, passages: Sequence[ContextPassage], history: Sequence[Turn] = ()
) -> list[dict[str, str]]:
    """OpenAI-style chat messages: rules, the worked example, the conversation, then facts + question.

    Customer text only ever fills user turns (and the assistant's earlier replies assistant turns),
    so the chat template's role markers delimit it from the instructions.
    """
    facts = " ".join(normalize_whitespace(passage.text) for passage in passages)
    messages = _leading_messages()
    for turn in history:
        role = "user" if turn.speaker == "customer" else "assistant"
        messages.append({"role": role, "content": sanitize_customer_text(turn.text, MAX_HISTORY_CHARS)})
    question = sanitize_customer_text(question, MAX_QUESTION_CHARS)
    messages.append({"role": "user", "content": f"Fact: {facts}\nQuestion: {question}"})
    return messages
