"""Every query of the shop API, with the policy checks inside the same transaction as the change.

Methods are synchronous (sqlite3) and open their own connection: the HTTP layer runs them in worker
threads. Each answers a JSON-ready dict or raises `ApiError`.
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.shop_api import db, policy
from bot.shop_api.clock import from_iso, to_iso, utc_now
from bot.shop_api.errors import ApiError, order_not_found, return_not_found
from bot.shop_api.seed import LABEL_URL
from bot.shop_api.validation import HandoffRequest, ReturnLine

JsonObject = dict[str, Any]

FIRST_RETURN_ID = 20001
FIRST_REFUND_ID = 30001
FIRST_HANDOFF_ID = 40001
_PUBLIC_ID = re.compile(r"^(?P<prefix>[A-Z]+)-(?P<number>\d{5,9})$")


def public_id(prefix: str, number: int) -> str:
    return f"{prefix}-{number:05d}"


def _parse_public_id(prefix: str, text: str) -> int | None:
    match = _PUBLIC_ID.match(text)
    if match is None or match["prefix"] != prefix:
        return None
    return int(match["number"])


def _money(cents: int) -> float:
    return round(cents / 100, 2)


def _request_fingerprint(order_id: str, lines: Sequence[ReturnLine], reason: str) -> str:
    """What a retry must repeat for its Idempotency-Key to answer with the earlier return."""
    canonical = json.dumps(
        {"order_id": order_id, "items": sorted((line.sku, line.quantity) for line in lines), "reason": reason}
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ShopRepository:
    """Orders, returns, refunds and handoffs in the SQLite file at `db_path`."""

    def __init__(self, db_path: Path, clock: Callable[[], datetime] = utc_now) -> None:
        self.db_path = Path(db_path)
        self.clock = clock

    # Orders ---------------------------------------------------------------------------------------

    def lookup_order(self, order_id: str, email: str) -> JsonObject:
        with db.connection(self.db_path) as conn, db.transaction(conn):
            return _order_document(conn, _order_row(conn, order_id, email))

    def tracking(self, order_id: str, email: str) -> JsonObject:
        with db.connection(self.db_path) as conn, db.transaction(conn):
            row = _order_row(conn, order_id, email)
            events = conn.execute(
                "SELECT time, description FROM shipment_events WHERE order_id = ? ORDER BY time, id",
                (order_id,),
            ).fetchall()
        return {
            "order_id": row["order_id"],
            "status": row["status"],
            "carrier": row["carrier"],
            "tracking_number": row["tracking_number"],
            "estimated_delivery": row["estimated_delivery"],
            "events": [{"time": event["time"], "description": event["description"]} for event in events],
        }

    def cancel_order(self, order_id: str, email: str, reason: str | None) -> JsonObject:
        """Cancel a processing order and refund it in full at once."""
        now = to_iso(self.clock())
        with db.connection(self.db_path) as conn, db.transaction(conn, write=True):
            row = _order_row(conn, order_id, email)
            policy.check_cancellable(row["status"])
            conn.execute(
                "UPDATE orders SET status = 'cancelled', cancelled_at = ?, cancel_reason = ?, "
                "estimated_delivery = NULL"
                " WHERE order_id = ?",
                (now, reason, order_id),
            )
            _add_event(conn, order_id, now, "Order cancelled at the customer's request")
            refund_id = _next_id(conn, "refunds", FIRST_REFUND_ID)
            conn.execute(
                "INSERT INTO refunds (id, order_id, return_id, amount_cents, currency, status, created_at, "
                "completed_at)"
                " VALUES (?, ?, NULL, ?, ?, 'completed', ?, ?)",
                (refund_id, order_id, _total_cents(conn, row), row["currency"], now, now),
            )
            document = _order_document(conn, _order_row(conn, order_id, email))
            document["refund"] = _refund_document(_refund_row(conn, refund_id))
        return document

    def change_shipping_address(
        self, order_id: str, email: str, address: Mapping[str, str | None]
    ) -> JsonObject:
        now = to_iso(self.clock())
        with db.connection(self.db_path) as conn, db.transaction(conn, write=True):
            row = _order_row(conn, order_id, email)
            policy.check_address_changeable(row["status"])
            conn.execute(
                "UPDATE orders SET shipping_address = ? WHERE order_id = ?",
                (json.dumps(dict(address)), order_id),
            )
            _add_event(conn, order_id, now, "Shipping address changed at the customer's request")
            return _order_document(conn, _order_row(conn, order_id, email))

    # Returns --------------------------------------------------------------------------------------

    def create_return(
        self,
        order_id: str,
        email: str,
        lines: Sequence[ReturnLine],
        reason: str,
        idempotency_key: str | None,
    ) -> tuple[JsonObject, bool]:
        """The return and True when created, or the earlier return and False for a repeated key.

        The write lock serialises concurrent submits, so a second one finds the first one's key; the
        unique constraint on the key is the database's own guarantee should any writer skip the lock.
        """
        fingerprint = _request_fingerprint(order_id, lines, reason)
        now = self.clock()
        with db.connection(self.db_path) as conn, db.transaction(conn, write=True):
            # The email is checked before the key, so a wrong email learns nothing about earlier returns.
            order = _order_row(conn, order_id, email)
            if idempotency_key is not None:
                earlier = conn.execute(
                    "SELECT * FROM returns WHERE idempotency_key = ?", (idempotency_key,)
                ).fetchone()
                if earlier is not None:
                    if earlier["order_id"] != order_id or earlier["request_fingerprint"] != fingerprint:
                        raise ApiError(
                            422,
                            "idempotency_key_reused",
                            "Idempotency-Key: this key was already used for a different return request.",
                            field="Idempotency-Key",
                        )
                    return _return_document(conn, earlier), False
            policy.check_returnable(order["status"], _optional_time(order["delivered_at"]), now)
            policy.check_return_lines(
                lines, _ordered_lines(conn, order_id), _returned_quantities(conn, order_id)
            )
            return_id = _next_id(conn, "returns", FIRST_RETURN_ID)
            conn.execute(
                "INSERT INTO returns (id, order_id, status, reason, label_url, created_at, idempotency_key,"
                " request_fingerprint) VALUES (?, ?, 'requested', ?, ?, ?, ?, ?)",
                (
                    return_id,
                    order_id,
                    reason,
                    LABEL_URL.format(id=return_id),
                    to_iso(now),
                    idempotency_key,
                    fingerprint,
                ),
            )
            conn.executemany(
                "INSERT INTO return_items (return_id, sku, quantity) VALUES (?, ?, ?)",
                [(return_id, line.sku, line.quantity) for line in lines],
            )
            created = conn.execute("SELECT * FROM returns WHERE id = ?", (return_id,)).fetchone()
            return _return_document(conn, created), True

    def lookup_return(self, return_id: str, email: str) -> JsonObject:
        number = _parse_public_id("RET", return_id)
        with db.connection(self.db_path) as conn, db.transaction(conn):
            row = conn.execute(
                "SELECT r.* FROM returns r JOIN orders o ON o.order_id = r.order_id"
                " JOIN customers c ON c.customer_id = o.customer_id WHERE r.id = ? AND c.email = ?",
                (number, email),
            ).fetchone()
            if row is None:
                raise return_not_found()
            return _return_document(conn, row)

    # Refunds --------------------------------------------------------------------------------------

    def refunds(self, order_id: str, email: str) -> JsonObject:
        with db.connection(self.db_path) as conn, db.transaction(conn):
            _order_row(conn, order_id, email)
            rows = conn.execute(
                "SELECT * FROM refunds WHERE order_id = ? ORDER BY id", (order_id,)
            ).fetchall()
        return {"order_id": order_id, "refunds": [_refund_document(row) for row in rows]}

    # Handoffs -------------------------------------------------------------------------------------

    def create_handoff(self, request: HandoffRequest) -> JsonObject:
        now = to_iso(self.clock())
        transcript = json.dumps([message.as_dict() for message in request.transcript], ensure_ascii=False)
        with db.connection(self.db_path) as conn, db.transaction(conn, write=True):
            handoff_id = _next_id(conn, "handoffs", FIRST_HANDOFF_ID)
            conn.execute(
                "INSERT INTO handoffs (id, conversation_id, reason, transcript, transcript_truncated, "
                "status, created_at)"
                " VALUES (?, ?, ?, ?, ?, 'open', ?)",
                (
                    handoff_id,
                    request.conversation_id,
                    request.reason,
                    transcript,
                    int(request.transcript_truncated),
                    now,
                ),
            )
            return _handoff_document(
                conn.execute("SELECT * FROM handoffs WHERE id = ?", (handoff_id,)).fetchone()
            )

    def get_handoff(self, handoff_id: str) -> JsonObject:
        number = _parse_public_id("HO", handoff_id)
        with db.connection(self.db_path) as conn:
            row = conn.execute("SELECT * FROM handoffs WHERE id = ?", (number,)).fetchone()
        if row is None:
            raise ApiError(404, "handoff_not_found", "No handoff has this id.")
        return _handoff_document(row)


# Row helpers (all take an open connection inside a transaction) -------------------------------------


def _order_row(conn: sqlite3.Connection, order_id: str, email: str) -> sqlite3.Row:
    row = conn.execute(
        "SELECT o.* FROM orders o JOIN customers c ON c.customer_id = o.customer_id"
        " WHERE o.order_id = ? AND c.email = ?",
        (order_id, email),
    ).fetchone()
    if row is None:
        raise order_not_found()
    return row


def _next_id(conn: sqlite3.Connection, table: str, first: int) -> int:
    """The next number of a public id; safe because callers hold the write lock."""
    (highest,) = conn.execute(f"SELECT MAX(id) FROM {table}").fetchone()  # table names are constants
    return first if highest is None else max(first, highest + 1)


def _add_event(conn: sqlite3.Connection, order_id: str, time: str, description: str) -> None:
    conn.execute(
        "INSERT INTO shipment_events (order_id, time, description) VALUES (?, ?, ?)",
        (order_id, time, description),
    )


def _items(conn: sqlite3.Connection, order_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT i.sku, i.name, i.quantity, i.unit_price_cents, p.returnable FROM order_items i"
        " JOIN products p ON p.sku = i.sku WHERE i.order_id = ? ORDER BY i.rowid",
        (order_id,),
    ).fetchall()


def _total_cents(conn: sqlite3.Connection, order: sqlite3.Row) -> int:
    return order["shipping_cents"] + sum(
        item["quantity"] * item["unit_price_cents"] for item in _items(conn, order["order_id"])
    )


def _ordered_lines(conn: sqlite3.Connection, order_id: str) -> dict[str, policy.OrderedLine]:
    return {
        item["sku"]: policy.OrderedLine(item["name"], item["quantity"], bool(item["returnable"]))
        for item in _items(conn, order_id)
    }


def _returned_quantities(conn: sqlite3.Connection, order_id: str) -> dict[str, int]:
    rows = conn.execute(
        "SELECT ri.sku, SUM(ri.quantity) AS quantity FROM return_items ri JOIN returns r ON r.id = "
        "ri.return_id"
        " WHERE r.order_id = ? GROUP BY ri.sku",
        (order_id,),
    ).fetchall()
    return {row["sku"]: row["quantity"] for row in rows}


def _optional_time(text: str | None) -> datetime | None:
    return from_iso(text) if text is not None else None


def _order_document(conn: sqlite3.Connection, order: sqlite3.Row) -> JsonObject:
    items = _items(conn, order["order_id"])
    deadline = policy.return_deadline(_optional_time(order["delivered_at"]))
    return {
        "order_id": order["order_id"],
        "status": order["status"],
        "placed_at": order["placed_at"],
        "total": _money(_total_cents(conn, order)),
        "currency": order["currency"],
        "items": [
            {"sku": item["sku"], "name": item["name"], "quantity": item["quantity"],
             "unit_price": _money(item["unit_price_cents"])}
            for item in items
        ],
        "shipping_address": json.loads(order["shipping_address"]),
        "shipping_method": order["shipping_method"],
        "shipping_cost": _money(order["shipping_cents"]),
        "shipped_at": order["shipped_at"],
        "delivered_at": order["delivered_at"],
        "estimated_delivery": order["estimated_delivery"],
        "return_deadline": to_iso(deadline) if deadline is not None else None,
        "cancelled_at": order["cancelled_at"],
        "carrier": order["carrier"],
        "tracking_number": order["tracking_number"],
    }


def _return_document(conn: sqlite3.Connection, row: sqlite3.Row) -> JsonObject:
    items = conn.execute(
        "SELECT ri.sku, i.name, ri.quantity FROM return_items ri"
        " JOIN order_items i ON i.order_id = ? AND i.sku = ri.sku WHERE ri.return_id = ? ORDER BY ri.rowid",
        (row["order_id"], row["id"]),
    ).fetchall()
    return {
        "return_id": public_id("RET", row["id"]),
        "order_id": row["order_id"],
        "status": row["status"],
        "items": [{"sku": item["sku"], "name": item["name"], "quantity": item["quantity"]} for item in items],
        "reason": row["reason"],
        "label_url": row["label_url"],
        "created_at": row["created_at"],
        "received_at": row["received_at"],
    }


def _refund_row(conn: sqlite3.Connection, refund_id: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM refunds WHERE id = ?", (refund_id,)).fetchone()


def _refund_document(row: sqlite3.Row) -> JsonObject:
    return {
        "refund_id": public_id("RF", row["id"]),
        "return_id": public_id("RET", row["return_id"]) if row["return_id"] is not None else None,
        "amount": _money(row["amount_cents"]),
        "currency": row["currency"],
        "status": row["status"],
        "created_at": row["created_at"],
        "completed_at": row["completed_at"],
    }


def _handoff_document(row: sqlite3.Row) -> JsonObject:
    return {
        "handoff_id": public_id("HO", row["id"]),
        "conversation_id": row["conversation_id"],
        "status": row["status"],
        "reason": row["reason"],
        "transcript": json.loads(row["transcript"]),
        "transcript_truncated": bool(row["transcript_truncated"]),
        "created_at": row["created_at"],
    }
