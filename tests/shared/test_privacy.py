"""Masking of personal data in free text (rasa_llm.shared.privacy)."""
import pytest

from rasa_llm.shared.privacy import mask_personal_data


@pytest.mark.parametrize(
    "text, secret, placeholder",
    [
        ("my email is maria.garcia@example.com thanks", "maria.garcia@example.com", "[EMAIL]"),
        ("write to J.Smith+orders@mail.co.uk", "J.Smith+orders@mail.co.uk", "[EMAIL]"),
        ("card 4111 1111 1111 1111 please", "4111 1111 1111 1111", "[CARD]"),
        ("card 4111-1111-1111-1111", "4111-1111-1111-1111", "[CARD]"),
        ("amex 378282246310005", "378282246310005", "[CARD]"),
        ("mistyped 4111 1111 1111 1112 still a card", "4111 1111 1111 1112", "[CARD]"),
        ("call me on (555) 123-4567", "(555) 123-4567", "[PHONE]"),
        ("call me on 555-123-4567", "555-123-4567", "[PHONE]"),
        ("call me on 555.123.4567", "555.123.4567", "[PHONE]"),
        ("mobile +44 20 7946 0958 ok", "+44 20 7946 0958", "[PHONE]"),
        ("ring +1 (555) 123-4567", "+1 (555) 123-4567", "[PHONE]"),
        ("Festnetz +49 30 12345678", "+49 30 12345678", "[PHONE]"),
        ("ship to 221B Baker Street please", "221B Baker Street", "[ADDRESS]"),
        ("new address: 1600 Pennsylvania Ave NW, Suite 300, Washington",
         "1600 Pennsylvania Ave NW, Suite 300", "[ADDRESS]"),
        ("send it to 12 north elm st. apt 4b", "12 north elm st. apt 4b", "[ADDRESS]"),
        ("Lieferung an Hauptstraße 5, Berlin", "Hauptstraße 5", "[ADDRESS]"),
        ("envoyez à Rue de Rivoli 10", "Rue de Rivoli 10", "[ADDRESS]"),
        ("PO Box 4411", "PO Box 4411", "[ADDRESS]"),
    ],
)
def test_personal_data_is_replaced_by_its_placeholder(text, secret, placeholder):
    masked = mask_personal_data(text)

    assert secret not in masked
    assert placeholder in masked


@pytest.mark.parametrize(
    "text",
    [
        "where is my order ORD-10003?",
        "return RET-20001 and refund RF-30002",
        "order 10003 and #10004",
        "the Ridgeline 2 Tent LK-TNT-201 costs $289.00",
        "I want 2 tents in size L, 30 days ago",
        "confidence 0.9876543210 for intent track_order",
        "placed at 2026-11-20T10:15:00 and shipped 2026-11-21",
        "served by 127.0.0.1:5005 in 12.5 ms",
        "UPS 1Z999AA10123456784",
        "",
    ],
)
def test_shop_identifiers_and_ordinary_numbers_are_kept(text):
    assert mask_personal_data(text) == text


def test_every_occurrence_in_a_long_message_is_masked():
    text = "a@example.com and b@example.org; cards 4111111111111111 / 5500 0000 0000 0004"

    masked = mask_personal_data(text)

    assert masked == "[EMAIL] and [EMAIL]; cards [CARD] / [CARD]"


def test_a_huge_message_is_masked_whole():
    # 100,000 characters of one "word" followed by personal data: the patterns are bounded, so this
    # stays linear (a quadratic pattern would take minutes here).
    text = "x" * 100_000 + " maria.garcia@example.com 4111 1111 1111 1111"

    masked = mask_personal_data(text)

    assert masked.endswith(" [EMAIL] [CARD]")
    assert len(masked) == 100_000 + len(" [EMAIL] [CARD]")
