"""The served OpenAPI document covers every route, resolves, and describes what the server really answers."""
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from bot.shop_api.app import create_app
from bot.shop_api.settings import Settings
from tests.shop_api.client import AIKO, JOHN, MARIA

HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


@pytest.fixture(scope="module")
def document(shop_api) -> dict[str, Any]:
    response = requests.get(f"{shop_api.base_url}/openapi.json", timeout=10)  # no key needed
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def app_routes():
    # Building the app opens no files, so placeholder paths are enough.
    app = create_app(
        Settings(api_key="unused", db_path=Path("unused.sqlite3"), products_path=Path("unused.yml"))
    )
    routes = set()
    for route in app.router.routes:
        path = "/" + re.sub(r"<(\w+)(:[^>]*)?>", r"{\1}", route.path.lstrip("/"))
        routes.update((method.lower(), path) for method in route.methods)
    return routes


def test_it_is_an_openapi_3_document(document):
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] and document["info"]["version"]
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }


def test_every_route_is_documented_and_every_documented_route_exists(document, app_routes):
    documented = {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }

    assert app_routes  # the router listing works, so the comparison means something
    assert documented == app_routes


def test_every_reference_resolves(document):
    schemas = document["components"]["schemas"]
    references = re.findall(r'"\$ref": "([^"]+)"', json.dumps(document))

    assert references
    for reference in references:
        assert reference.startswith("#/components/schemas/")
        assert reference.rsplit("/", 1)[1] in schemas, reference


def test_operations_declare_success_responses_parameters_and_security(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            assert any(status.startswith("2") for status in statuses), (method, path)
            declared = {
                parameter["name"]
                for parameter in operation.get("parameters", [])
                if parameter["in"] == "path"
            }
            assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)
            if path.startswith("/v1/"):
                assert operation["security"] == [{"ApiKey": []}], (method, path)
                assert "401" in statuses, (method, path)
            else:
                assert operation["security"] == [], (method, path)


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: `nullable` becomes a null alternative, and objects refuse
    undocumented properties, so a field the server sends but the document lacks fails the test."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        key: _json_schema(value) for key, value in node.items() if key not in {"nullable", "example"}
    }
    if "properties" in converted:
        converted["additionalProperties"] = False
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _check(document: dict[str, Any], path: str, method: str, response: requests.Response) -> None:
    status = str(response.status_code)
    declared = document["paths"][path][method]["responses"]
    assert status in declared, f"{method} {path} answered undocumented {status}"
    schema = declared[status]["content"]["application/json"]["schema"]
    root = {"components": _json_schema(document["components"])}
    jsonschema.validate(response.json(), {**_json_schema(schema), **root})


def test_read_responses_match_the_document(document, client):
    checks = [
        ("/v1/orders/{order_id}/lookup", client.post("/v1/orders/ORD-10003/lookup", {"email": JOHN})),
        ("/v1/orders/{order_id}/lookup", client.post("/v1/orders/ORD-10006/lookup", {"email": AIKO})),
        ("/v1/orders/{order_id}/lookup", client.post("/v1/orders/ORD-99999/lookup", {"email": JOHN})),
        ("/v1/orders/{order_id}/lookup", client.post("/v1/orders/ORD-10003/lookup", {"email": "nope"})),
        ("/v1/orders/{order_id}/tracking", client.post("/v1/orders/ORD-10002/tracking", {"email": MARIA})),
        ("/v1/orders/{order_id}/refunds", client.post("/v1/orders/ORD-10006/refunds", {"email": AIKO})),
        ("/v1/returns/{return_id}/lookup", client.post("/v1/returns/RET-20001/lookup", {"email": AIKO})),
        ("/v1/orders/{order_id}/cancel", client.post("/v1/orders/ORD-10002/cancel", {"email": MARIA})),
    ]
    for path, response in checks:
        _check(document, path, "post", response)
    _check(document, "/health", "get", requests.get(f"{client.api.base_url}/health", timeout=10))


def test_write_responses_match_the_document(document, fresh_client):
    cancelled = fresh_client.post("/v1/orders/ORD-10001/cancel", {"email": MARIA})
    moved = fresh_client.post(
        "/v1/orders/ORD-10007/shipping-address",
        {
            "email": "lukas.becker@example.com",
            "address": {
                "name": "L B",
                "line1": "1 Elm St",
                "city": "Madison",
                "postal_code": "53703",
                "country": "US",
            },
        },
    )
    returned = fresh_client.post(
        "/v1/orders/ORD-10003/returns",
        {"email": JOHN, "items": [{"sku": "LK-TOP-010", "quantity": 1}], "reason": "Too big."},
        headers={"Idempotency-Key": "k1"},
    )
    repeated = fresh_client.post(
        "/v1/orders/ORD-10003/returns",
        {"email": JOHN, "items": [{"sku": "LK-TOP-010", "quantity": 1}], "reason": "Too big."},
        headers={"Idempotency-Key": "k1"},
    )
    handoff = fresh_client.post(
        "/v1/handoffs", {"conversation_id": "c1", "reason": "angry", "transcript": []}
    )

    _check(document, "/v1/orders/{order_id}/cancel", "post", cancelled)
    _check(document, "/v1/orders/{order_id}/shipping-address", "post", moved)
    _check(document, "/v1/orders/{order_id}/returns", "post", returned)
    _check(document, "/v1/orders/{order_id}/returns", "post", repeated)
    _check(document, "/v1/handoffs", "post", handoff)
    _check(
        document,
        "/v1/handoffs/{handoff_id}",
        "get",
        fresh_client.get(f"/v1/handoffs/{handoff.json()['handoff_id']}"),
    )
    assert [cancelled.status_code, moved.status_code, returned.status_code, repeated.status_code] == [
        200,
        200,
        201,
        200,
    ]
