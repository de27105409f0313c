"""The schema itself refuses data the service must never hold, whoever writes it."""
import sqlite3

import pytest

from bot.shop_api import db
from bot.shop_api.seed import initialise
from bot.shop_api.settings import DEFAULT_PRODUCTS_PATH

INSERT_RETURN = (
    "INSERT INTO returns (order_id, status, reason, label_url, created_at, idempotency_key)"
    " VALUES ('ORD-10003', ?, 'r', 'https://x.example/l.pdf', '2026-01-01T00:00:00Z', ?)"
)


@pytest.fixture
def conn(tmp_path):
    path = tmp_path / "shop.sqlite3"
    initialise(path, DEFAULT_PRODUCTS_PATH)
    with db.connection(path) as connection:
        yield connection


def test_a_second_return_with_the_same_idempotency_key_is_refused(conn):
    conn.execute(INSERT_RETURN, ("requested", "key-1"))

    with pytest.raises(sqlite3.IntegrityError, match="returns.idempotency_key"):
        conn.execute(INSERT_RETURN, ("requested", "key-1"))
    conn.execute(INSERT_RETURN, ("requested", None))  # returns without a key are not limited
    conn.execute(INSERT_RETURN, ("requested", None))


def test_unknown_states_are_refused(conn):
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute(INSERT_RETURN, ("lost", "key-2"))
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute("UPDATE orders SET status = 'teleported' WHERE order_id = 'ORD-10001'")


def test_items_must_belong_to_a_known_order_and_product(conn):
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        conn.execute(
            "INSERT INTO order_items (order_id, sku, name, quantity, unit_price_cents)"
            " VALUES ('ORD-10001', 'LK-NOPE-000', 'Ghost', 1, 100)"
        )
