"""Order lookup, tracking, refunds and return lookup on the seeded demo data; authentication."""
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.shop_api.client import AIKO, JOHN, LUKAS, MARIA, error_code

DEMO_ORDERS = {
    "ORD-10001": (MARIA, "processing"),
    "ORD-10002": (MARIA, "shipped"),
    "ORD-10003": (JOHN, "delivered"),
    "ORD-10004": (JOHN, "delivered"),
    "ORD-10005": (AIKO, "cancelled"),
    "ORD-10006": (AIKO, "returned"),
    "ORD-10007": (LUKAS, "processing"),
    "ORD-10008": (LUKAS, "delivered"),
}


def _age(timestamp: str) -> timedelta:
    return datetime.now(timezone.utc) - datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc
    )


def test_health_answers_without_a_key(shop_api):
    response = requests.get(f"{shop_api.base_url}/health", timeout=10)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("order_id", sorted(DEMO_ORDERS))
def test_every_demo_order_is_seeded_in_its_documented_state(client, order_id):
    email, status = DEMO_ORDERS[order_id]

    response = client.post(f"/v1/orders/{order_id}/lookup", {"email": email})

    assert response.status_code == 200
    order = response.json()
    assert order["order_id"] == order_id
    assert order["status"] == status
    assert order["currency"] == "USD"
    assert order["items"]
    items_total = sum(item["quantity"] * item["unit_price"] for item in order["items"])
    assert order["total"] == pytest.approx(items_total + order["shipping_cost"])


def test_lookup_answers_the_documented_order_fields(client):
    order = client.post("/v1/orders/ORD-10003/lookup", {"email": JOHN}).json()

    assert {"order_id", "status", "placed_at", "total", "currency", "items", "shipping_address", "shipped_at",
            "delivered_at", "carrier", "tracking_number"} <= set(order)
    assert [(item["sku"], item["quantity"]) for item in order["items"]] == [
        ("LK-PCK-028", 1),
        ("LK-TOP-010", 2),
    ]
    assert order["items"][0] == {
        "sku": "LK-PCK-028",
        "name": "Trailhead 28 Daypack",
        "quantity": 1,
        "unit_price": 109.0,
    }
    assert order["total"] == 227.0
    assert order["shipping_address"]["city"] == "Boulder"
    assert timedelta(days=4, hours=23) < _age(order["delivered_at"]) < timedelta(days=5, hours=1)


def test_email_is_matched_without_regard_to_case_or_surrounding_spaces(client):
    response = client.post("/v1/orders/ORD-10001/lookup", {"email": "  Maria.Garcia@Example.COM "})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "order_id, email",
    [
        ("ORD-10001", JOHN),  # someone else's order
        ("ORD-10001", "maria.garcia@example.org"),
        ("ORD-99999", MARIA),  # no such order
        ("10001", MARIA),  # not normalised: the actions do that
        ("ORD-10001' OR '1'='1", MARIA),
    ],
)
def test_wrong_email_and_unknown_order_get_the_same_answer(client, order_id, email):
    unknown = client.post("/v1/orders/ORD-99999/lookup", {"email": MARIA})

    response = client.post(f"/v1/orders/{requests.utils.quote(order_id)}/lookup", {"email": email})

    assert response.status_code == 404
    assert response.json() == unknown.json()
    assert error_code(response) == "order_not_found"


@pytest.mark.parametrize("path", ["lookup", "tracking", "refunds", "cancel", "shipping-address", "returns"])
def test_every_order_endpoint_hides_orders_behind_the_email(client, path):
    response = client.post(
        f"/v1/orders/ORD-10001/{path}",
        {
            "email": JOHN,
            "address": {
                "name": "J",
                "line1": "1 Main St",
                "city": "Denver",
                "postal_code": "80202",
                "country": "US",
            },
            "items": [{"sku": "LK-JKT-100", "quantity": 1}],
            "reason": "test",
        },
    )

    assert response.status_code == 404
    assert error_code(response) == "order_not_found"


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}, {"X-Api-Key": "x" * 300}])
def test_v1_requests_without_the_right_key_are_refused(shop_api, headers):
    response = requests.post(
        f"{shop_api.base_url}/v1/orders/ORD-10001/lookup", json={"email": MARIA}, headers=headers, timeout=10
    )

    assert response.status_code == 401
    assert error_code(response) == "unauthorized"
    assert "ORD-10001" not in response.text


def test_a_near_miss_key_is_refused(shop_api):
    response = requests.post(
        f"{shop_api.base_url}/v1/orders/ORD-10001/lookup",
        json={"email": MARIA},
        headers={"X-API-Key": shop_api.api_key[:-1]},
        timeout=10,
    )

    assert response.status_code == 401


def test_handoff_reads_need_the_key_too(shop_api):
    response = requests.get(f"{shop_api.base_url}/v1/handoffs/HO-40001", timeout=10)

    assert response.status_code == 401


def test_tracking_of_a_shipped_order_has_carrier_and_events_in_order(client):
    response = client.post("/v1/orders/ORD-10002/tracking", {"email": MARIA})

    assert response.status_code == 200
    tracking = response.json()
    assert tracking["status"] == "shipped"
    assert tracking["carrier"] == "UPS"
    assert tracking["tracking_number"].startswith("1Z")
    assert tracking["estimated_delivery"] is not None
    times = [event["time"] for event in tracking["events"]]
    assert times == sorted(times)
    assert tracking["events"][0]["description"] == "Order placed"
    assert any("Shipped" in event["description"] for event in tracking["events"])


def test_tracking_of_a_processing_order_has_no_carrier_yet(client):
    tracking = client.post("/v1/orders/ORD-10007/tracking", {"email": LUKAS}).json()

    assert tracking["carrier"] is None
    assert tracking["tracking_number"] is None
    assert [event["description"] for event in tracking["events"]] == ["Order placed"]


def test_refund_of_the_cancelled_order_was_completed_at_once(client):
    response = client.post("/v1/orders/ORD-10005/refunds", {"email": AIKO})

    assert response.status_code == 200
    (refund,) = response.json()["refunds"]
    assert (
        refund["refund_id"],
        refund["return_id"],
        refund["amount"],
        refund["currency"],
        refund["status"],
    ) == ("RF-30001", None, 239.0, "USD", "completed")
    assert refund["completed_at"] == refund["created_at"]


def test_refund_of_the_returned_order_is_processing(client):
    refunds = client.post("/v1/orders/ORD-10006/refunds", {"email": AIKO}).json()["refunds"]

    assert [
        (refund["refund_id"], refund["return_id"], refund["status"], refund["amount"]) for refund in refunds
    ] == [("RF-30002", "RET-20001", "processing", 229.0)]
    assert refunds[0]["completed_at"] is None


def test_an_order_without_refunds_answers_an_empty_list(client):
    response = client.post("/v1/orders/ORD-10003/refunds", {"email": JOHN})

    assert response.json() == {"order_id": "ORD-10003", "refunds": []}


def test_seeded_return_is_received(client):
    response = client.post("/v1/returns/RET-20001/lookup", {"email": AIKO})

    assert response.status_code == 200
    returned = response.json()
    assert returned["order_id"] == "ORD-10006"
    assert returned["status"] == "received"
    assert returned["items"] == [{"sku": "LK-JKT-210", "name": "Driftwood Down Jacket", "quantity": 1}]
    assert returned["label_url"].endswith("RET-20001.pdf")


@pytest.mark.parametrize("return_id, email", [("RET-20001", MARIA), ("RET-29999", AIKO), ("ORD-10006", AIKO)])
def test_return_lookup_with_a_wrong_email_or_id_reveals_nothing(client, return_id, email):
    response = client.post(f"/v1/returns/{return_id}/lookup", {"email": email})

    assert response.status_code == 404
    assert error_code(response) == "return_not_found"
