"""The OpenAPI 3 description of the shop API, served at `GET /openapi.json`.

Written by hand next to the routes; tests/shop_api/test_openapi.py fails when a route is missing here.
"""
from __future__ import annotations

from typing import Any

from bot.shop_api.policy import RETURN_WINDOW
from bot.shop_api.validation import (
    MAX_BODY_BYTES,
    MAX_QUANTITY,
    MAX_REASON_CHARS,
    MAX_RETURN_LINES,
    MAX_TRANSCRIPT_MESSAGES,
    MAX_TRANSCRIPT_TEXT_CHARS,
)

JsonObject = dict[str, Any]


def _ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: JsonObject) -> JsonObject:
    return {**schema, "nullable": True}


def _object(properties: JsonObject, required: list[str] | None = None) -> JsonObject:
    return {"type": "object", "properties": properties, "required": required or list(properties)}


_TIME = {"type": "string", "format": "date-time", "example": "2025-05-01T14:03:00Z"}
_DATE = {"type": "string", "format": "date"}
_MONEY = {"type": "number", "format": "double", "example": 228.0}
_EMAIL = {"type": "string", "format": "email", "maxLength": 254, "example": "maria.garcia@example.com"}

_ORDER_PROPERTIES: JsonObject = {
    "order_id": {"type": "string", "pattern": r"^ORD-\d{5}$"},
    "status": {"type": "string", "enum": ["processing", "shipped", "delivered", "cancelled", "returned"]},
    "placed_at": _TIME,
    "total": _MONEY,
    "currency": {"type": "string", "example": "USD"},
    "items": {"type": "array", "items": _ref("OrderItem")},
    "shipping_address": _ref("Address"),
    "shipping_method": {"type": "string", "enum": ["standard", "express", "next_day", "international"]},
    "shipping_cost": _MONEY,
    "shipped_at": _nullable(_TIME),
    "delivered_at": _nullable(_TIME),
    "estimated_delivery": _nullable(_DATE),
    "return_deadline": _nullable(
        {**_TIME, "description": f"End of the {RETURN_WINDOW.days}-day return window (delivered orders)."}
    ),
    "cancelled_at": _nullable(_TIME),
    "carrier": _nullable({"type": "string"}),
    "tracking_number": _nullable({"type": "string"}),
}

SCHEMAS: JsonObject = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {"type": "string", "example": "order_not_found"},
                    "message": {"type": "string"},
                    "field": {
                        "type": "string",
                        "description": "The field at fault (422 only).",
                        "example": "address.city",
                    },
                },
                required=["code", "message"],
            )
        }
    ),
    "EmailRequest": _object({"email": _EMAIL}),
    "CancelRequest": _object(
        {"email": _EMAIL, "reason": {"type": "string", "maxLength": MAX_REASON_CHARS}}, required=["email"]
    ),
    "Address": _object(
        {
            "name": {"type": "string", "maxLength": 100},
            "line1": {"type": "string", "maxLength": 200},
            "line2": _nullable({"type": "string", "maxLength": 200}),
            "city": {"type": "string", "maxLength": 100},
            "region": _nullable({"type": "string", "maxLength": 100, "description": "State or province."}),
            "postal_code": {"type": "string", "maxLength": 20},
            "country": {"type": "string", "maxLength": 56, "example": "US"},
        },
        required=["name", "line1", "city", "postal_code", "country"],
    ),
    "AddressRequest": _object({"email": _EMAIL, "address": _ref("Address")}),
    "OrderItem": _object(
        {
            "sku": {"type": "string"},
            "name": {"type": "string"},
            "quantity": {"type": "integer"},
            "unit_price": _MONEY,
        }
    ),
    "Order": _object(_ORDER_PROPERTIES),
    "CancelledOrder": {
        **_object({**_ORDER_PROPERTIES, "refund": _ref("Refund")}),
        "description": "The cancelled order and the refund issued for it.",
    },
    "Tracking": _object(
        {
            "order_id": {"type": "string"},
            "status": {"type": "string"},
            "carrier": _nullable({"type": "string"}),
            "tracking_number": _nullable({"type": "string"}),
            "estimated_delivery": _nullable(_DATE),
            "events": {
                "type": "array",
                "items": _object({"time": _TIME, "description": {"type": "string"}}),
            },
        }
    ),
    "ReturnRequest": _object(
        {
            "email": _EMAIL,
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_RETURN_LINES,
                "items": _object(
                    {
                        "sku": {"type": "string", "example": "LK-TOP-010"},
                        "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
                    }
                ),
            },
            "reason": {"type": "string", "maxLength": MAX_REASON_CHARS},
        }
    ),
    "Return": _object(
        {
            "return_id": {"type": "string", "pattern": r"^RET-\d{5}$"},
            "order_id": {"type": "string"},
            "status": {"type": "string", "enum": ["requested", "received", "refunded"]},
            "items": {
                "type": "array",
                "items": _object(
                    {"sku": {"type": "string"}, "name": {"type": "string"}, "quantity": {"type": "integer"}}
                ),
            },
            "reason": {"type": "string"},
            "label_url": {"type": "string", "format": "uri"},
            "created_at": _TIME,
            "received_at": _nullable(_TIME),
        }
    ),
    "Refund": _object(
        {
            "refund_id": {"type": "string", "pattern": r"^RF-\d{5}$"},
            "return_id": _nullable({"type": "string"}),
            "amount": _MONEY,
            "currency": {"type": "string"},
            "status": {"type": "string", "enum": ["processing", "completed"]},
            "created_at": _TIME,
            "completed_at": _nullable(_TIME),
        }
    ),
    "Refunds": _object(
        {"order_id": {"type": "string"}, "refunds": {"type": "array", "items": _ref("Refund")}}
    ),
    "TranscriptMessage": _object(
        {
            "sender": {"type": "string", "maxLength": 32, "example": "user"},
            "text": {"type": "string", "description": f"Cut to {MAX_TRANSCRIPT_TEXT_CHARS} characters."},
            "timestamp": _nullable(
                {"oneOf": [{"type": "number"}, {"type": "string"}], "description": "Unix time or ISO 8601."}
            ),
        },
        required=["sender"],
    ),
    "HandoffRequest": _object(
        {
            "conversation_id": {"type": "string", "maxLength": 128},
            "reason": {"type": "string", "maxLength": MAX_REASON_CHARS},
            "transcript": {
                "type": "array",
                "items": _ref("TranscriptMessage"),
                "description": f"Only the latest {MAX_TRANSCRIPT_MESSAGES} messages are kept.",
            },
        },
        required=["conversation_id", "reason"],
    ),
    "Handoff": _object(
        {
            "handoff_id": {"type": "string", "pattern": r"^HO-\d{5}$"},
            "conversation_id": {"type": "string"},
            "status": {"type": "string", "enum": ["open", "closed"]},
            "reason": {"type": "string"},
            "transcript": {"type": "array", "items": _ref("TranscriptMessage")},
            "transcript_truncated": {"type": "boolean"},
            "created_at": _TIME,
        }
    ),
    "Health": _object({"status": {"type": "string", "enum": ["ok"]}}),
}

_ERROR_DESCRIPTIONS = {
    "400": "The body is not valid JSON.",
    "401": "Missing or wrong X-API-Key.",
    "404": "Unknown id, or an email that does not match it (answered the same way).",
    "409": "The order's state forbids this.",
    "413": f"The body is larger than {MAX_BODY_BYTES // 1024} KB.",
    "422": "A field is missing or invalid; `error.field` names it.",
}


def _json(schema: JsonObject, description: str) -> JsonObject:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(
    summary: str,
    request: str | None,
    responses: dict[str, JsonObject],
    errors: list[str],
    secured: bool = True,
    parameter: str | None = None,
    extra_parameters: list[JsonObject] | None = None,
) -> JsonObject:
    operation: JsonObject = {"summary": summary, "responses": dict(responses)}
    for status in errors:
        operation["responses"][status] = _json(_ref("Error"), _ERROR_DESCRIPTIONS[status])
    parameters = list(extra_parameters or [])
    if parameter:
        parameters.insert(
            0, {"name": parameter, "in": "path", "required": True, "schema": {"type": "string"}}
        )
    if parameters:
        operation["parameters"] = parameters
    if request:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(request)}},
        }
    operation["security"] = [{"ApiKey": []}] if secured else []
    return operation


_CUSTOMER_ERRORS = ["400", "401", "404", "413", "422"]
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Repeating a request with the same key answers 200 with the return created the first time."
    ),
    "schema": {"type": "string", "maxLength": 255},
}

PATHS: JsonObject = {
    "/health": {
        "get": _operation(
            "Liveness check", None, {"200": _json(_ref("Health"), "The service is up.")}, [], secured=False
        )
    },
    "/openapi.json": {
        "get": _operation(
            "This document",
            None,
            {
                "200": {
                    "description": "The OpenAPI document.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
            [],
            secured=False,
        )
    },
    "/v1/orders/{order_id}/lookup": {
        "post": _operation(
            "Look up an order",
            "EmailRequest",
            {"200": _json(_ref("Order"), "The order.")},
            _CUSTOMER_ERRORS,
            parameter="order_id",
        )
    },
    "/v1/orders/{order_id}/tracking": {
        "post": _operation(
            "Track an order",
            "EmailRequest",
            {"200": _json(_ref("Tracking"), "Carrier, tracking number and events.")},
            _CUSTOMER_ERRORS,
            parameter="order_id",
        )
    },
    "/v1/orders/{order_id}/cancel": {
        "post": _operation(
            "Cancel an order that has not shipped; refunds it in full",
            "CancelRequest",
            {"200": _json(_ref("CancelledOrder"), "The cancelled order and its refund.")},
            _CUSTOMER_ERRORS + ["409"],
            parameter="order_id",
        )
    },
    "/v1/orders/{order_id}/shipping-address": {
        "post": _operation(
            "Change the shipping address of an order that has not shipped",
            "AddressRequest",
            {"200": _json(_ref("Order"), "The order with its new address.")},
            _CUSTOMER_ERRORS + ["409"],
            parameter="order_id",
        )
    },
    "/v1/orders/{order_id}/returns": {
        "post": _operation(
            f"Request a return within {RETURN_WINDOW.days} days of delivery",
            "ReturnRequest",
            {
                "201": _json(_ref("Return"), "The return was created."),
                "200": _json(
                    _ref("Return"), "A repeated Idempotency-Key: the return created the first time."
                ),
            },
            _CUSTOMER_ERRORS + ["409"],
            parameter="order_id",
            extra_parameters=[_IDEMPOTENCY_KEY],
        )
    },
    "/v1/returns/{return_id}/lookup": {
        "post": _operation(
            "Look up a return",
            "EmailRequest",
            {"200": _json(_ref("Return"), "The return.")},
            _CUSTOMER_ERRORS,
            parameter="return_id",
        )
    },
    "/v1/orders/{order_id}/refunds": {
        "post": _operation(
            "List an order's refunds",
            "EmailRequest",
            {"200": _json(_ref("Refunds"), "The refunds, oldest first.")},
            _CUSTOMER_ERRORS,
            parameter="order_id",
        )
    },
    "/v1/handoffs": {
        "post": _operation(
            "Record a handoff to a human agent",
            "HandoffRequest",
            {"201": _json(_ref("Handoff"), "The handoff.")},
            ["400", "401", "413", "422"],
        )
    },
    "/v1/handoffs/{handoff_id}": {
        "get": _operation(
            "Read a handoff",
            None,
            {"200": _json(_ref("Handoff"), "The handoff.")},
            ["401", "404"],
            parameter="handoff_id",
        )
    },
}


def openapi_document() -> JsonObject:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Larkspur Outfitters shop API",
            "version": "1.0.0",
            "description": (
                "Orders, returns, refunds and handoffs for the Larkspur customer-service bot. Customer data "
                "endpoints take the customer's email in the JSON body and answer 404 when it does not match."
            ),
        },
        "servers": [{"url": "http://127.0.0.1:8077"}],
        "components": {
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
            "schemas": SCHEMAS,
        },
        "paths": PATHS,
    }
