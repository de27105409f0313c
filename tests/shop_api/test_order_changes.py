"""Cancelling and changing the shipping address: allowed only before shipping; checked in the database."""
import json

import pytest

from tests.shop_api.client import AIKO, JOHN, LUKAS, MARIA, error_code

NEW_ADDRESS = {
    "name": "Maria Garcia",
    "line1": "77 Harbor Way",
    "line2": None,
    "city": "Astoria",
    "region": "OR",
    "postal_code": "97103",
    "country": "US",
}

HOSTILE_STRINGS = [
    "Robert'); DROP TABLE orders;--",
    "<script>alert('x')</script>",
    "\"quoted\" \\backslash\\ {\"json\": 1}",
    "Zoë Ångström-Łukasiewicz",
    "東京都港区 1-2-3",
    "עברית \u202eRTL override",
    "family 👨\u200d👩\u200d👧 emoji",
    "%s %d {0} ${jndi:ldap://x}",
    "line\nbreak\ttab",
]


def test_cancel_a_processing_order_refunds_it_in_full(fresh_client, fresh_shop_api):
    response = fresh_client.post(
        "/v1/orders/ORD-10001/cancel", {"email": MARIA, "reason": "Found it cheaper"}
    )

    assert response.status_code == 200
    order = response.json()
    assert order["status"] == "cancelled"
    assert order["refund"]["amount"] == order["total"] == 228.0
    assert order["refund"]["status"] == "completed"
    assert order["refund"]["refund_id"] == "RF-30003"
    with fresh_shop_api.db() as db:
        row = db.execute(
            "SELECT status, cancel_reason, cancelled_at FROM orders WHERE order_id = 'ORD-10001'"
        ).fetchone()
        refunds = db.execute(
            "SELECT id, amount_cents, status FROM refunds WHERE order_id = 'ORD-10001'"
        ).fetchall()
    assert (row["status"], row["cancel_reason"]) == ("cancelled", "Found it cheaper")
    assert row["cancelled_at"] == order["cancelled_at"]
    assert [tuple(refund) for refund in refunds] == [(30003, 22800, "completed")]
    listed = fresh_client.post("/v1/orders/ORD-10001/refunds", {"email": MARIA}).json()["refunds"]
    assert [refund["refund_id"] for refund in listed] == ["RF-30003"]


def test_cancelling_twice_is_refused_and_refunds_once(fresh_client, fresh_shop_api):
    first = fresh_client.post("/v1/orders/ORD-10007/cancel", {"email": LUKAS})
    second = fresh_client.post("/v1/orders/ORD-10007/cancel", {"email": LUKAS})

    assert first.status_code == 200
    assert second.status_code == 409
    assert error_code(second) == "not_cancellable"
    with fresh_shop_api.db() as db:
        assert db.execute("SELECT COUNT(*) FROM refunds WHERE order_id = 'ORD-10007'").fetchone()[0] == 1


@pytest.mark.parametrize(
    "order_id, email", [("ORD-10002", MARIA), ("ORD-10003", JOHN), ("ORD-10005", AIKO), ("ORD-10006", AIKO)]
)
def test_orders_past_processing_cannot_be_cancelled(client, shop_api, order_id, email):
    query = (
        "SELECT o.status, COUNT(r.id) FROM orders o LEFT JOIN refunds r USING (order_id) WHERE order_id = ?"
    )
    with shop_api.db() as db:
        before = tuple(db.execute(query, (order_id,)).fetchone())

    response = client.post(f"/v1/orders/{order_id}/cancel", {"email": email})

    assert response.status_code == 409
    assert error_code(response) == "not_cancellable"
    with shop_api.db() as db:
        assert tuple(db.execute(query, (order_id,)).fetchone()) == before


def test_cancel_reason_is_optional_but_validated(client):
    response = client.post("/v1/orders/ORD-10001/cancel", {"email": MARIA, "reason": 42})

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "reason"


def test_change_address_of_a_processing_order(fresh_client, fresh_shop_api):
    response = fresh_client.post(
        "/v1/orders/ORD-10001/shipping-address", {"email": MARIA, "address": NEW_ADDRESS}
    )

    assert response.status_code == 200
    assert response.json()["shipping_address"] == NEW_ADDRESS
    assert response.json()["status"] == "processing"
    with fresh_shop_api.db() as db:
        stored = db.execute("SELECT shipping_address FROM orders WHERE order_id = 'ORD-10001'").fetchone()[0]
    assert json.loads(stored) == NEW_ADDRESS
    again = fresh_client.post("/v1/orders/ORD-10001/lookup", {"email": MARIA}).json()
    assert again["shipping_address"] == NEW_ADDRESS


@pytest.mark.parametrize(
    "order_id, email, code",
    [
        ("ORD-10002", MARIA, "already_shipped"),
        ("ORD-10003", JOHN, "already_shipped"),
        ("ORD-10006", AIKO, "already_shipped"),
        ("ORD-10005", AIKO, "order_cancelled"),
    ],
)
def test_address_of_an_order_past_processing_cannot_change(client, shop_api, order_id, email, code):
    with shop_api.db() as db:
        before = db.execute("SELECT shipping_address FROM orders WHERE order_id = ?", (order_id,)).fetchone()[
            0
        ]

    response = client.post(
        f"/v1/orders/{order_id}/shipping-address", {"email": email, "address": NEW_ADDRESS}
    )

    assert response.status_code == 409
    assert error_code(response) == code
    with shop_api.db() as db:
        after = db.execute("SELECT shipping_address FROM orders WHERE order_id = ?", (order_id,)).fetchone()[
            0
        ]
    assert after == before


@pytest.mark.parametrize(
    "change, field",
    [
        ({"city": None}, "address.city"),
        ({"postal_code": "   "}, "address.postal_code"),
        ({"line1": 12}, "address.line1"),
        ({"name": "x" * 101}, "address.name"),
        ({"country": "US\x00"}, "address.country"),
        ({"planet": "Mars"}, "address.planet"),
    ],
)
def test_invalid_address_names_the_field(client, change, field):
    address = {key: value for key, value in {**NEW_ADDRESS, **change}.items() if value is not None}

    response = client.post("/v1/orders/ORD-10001/shipping-address", {"email": MARIA, "address": address})

    assert response.status_code == 422
    assert error_code(response) == "invalid_address"
    assert response.json()["error"]["field"] == field


def test_missing_address_is_a_validation_error(client):
    response = client.post(
        "/v1/orders/ORD-10001/shipping-address", {"email": MARIA, "address": "77 Harbor Way"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "address"


def test_hostile_strings_are_stored_verbatim_and_returned_as_json(fresh_client, fresh_shop_api):
    for text in HOSTILE_STRINGS:
        address = {**NEW_ADDRESS, "line1": text}

        response = fresh_client.post(
            "/v1/orders/ORD-10001/shipping-address", {"email": MARIA, "address": address}
        )

        assert response.status_code == 200, text
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.json()["shipping_address"]["line1"] == text
        with fresh_shop_api.db() as db:
            stored = json.loads(
                db.execute("SELECT shipping_address FROM orders WHERE order_id = 'ORD-10001'").fetchone()[0]
            )
        assert stored["line1"] == text
    with fresh_shop_api.db() as db:  # the injection attempt stayed data
        assert db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 8


def test_responses_tell_browsers_not_to_sniff_or_cache(client):
    response = client.post("/v1/orders/ORD-10001/lookup", {"email": MARIA})

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
