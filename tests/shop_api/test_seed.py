"""First-start seeding: deterministic, dated relative to the seeding time, done once, from the catalogue."""
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from bot.shop_api import db
from bot.shop_api.clock import from_iso, to_iso
from bot.shop_api.seed import initialise
from bot.shop_api.settings import DEFAULT_PRODUCTS_PATH
from tests.shop_api.client import MARIA, ShopClient
from tests.support.shop_api import start_shop_api

SEEDED_AT = datetime(2026, 3, 14, 9, 26, 53, tzinfo=timezone.utc)
TABLES = [
    "customers",
    "products",
    "orders",
    "order_items",
    "shipment_events",
    "returns",
    "return_items",
    "refunds",
    "handoffs",
]
TIME_COLUMNS = {
    "placed_at",
    "shipped_at",
    "delivered_at",
    "cancelled_at",
    "time",
    "created_at",
    "received_at",
    "completed_at",
}


def _dump(db_path: Path):
    connection = sqlite3.connect(db_path)
    connection.row_factory = sqlite3.Row
    try:
        return {
            table: [dict(row) for row in connection.execute(f"SELECT * FROM {table} ORDER BY rowid")]
            for table in TABLES
        }
    finally:
        connection.close()


def _seeded(tmp_path: Path, name: str, now: datetime) -> Path:
    path = tmp_path / name
    assert initialise(path, DEFAULT_PRODUCTS_PATH, now=now) is True
    return path


def test_two_fresh_databases_seed_identical_data(tmp_path):
    first = _dump(_seeded(tmp_path, "a.sqlite3", SEEDED_AT))
    second = _dump(_seeded(tmp_path, "b.sqlite3", SEEDED_AT))

    assert first == second
    assert [order["order_id"] for order in first["orders"]] == [f"ORD-1000{n}" for n in range(1, 9)]
    assert [(row["id"], row["status"]) for row in first["returns"]] == [(20001, "received")]
    assert [(row["id"], row["order_id"], row["status"]) for row in first["refunds"]] == [
        (30001, "ORD-10005", "completed"), (30002, "ORD-10006", "processing")
    ]
    assert [row["email"] for row in first["customers"]] == [
        "maria.garcia@example.com",
        "john.smith@example.com",
        "aiko.tanaka@example.com",
        "lukas.becker@example.com",
    ]


def test_seeding_later_shifts_every_timestamp_and_nothing_else(tmp_path):
    shift = timedelta(days=37, hours=5, seconds=11)
    early = _dump(_seeded(tmp_path, "early.sqlite3", SEEDED_AT))
    late = _dump(_seeded(tmp_path, "late.sqlite3", SEEDED_AT + shift))

    for table in TABLES:
        for early_row, late_row in zip(early[table], late[table], strict=True):
            for column, value in early_row.items():
                if column in TIME_COLUMNS and value is not None:
                    assert from_iso(late_row[column]) - from_iso(value) == shift, (table, column)
                elif column != "estimated_delivery":  # a date: shifts by whole days only
                    assert late_row[column] == value, (table, column)


@pytest.mark.parametrize(
    "order_id, column, age",
    [
        ("ORD-10001", "placed_at", timedelta(days=1)),
        ("ORD-10002", "shipped_at", timedelta(days=2)),
        ("ORD-10003", "delivered_at", timedelta(days=5)),
        ("ORD-10004", "delivered_at", timedelta(days=45)),
        ("ORD-10008", "delivered_at", timedelta(days=10)),
    ],
)
def test_demo_dates_are_relative_to_the_seeding_time(tmp_path, order_id, column, age):
    orders = {row["order_id"]: row for row in _dump(_seeded(tmp_path, "x.sqlite3", SEEDED_AT))["orders"]}

    assert orders[order_id][column] == to_iso(SEEDED_AT - age)


def test_products_come_from_the_catalogue(tmp_path):
    catalogue = yaml.safe_load(DEFAULT_PRODUCTS_PATH.read_text(encoding="utf-8"))["products"]

    products = _dump(_seeded(tmp_path, "x.sqlite3", SEEDED_AT))["products"]

    assert {row["sku"]: row["price_cents"] for row in products} == {
        entry["sku"]: round(entry["price"] * 100) for entry in catalogue
    }
    assert {row["sku"] for row in products if not row["returnable"]} == {
        entry["sku"] for entry in catalogue if entry["category"] == "gift cards"
    }


def test_an_existing_database_is_not_seeded_again(tmp_path):
    path = _seeded(tmp_path, "x.sqlite3", SEEDED_AT)
    before = _dump(path)

    assert initialise(path, DEFAULT_PRODUCTS_PATH, now=SEEDED_AT + timedelta(days=3)) is False
    assert _dump(path) == before


def test_a_restarted_server_keeps_its_changes(tmp_path):
    with start_shop_api(tmp_path) as api:
        assert ShopClient(api).post("/v1/orders/ORD-10001/cancel", {"email": MARIA}).status_code == 200

    with start_shop_api(tmp_path) as api:
        order = ShopClient(api).post("/v1/orders/ORD-10001/lookup", {"email": MARIA}).json()

    assert order["status"] == "cancelled"


def test_a_database_from_another_schema_version_is_refused(tmp_path):
    path = tmp_path / "old.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    connection.close()

    with pytest.raises(RuntimeError, match="schema version"):
        initialise(path, DEFAULT_PRODUCTS_PATH)


@pytest.mark.parametrize(
    "catalogue, message",
    [
        (None, "cannot read"),
        ("products: [\n", "cannot read"),
        ("items: []\n", "no `products:` list"),
        ("products:\n  - {sku: LK-X, name: X, price: 1}\n", "lacks category"),
        ("products:\n  - {sku: LK-X, name: X, category: tents, price: 1}\n", "missing from the catalogue"),
    ],
)
def test_an_unusable_catalogue_is_a_clear_error_and_leaves_no_half_seeded_file(tmp_path, catalogue, message):
    products = tmp_path / "products.yml"
    if catalogue is not None:
        products.write_text(catalogue, encoding="utf-8")
    path = tmp_path / "shop.sqlite3"

    with pytest.raises(ValueError, match=message):
        initialise(path, products)
    if path.exists():
        connection = sqlite3.connect(path)
        assert db.schema_version(connection) == 0  # the seeding transaction rolled back
        connection.close()
