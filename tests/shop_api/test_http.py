"""Bad requests get a JSON error with the documented status, never a crash; logs keep secrets out."""
import json
import re

import pytest
import requests

from bot.shop_api.validation import MAX_BODY_BYTES
from tests.shop_api.client import JOHN, MARIA, error_code


@pytest.mark.parametrize("body", [b'{"email": ', b"not json", b"", b"\xff\xfe{}", b'{"email": "a"}}'])
def test_malformed_json_is_a_400(client, body):
    response = client.post_raw("/v1/orders/ORD-10001/lookup", body)

    assert response.status_code == 400
    assert error_code(response) == "malformed_json"


@pytest.mark.parametrize("body", [b"[]", b'"maria.garcia@example.com"', b"null", b"42"])
def test_json_that_is_not_an_object_is_a_422(client, body):
    response = client.post_raw("/v1/orders/ORD-10001/lookup", body)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "body"


def test_a_body_over_the_limit_is_a_413(client):
    body = json.dumps({"email": MARIA, "padding": "x" * MAX_BODY_BYTES}).encode()

    response = client.post_raw("/v1/orders/ORD-10001/lookup", body)

    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"


def test_a_body_just_under_the_limit_is_read(client):
    body = json.dumps({"email": MARIA, "padding": ""}).encode()
    body = body.replace(b'""', b'"' + b"x" * (MAX_BODY_BYTES - len(body)) + b'"')
    assert len(body) == MAX_BODY_BYTES

    response = client.post_raw("/v1/orders/ORD-10001/lookup", body)

    assert response.status_code == 200


def test_a_chunked_body_over_the_limit_is_a_413(client):
    def chunks():
        for _ in range(MAX_BODY_BYTES // 1024 + 8):
            yield b" " * 1024

    response = client.post_raw("/v1/orders/ORD-10001/lookup", chunks())

    assert response.status_code == 413


@pytest.mark.parametrize(
    "body, code",
    [
        ({}, "invalid_email"),
        ({"email": None}, "invalid_email"),
        ({"email": ["maria.garcia@example.com"]}, "invalid_email"),
        ({"email": "maria.garcia"}, "invalid_email"),
        ({"email": "maria garcia@example.com"}, "invalid_email"),
        ({"email": "m" * 250 + "@example.com"}, "invalid_email"),
    ],
)
def test_a_missing_or_invalid_email_is_a_422(client, body, code):
    response = client.post("/v1/orders/ORD-10001/lookup", body)

    assert response.status_code == 422
    assert error_code(response) == code
    assert response.json()["error"]["field"] == "email"


def test_lone_surrogates_are_refused_not_stored(client):
    body = (
        b'{"email": "john.smith@example.com", "items": [{"sku": "LK-TOP-010", "quantity": 1}], '
        b'"reason": "\\ud800"}'
    )

    response = client.post_raw("/v1/orders/ORD-10003/returns", body)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "reason"


def test_unknown_paths_and_methods_answer_json(client):
    missing = client.get("/v1/nothing-here")
    wrong_method = client.get("/v1/orders/ORD-10001/lookup")

    assert (missing.status_code, error_code(missing)) == (404, "not_found")
    assert (wrong_method.status_code, error_code(wrong_method)) == (405, "method_not_allowed")


def test_logs_mask_emails_and_never_contain_the_key(client, shop_api):
    client.post("/v1/orders/ORD-10001/cancel", {"email": JOHN})  # refused: someone else's order
    client.post("/v1/orders/ORD-10003/refunds", {"email": JOHN})
    requests.post(
        f"{shop_api.base_url}/v1/orders/ORD-10001/lookup?email={MARIA}",
        json={"email": MARIA},
        headers={"X-API-Key": shop_api.api_key + "-wrong"},
        timeout=10,
    )

    log = shop_api.log_path.read_text(encoding="utf-8", errors="replace")

    assert "/v1/orders/ORD-10003/refunds" in log  # the access log is on, so this checks something
    assert MARIA not in log and JOHN not in log
    assert re.search(r"m\*\*\*(@|%40)example\.com", log)  # the address in the query string, masked
    assert shop_api.api_key not in log
