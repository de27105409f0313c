"""Personal data never reaches the report: rasa_llm.shared.privacy's maskers, with order numbers masked
too."""

from __future__ import annotations

import pytest

from rasa_llm.insights.unhandled import UnhandledMessages
from rasa_llm.shared.privacy import mask_personal_data


@pytest.mark.parametrize("text, expected", [
    ("where is ORD-10002?", "where is [ORDER]?"),
    ("ord 10007 never arrived", "[ORDER] never arrived"),
    ("my order number 12345 is late", "my [ORDER] is late"),
    ("Order #55501, email me at jo.doe@example.org", "[ORDER], email me at [EMAIL]"),
    ("ship it to 221B Baker Street instead", "ship it to [ADDRESS] instead"),
    ("call me on +44 20 7946 0958", "call me on [PHONE]"),
    ("card 4111 1111 1111 1111 was charged twice", "card [CARD] was charged twice"),
])
def test_report_masking_covers_order_numbers_and_personal_data(text, expected):
    assert mask_personal_data(text, order_numbers=True) == expected


def test_order_numbers_stay_for_the_bot_unless_asked():
    assert mask_personal_data("where is ORD-10002?") == "where is ORD-10002?"
    assert mask_personal_data("I ordered 3 pairs") == "I ordered 3 pairs"


def test_unhandled_texts_are_masked_and_merged_when_they_differ_only_in_personal_data():
    unhandled = UnhandledMessages()
    unhandled.add("Why was ORD-10002 charged twice?", {"fallback"}, "payment_issue")
    unhandled.add("why was ord-10003 charged twice?", {"fallback"}, "payment_issue")
    unhandled.add("send it to anna@example.com", {"low_confidence"}, None)
    entries = unhandled.masked()
    assert [(entry.text, entry.count) for entry in entries] == [
        ("Why was [ORDER] charged twice?", 2), ("send it to [EMAIL]", 1),
    ]
    assert entries[0].reasons == {"fallback": 2}


def test_distinct_texts_past_the_limit_are_counted_not_kept():
    unhandled = UnhandledMessages(max_distinct=2)
    for text in ("a", "b", "a", "c", "d"):
        unhandled.add(text, {"fallback"}, None)
    assert unhandled.total == 5 and unhandled.not_kept == 2
    assert sorted(entry.text for entry in unhandled.masked()) == ["a", "b"]
