"""Chat prompts for grounded answers, with the customer's words kept as data.

The rules and the passages live only in the system message. Customer text (the question and earlier
turns) only fills user turns, after chat-template control tokens (`<|im_start|>`...) are removed from
it, so a message cannot open a new role or pose as the system.
Personal data (emails, card and phone numbers, street addresses) is masked: no knowledge-base answer needs it, and the
prompt may go to a remote model server.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rasa_llm.knowledge.text import normalize_whitespace
from rasa_llm.privacy import mask_personal_data

SYSTEM_PROMPT = "You answer questions for the Larkspur Outfitters shop. Facts:"
UNKNOWN_RULE = (
    "Answer the question in one sentence, using only the facts above. "
    "If the facts do not answer it, say that you don't know."
)
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


def build_messages(
    question: str, passages: Sequence[ContextPassage], history: Sequence[Turn] = ()
) -> list[dict[str, str]]:
    """OpenAI-style chat messages: rules and passages as the system message, then the conversation.

    Customer text only ever fills user turns (and the assistant's earlier replies assistant turns),
    so the chat template's role markers delimit it from the instructions.
    """
    facts = "\n".join(f"- {passage.title}: {normalize_whitespace(passage.text)}" for passage in passages)
    messages = [{"role": "system", "content": f"{SYSTEM_PROMPT}\n{facts}\n{UNKNOWN_RULE}"}]
    for turn in history:
        role = "user" if turn.speaker == "customer" else "assistant"
        messages.append({"role": role, "content": sanitize_customer_text(turn.text, MAX_HISTORY_CHARS)})
    messages.append({"role": "user", "content": sanitize_customer_text(question, MAX_QUESTION_CHARS)})
    return messages
