"""Return creation: the 30-day window, quantities, no double returns, and idempotent retries."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.shop_api.client import AIKO, JOHN, LUKAS, MARIA, error_code

TEE = {"sku": "LK-TOP-010", "quantity": 1}
RETURN_BODY = {"email": JOHN, "items": [TEE], "reason": "Runs a size large."}


def _returns_of(api, order_id):
    with api.db() as db:
        return db.execute(
            "SELECT r.id, r.status, r.idempotency_key, ri.sku, ri.quantity FROM returns r"
            " JOIN return_items ri ON ri.return_id = r.id WHERE r.order_id = ? ORDER BY r.id, ri.rowid",
            (order_id,),
        ).fetchall()


def test_create_a_return_within_the_window(fresh_client, fresh_shop_api):
    body = {
        "email": JOHN,
        "items": [{"sku": "LK-TOP-010", "quantity": 2}, {"sku": "lk-pck-028", "quantity": 1}],
        "reason": "Changed my mind.",
    }

    response = fresh_client.post("/v1/orders/ORD-10003/returns", body)

    assert response.status_code == 201
    created = response.json()
    assert created["return_id"] == "RET-20002"
    assert created["status"] == "requested"
    assert created["order_id"] == "ORD-10003"
    assert created["reason"] == "Changed my mind."
    assert created["label_url"].endswith("RET-20002.pdf")
    assert [(item["sku"], item["quantity"]) for item in created["items"]] == [
        ("LK-TOP-010", 2),
        ("LK-PCK-028", 1),
    ]
    assert [tuple(row) for row in _returns_of(fresh_shop_api, "ORD-10003")] == [
        (20002, "requested", None, "LK-TOP-010", 2),
        (20002, "requested", None, "LK-PCK-028", 1),
    ]
    looked_up = fresh_client.post("/v1/returns/RET-20002/lookup", {"email": JOHN})
    assert looked_up.json() == created


@pytest.mark.parametrize(
    "order_id, email, code",
    [
        ("ORD-10004", JOHN, "return_window_closed"),  # delivered 45 days ago
        ("ORD-10001", MARIA, "not_delivered"),  # processing
        ("ORD-10002", MARIA, "not_delivered"),  # shipped
        ("ORD-10005", AIKO, "not_delivered"),  # cancelled
        ("ORD-10006", AIKO, "already_returned"),
    ],
)
def test_returns_outside_the_policy_are_refused(client, shop_api, order_id, email, code):
    sku = client.post(f"/v1/orders/{order_id}/lookup", {"email": email}).json()["items"][0]["sku"]

    response = client.post(
        f"/v1/orders/{order_id}/returns",
        {"email": email, "items": [{"sku": sku, "quantity": 1}], "reason": "No."},
    )

    assert response.status_code == 409
    assert error_code(response) == code
    with shop_api.db() as db:
        assert db.execute("SELECT COUNT(*) FROM returns").fetchone()[0] == 1  # only the seeded RET-20001


def test_the_closed_window_message_gives_the_date(client):
    response = client.post(
        "/v1/orders/ORD-10004/returns",
        {"email": JOHN, "items": [{"sku": "LK-TNT-201", "quantity": 1}], "reason": "Too heavy."},
    )

    assert "30-day return window" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "items, field",
    [
        ([{"sku": "LK-TOP-010", "quantity": 3}], "items[0].quantity"),  # only 2 ordered
        ([{"sku": "LK-TNT-201", "quantity": 1}], "items[0].sku"),  # not in this order
        ([TEE, {"sku": "LK-TOP-010", "quantity": 1}], "items[1].sku"),  # listed twice
        ([{"sku": "LK-TOP-010", "quantity": 0}], "items[0].quantity"),
        ([{"sku": "LK-TOP-010", "quantity": "1"}], "items[0].quantity"),
        ([{"sku": "LK-TOP-010", "quantity": True}], "items[0].quantity"),
        ([{"sku": "LK-TOP-010", "quantity": 1.5}], "items[0].quantity"),
        ([{"quantity": 1}], "items[0].sku"),
        (["LK-TOP-010"], "items[0]"),
        ([], "items"),
        ("LK-TOP-010", "items"),
    ],
)
def test_invalid_return_items_name_the_field(client, items, field):
    response = client.post("/v1/orders/ORD-10003/returns", {"email": JOHN, "items": items, "reason": "x"})

    assert response.status_code == 422
    assert error_code(response) == "invalid_items"
    assert response.json()["error"]["field"] == field


def test_a_return_needs_a_reason(client):
    response = client.post("/v1/orders/ORD-10003/returns", {"email": JOHN, "items": [TEE]})

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "reason"


def test_gift_cards_cannot_be_returned(client):
    response = client.post(
        "/v1/orders/ORD-10008/returns",
        {"email": LUKAS, "items": [{"sku": "LK-GFT-050", "quantity": 1}], "reason": "Unwanted gift."},
    )

    assert response.status_code == 422
    assert error_code(response) == "invalid_items"


def test_items_cannot_be_returned_twice(fresh_client, fresh_shop_api):
    first = fresh_client.post("/v1/orders/ORD-10003/returns", RETURN_BODY)
    second = fresh_client.post(
        "/v1/orders/ORD-10003/returns", {**RETURN_BODY, "items": [{"sku": "LK-TOP-010", "quantity": 2}]}
    )
    third = fresh_client.post("/v1/orders/ORD-10003/returns", RETURN_BODY)  # the one tee left
    fourth = fresh_client.post("/v1/orders/ORD-10003/returns", RETURN_BODY)

    assert [first.status_code, second.status_code, third.status_code, fourth.status_code] == [
        201,
        409,
        201,
        409,
    ]
    assert error_code(second) == error_code(fourth) == "already_returned"
    assert sum(row["quantity"] for row in _returns_of(fresh_shop_api, "ORD-10003")) == 2


def test_the_same_idempotency_key_twice_creates_one_return(fresh_client, fresh_shop_api):
    headers = {"Idempotency-Key": "conv-42-return-1"}

    first = fresh_client.post("/v1/orders/ORD-10003/returns", RETURN_BODY, headers=headers)
    retry = fresh_client.post("/v1/orders/ORD-10003/returns", RETURN_BODY, headers=headers)

    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json() == first.json()
    rows = _returns_of(fresh_shop_api, "ORD-10003")
    assert [(row["id"], row["idempotency_key"]) for row in rows] == [(20002, "conv-42-return-1")]


def test_concurrent_submits_with_one_key_create_exactly_one_return(fresh_shop_api):
    submits = 10
    barrier = threading.Barrier(submits)
    url = f"{fresh_shop_api.base_url}/v1/orders/ORD-10003/returns"
    headers = {**fresh_shop_api.headers, "Idempotency-Key": "double-click-7f3a"}

    def submit(_):
        barrier.wait()  # release all requests at once
        return requests.post(url, json=RETURN_BODY, headers=headers, timeout=30)

    with ThreadPoolExecutor(max_workers=submits) as pool:
        responses = list(pool.map(submit, range(submits)))

    assert sorted(response.status_code for response in responses) == [200] * (submits - 1) + [201]
    assert len({response.json()["return_id"] for response in responses}) == 1
    with fresh_shop_api.db() as db:
        assert (
            db.execute("SELECT COUNT(*) FROM returns WHERE idempotency_key = 'double-click-7f3a'").fetchone()[
                0
            ]
            == 1
        )
        assert db.execute("SELECT COUNT(*) FROM returns WHERE order_id = 'ORD-10003'").fetchone()[0] == 1


def test_concurrent_submits_without_a_key_still_return_an_item_once(fresh_shop_api):
    submits = 8
    barrier = threading.Barrier(submits)
    url = f"{fresh_shop_api.base_url}/v1/orders/ORD-10003/returns"
    body = {**RETURN_BODY, "items": [{"sku": "LK-TOP-010", "quantity": 2}]}

    def submit(_):
        barrier.wait()
        return requests.post(url, json=body, headers=fresh_shop_api.headers, timeout=30)

    with ThreadPoolExecutor(max_workers=submits) as pool:
        codes = sorted(response.status_code for response in pool.map(submit, range(submits)))

    assert codes == [201] + [409] * (submits - 1)
    assert sum(row["quantity"] for row in _returns_of(fresh_shop_api, "ORD-10003")) == 2


def test_a_key_reused_for_a_different_request_is_refused(fresh_client, fresh_shop_api):
    headers = {"Idempotency-Key": "reused-key"}
    fresh_client.post("/v1/orders/ORD-10003/returns", RETURN_BODY, headers=headers)

    other_items = fresh_client.post(
        "/v1/orders/ORD-10003/returns", {**RETURN_BODY, "items": [{"sku": "LK-PCK-028", "quantity": 1}]},
        headers=headers,
    )
    other_order = fresh_client.post(
        "/v1/orders/ORD-10008/returns",
        {"email": LUKAS, "items": [{"sku": "LK-BTM-010", "quantity": 1}], "reason": "Too long."},
        headers=headers,
    )

    assert other_items.status_code == other_order.status_code == 422
    assert error_code(other_items) == error_code(other_order) == "idempotency_key_reused"
    with fresh_shop_api.db() as db:
        assert db.execute("SELECT COUNT(*) FROM returns").fetchone()[0] == 2  # RET-20001 and the first one


def test_a_used_key_with_a_wrong_email_reveals_nothing(fresh_client):
    headers = {"Idempotency-Key": "secret-ish"}
    fresh_client.post("/v1/orders/ORD-10003/returns", RETURN_BODY, headers=headers)

    response = fresh_client.post(
        "/v1/orders/ORD-10003/returns", {**RETURN_BODY, "email": MARIA}, headers=headers
    )

    assert response.status_code == 404
    assert error_code(response) == "order_not_found"


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "ключ"])
def test_malformed_idempotency_keys_are_refused(client, key):
    response = requests.post(
        f"{client.api.base_url}/v1/orders/ORD-10003/returns",
        json=RETURN_BODY,
        headers={**client.api.headers, "Idempotency-Key": key.encode("utf-8")},
        timeout=10,
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "Idempotency-Key"
