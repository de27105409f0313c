"""Questions the generative fallback must not answer from passages.

- Order-specific questions (the status, amount or dates of the customer's own order, or any message
  naming an order / return / refund id) need the customer's data: they go to the order actions,
  which verify the customer first. A question about what happens in a case ("what happens if my
  parcel arrives damaged", "my order is late, what do I do") is a policy question, however it is worded.
  A message whose intent is informational is order-specific only when it names a record
  (`names_a_record`): the classifier has already told it from an order request.
- Messages that try to change the assistant's rules get no generated text at all; a strong passage
  is quoted instead, so an injection can at most make the bot quote its own knowledge base.
"""
from __future__ import annotations

import re

_RECORD_ID = re.compile(
    r"\b(?:ord(?:er)?|ret|rf|return|refund)\s*(?:#|no\.?|number)?\s*[-:]?\s*\d{5}\b|#\s?\d{5}\b",
    re.IGNORECASE,
)
_OWN_ORDER = re.compile(
    r"\b(?:my|our)\s+(?:\w+\s+){0,2}?(?:order|orders|package|parcel|shipment|delivery|refund|purchase|money|stuff|things)\b"
    # "where do I find my order number" asks how the shop works, not about the order.
    r"(?!\s+(?:numbers?|ids?|confirmations?|history)\b)",
    re.IGNORECASE,
)
_FACT_CUE = re.compile(
    r"\b(?:where|when|status|arriv\w*|ship(?:ped)?|deliver(?:ed|y date)?|track\w*|late|delayed|lost|"
    r"yet|still|eta|how much|amount|total|charged?|paid|pay|cost|date|processed|received|happened)\b",
    re.IGNORECASE,
)
# "what happens if my parcel arrives damaged", "my order is late, what do I do", "who pays the duties on
# my order": what the shop does in a case, not the facts of the customer's order.
_GENERAL_CASE = re.compile(
    r"\b(?:what happens|what if|what (?:do|should|can) (?:i|we) do|who pays|in case|"
    r"(?:if|when|once|after) (?:my|our|the|a|an) (?:\w+\s+)?"
    r"(?:order|package|parcel|shipment|delivery|item))\b",
    re.IGNORECASE,
)
_BARE_ID = re.compile(r"\b\d{5}\b")
_ORDER_WORD = re.compile(r"\b(?:order|package|parcel|shipment|refund|return)", re.IGNORECASE)
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b.{0,40}\b(?:instructions?|rules|prompts?|guidelines|above|previous)\b"
    r"|\b(?:system|developer|hidden|initial)\s+(?:prompt|message|instructions?)\b"
    r"|\b(?:reveal|show|print|repeat|output|tell me|what (?:is|are))\b"
    r".{0,20}\b(?:your|the)\s+(?:instructions|rules|prompt)\b"
    r"|\b(?:repeat|print|output)\b.{0,20}\b(?:above|everything|verbatim)\b"
    r"|\byou are (?:now|no longer)\b|\bpretend (?:to be|you are)\b|\bact as\b"
    r"|\bdeveloper mode\b|\bjailbreak\b"
    r"|<\|[^|>]{0,40}\|>|\[/?INST\]|^\s*(?:system|assistant)\s*:",
    re.IGNORECASE | re.MULTILINE,
)


def names_a_record(question: str) -> bool:
    """True when the message names an order, return or refund by its number."""
    return bool(_RECORD_ID.search(question) or (_BARE_ID.search(question) and _ORDER_WORD.search(question)))


def is_order_specific(question: str) -> bool:
    """True when answering needs the customer's own order data."""
    if names_a_record(question):
        return True
    return bool(
        _OWN_ORDER.search(question) and _FACT_CUE.search(question) and not _GENERAL_CASE.search(question)
    )


def looks_like_injection(question: str) -> bool:
    """True for messages that address the assistant's instructions instead of asking a question."""
    return _INJECTION.search(question) is not None
