"""Turn what customers type into the shapes the shop API expects, or None when it cannot be one.

Pure functions, no Rasa imports: the form validators call them and tests can check them alone.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

# "ORD-10003", "ord 10003", "ORD10003", "#10003" or a bare "10003", anywhere in a sentence. The
# lookbehind keeps the digits of return and refund ids (RET-20001, RF-30001) and longer numbers out.
_ORDER_ID = re.compile(r"(?:\bord\s*[-#]?\s*|#|(?<![\w#-]))(\d{5})\b", re.IGNORECASE)
# An order id said as one ("ORD-10008", "#10008"): inside a form a bare number may be a postal code.
_EXPLICIT_ORDER_ID = re.compile(r"(?:\bord\s*[-#]?\s*|#)(\d{5})\b", re.IGNORECASE)
_NEVER_MIND = re.compile(
    r"\b(?:never\s*mind|nevermind|forget (?:it|about it|that)|don'?t bother|no need|leave it)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(?:no|not|don'?t|dont|never|keep|stop)\b", re.IGNORECASE)
# Thanks and goodbyes the classifier may miss when they come instead of an order number or email.
_SIGN_OFF = re.compile(r"\b(?:thanks|thank you|thx|bye|goodbye|cheers)\b", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
MAX_EMAIL_CHARS = 254

MAX_REASON_CHARS = 500
MAX_STREET_CHARS = 200
MAX_CITY_CHARS = 100
MAX_COUNTRY_CHARS = 56
_POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,8}[A-Za-z0-9]$")
_COUNTRY_ALIASES = {
    "us": "US", "u.s.": "US", "usa": "US", "u.s.a.": "US", "united states": "US",
    "united states of america": "US", "america": "US", "the us": "US", "the usa": "US",
    "the united states": "US",
}
_RETURN_ALL_WORDS = ("all", "both", "everything", "every item", "whole order", "entire order", "all of them")
# Words of product names too common to tell two items apart ("Trekking Poles Pair", "Dry Bag 20L").
_NAME_STOPWORDS = {"the", "and", "of", "for", "with", "pair", "pack", "set"}
# "all except the tee", "everything but the socks": the words after the marker name what stays.
_EXCEPT = re.compile(
    r"\b(?:except(?: for)?|but(?: not)?|apart from|other than|besides|minus|without|not the)\b"
)
# What customers call the kinds of things the shop sells, to say which one is not on an order.
PRODUCT_KINDS = (
    "tent", "bivy", "sleeping bag", "sleeping pad", "daypack", "backpack", "running vest", "vest",
    "rain jacket", "jacket", "parka", "fleece", "softshell", "hoodie", "tee", "t-shirt", "shirt",
    "base layer", "pants", "trousers", "shorts", "boots", "shoes", "trail runners", "sandals", "socks",
    "trekking poles", "poles", "beanie", "hat", "headlamp", "water bottle", "bottle", "dry bag",
    "gloves", "stove", "cook pot", "pot", "water filter", "filter", "chair", "gift card",
)
# Orders list no colours, so "the blue one" cannot be matched and the customer is told why.
COLOURS = (
    "black", "white", "grey", "gray", "blue", "navy", "red", "green", "olive", "moss", "sage", "yellow",
    "orange", "brown", "tan", "sand", "pink", "purple", "teal", "rust", "slate", "clay", "ink",
)


def order_id(text: Any) -> str | None:
    """The first order id in `text`, as ORD-12345; None when there is none."""
    if not isinstance(text, str):
        return None
    match = _ORDER_ID.search(text)
    return f"ORD-{match.group(1)}" if match else None


def explicit_order_id(text: Any) -> str | None:
    """The first order id in `text` written as one (ORD-10008, #10008), as ORD-12345; else None."""
    if not isinstance(text, str):
        return None
    match = _EXPLICIT_ORDER_ID.search(text)
    return f"ORD-{match.group(1)}" if match else None


def is_never_mind(text: Any) -> bool:
    """"never mind", "forget it": the customer drops what they were doing (not "I changed my mind",
    which is a reason to cancel)."""
    return isinstance(text, str) and _NEVER_MIND.search(text) is not None


def says_no(text: Any) -> bool:
    """"no, don't cancel it", "keep it": a request that must not count as a yes to the change."""
    return isinstance(text, str) and _NEGATION.search(text) is not None


def is_sign_off(text: Any) -> bool:
    """"ok thanks anyway", "bye for now", "never mind": the customer leaves rather than answers."""
    return isinstance(text, str) and (_SIGN_OFF.search(text) is not None or is_never_mind(text))


def email(text: Any) -> str | None:
    """The first email address in `text`, lower-cased; None when there is none (or it is absurdly long)."""
    if not isinstance(text, str):
        return None
    match = _EMAIL.search(text)
    if match is None or len(match.group(0)) > MAX_EMAIL_CHARS:
        return None
    return match.group(0).lower()


def free_text(text: Any, max_chars: int) -> str | None:
    """A customer's own words (a reason, a street): trimmed, control characters removed, None when
    empty or too long to be an answer."""
    if not isinstance(text, str):
        return None
    cleaned = "".join(char for char in text if unicodedata.category(char) != "Cc" or char == " ")
    cleaned = " ".join(cleaned.split())
    if not cleaned or len(cleaned) > max_chars:
        return None
    return cleaned


def street(text: Any) -> str | None:
    """A street line must name a street and a house number (at least one letter and one digit)."""
    value = free_text(text, MAX_STREET_CHARS)
    if value is None or not any(c.isalpha() for c in value) or not any(c.isdigit() for c in value):
        return None
    return value


def city(text: Any) -> str | None:
    value = free_text(text, MAX_CITY_CHARS)
    if (
        value is None
        or len(value) < 2
        or not any(c.isalpha() for c in value)
        or any(c.isdigit() for c in value)
    ):
        return None
    return value


def postal_code(text: Any) -> str | None:
    value = free_text(text, 10)
    if value is None or not _POSTAL_CODE.match(value) or not any(c.isdigit() for c in value):
        return None
    return value.upper()


def country(text: Any) -> str | None:
    """A country name (or code); the common spellings of the United States become "US"."""
    value = free_text(text, MAX_COUNTRY_CHARS)
    if value is None:
        return None
    alias = _COUNTRY_ALIASES.get(value.lower().rstrip("."))
    if alias:
        return alias
    if len(value) < 2 or not all(c.isalpha() or c in " .'-" for c in value):
        return None
    return value if len(value) <= 3 and value.isupper() else value.title()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _stem(word: str) -> str:
    # "tees" names the "Tee", "boots" the "Boots": compare singular-ish forms.
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def wants_all_items(text: str, products: Sequence[str]) -> bool:
    lowered = f" {' '.join(_words(text))} "
    return any(value.strip().lower() == "all" for value in products) or any(
        f" {phrase} " in lowered for phrase in _RETURN_ALL_WORDS
    )


def match_items(text: str, products: Sequence[str], items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order's items the customer means: all of them ("both", "all"), all but some ("everything
    except the tee"), the ones whose catalogue name was recognised as a `product` entity, or else
    those sharing a distinctive word with `text` ("the tee" -> Basecamp Merino Tee). Empty when
    nothing matches."""
    lowered = text.lower()
    exception = _EXCEPT.search(lowered)
    if exception and wants_all_items(lowered[: exception.start()], ()):
        kept = match_items(lowered[exception.end():], (), items)
        return [item for item in items if item not in kept] if kept else []
    if wants_all_items(text, products):
        return list(items)
    named = {value.strip().lower() for value in products}
    chosen = [item for item in items if str(item.get("name", "")).lower() in named]
    if chosen:
        return chosen
    said = {_stem(word) for word in _words(text)} | {
        _stem(word) for value in products for word in _words(value)
    }
    return [
        item
        for item in items
        if {
            _stem(w)
            for w in _words(str(item.get("name", "")))
            if w not in _NAME_STOPWORDS and not w.isdigit()
        }
        & said
    ]


# Plurals whose singular means something else ("too short" is not about shorts).
_PLURAL_ONLY = {"pants", "trousers", "shorts"}


def _same_word(said: str, name: str) -> bool:
    if said == name:
        return True
    if said in _PLURAL_ONLY or name in _PLURAL_ONLY:
        return False
    return said + "s" == name or name + "s" == said


def _mentions(text: str, phrase: str) -> bool:
    """True when the words of `phrase` appear in `text` in a row, singular or plural."""
    words, wanted = _words(text), _words(phrase)
    return any(
        all(_same_word(words[start + offset], word) for offset, word in enumerate(wanted))
        for start in range(len(words) - len(wanted) + 1)
    )


def kinds_not_on_order(text: str, items: Sequence[dict[str, Any]]) -> list[str]:
    """The kinds of product `text` names that no item of the order is ("the tent" on an order of a
    daypack and tees); a longer kind hides the shorter one inside it ("sleeping bag", not "bag")."""
    names = " | ".join(str(item.get("name", "")) for item in items)
    said = [kind for kind in PRODUCT_KINDS if _mentions(text, kind)]
    said = [kind for kind in said if not any(kind != other and _mentions(other, kind) for other in said)]
    return [kind for kind in said if not _mentions(names, kind)]


def names_a_colour(text: str) -> bool:
    return any(_mentions(text, colour) for colour in COLOURS)


# Words that point at an item ("the other one", "the first") rather than give a reason.
_POINTING_WORDS = {
    "one",
    "ones",
    "item",
    "items",
    "thing",
    "things",
    "both",
    "first",
    "second",
    "last",
    "other",
}


def sounds_like_a_reason(text: str) -> bool:
    """Whether an answer that names no item reads as the reason for the return ("it's too small"):
    a few words that do not point at an item."""
    words = _words(text)
    return len(words) >= 2 and not _POINTING_WORDS & set(words)
