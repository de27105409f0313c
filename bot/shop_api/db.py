"""The SQLite schema, connections and transactions of the shop API.

Each request opens its own connection in a worker thread, so requests really run concurrently and
the database (unique constraints, `BEGIN IMMEDIATE` write locks) is what keeps the data consistent.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 10.0

SCHEMA = """
CREATE TABLE customers (
    customer_id TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL UNIQUE
);
CREATE TABLE products (
    sku         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    category    TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    returnable  INTEGER NOT NULL CHECK (returnable IN (0, 1)),
    details     TEXT NOT NULL  -- the catalogue entry as JSON
);
CREATE TABLE orders (
    order_id           TEXT PRIMARY KEY,
    customer_id        TEXT NOT NULL REFERENCES customers (customer_id),
    status             TEXT NOT NULL
                       CHECK (status IN ('processing', 'shipped', 'delivered', 'cancelled', 'returned')),
    placed_at          TEXT NOT NULL,
    currency           TEXT NOT NULL,
    shipping_method    TEXT NOT NULL,
    shipping_cents     INTEGER NOT NULL CHECK (shipping_cents >= 0),
    shipping_address   TEXT NOT NULL,  -- JSON object
    carrier            TEXT,
    tracking_number    TEXT,
    estimated_delivery TEXT,
    shipped_at         TEXT,
    delivered_at       TEXT,
    cancelled_at       TEXT,
    cancel_reason      TEXT
);
CREATE TABLE order_items (
    order_id         TEXT NOT NULL REFERENCES orders (order_id),
    sku              TEXT NOT NULL REFERENCES products (sku),
    name             TEXT NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
    PRIMARY KEY (order_id, sku)
);
CREATE TABLE shipment_events (
    id          INTEGER PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders (order_id),
    time        TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE TABLE returns (
    id                  INTEGER PRIMARY KEY,  -- shown as RET-<id>
    order_id            TEXT NOT NULL REFERENCES orders (order_id),
    status              TEXT NOT NULL CHECK (status IN ('requested', 'received', 'refunded')),
    reason              TEXT NOT NULL,
    label_url           TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    received_at         TEXT,
    -- A retried or doubled submit carries the same key: the constraint makes the second insert fail.
    idempotency_key     TEXT UNIQUE,
    request_fingerprint TEXT
);
CREATE TABLE return_items (
    return_id INTEGER NOT NULL REFERENCES returns (id),
    sku       TEXT NOT NULL,
    quantity  INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (return_id, sku)
);
CREATE TABLE refunds (
    id           INTEGER PRIMARY KEY,  -- shown as RF-<id>
    order_id     TEXT NOT NULL REFERENCES orders (order_id),
    return_id    INTEGER REFERENCES returns (id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('processing', 'completed')),
    created_at   TEXT NOT NULL,
    completed_at TEXT
);
CREATE TABLE handoffs (
    id              INTEGER PRIMARY KEY,  -- shown as HO-<id>
    conversation_id TEXT NOT NULL,
    reason          TEXT NOT NULL,
    transcript      TEXT NOT NULL,  -- JSON list of {sender, text, timestamp}
    transcript_truncated INTEGER NOT NULL CHECK (transcript_truncated IN (0, 1)),
    status          TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_at      TEXT NOT NULL
);
CREATE INDEX orders_by_customer ON orders (customer_id);
CREATE INDEX returns_by_order ON returns (order_id);
CREATE INDEX refunds_by_order ON refunds (order_id);
CREATE INDEX events_by_order ON shipment_events (order_id, time);
"""


def connect(db_path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode: transactions are opened explicitly with `transaction`."""
    conn = sqlite3.connect(str(db_path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, write: bool = False) -> Iterator[sqlite3.Connection]:
    """Commit on success, roll back on any exception.

    A write transaction starts with `BEGIN IMMEDIATE`: it takes the database's write lock before the
    first read, so a check-then-insert (is there a return with this key? no: insert) cannot interleave
    with another writer's.
    """
    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def connection(db_path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(db_path)
    try:
        yield conn
    finally:
        conn.close()


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the tables inside the caller's transaction and stamp the schema version."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def enable_wal(db_path: Path) -> None:
    """Write-ahead logging lets readers proceed while a writer holds the lock; it persists in the file."""
    with connection(db_path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
