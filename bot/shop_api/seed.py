"""Create and seed the shop database on first start: the catalogue and the demo data of docs/contracts.md.

Every date is an offset from the seeding time, so ORD-10003 is always 5 days past delivery (returnable)
and ORD-10004 always 45 days past it (window closed) on a freshly seeded database. Given the same
seeding time, two databases are seeded identically.
"""
from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from bot.shop_api import db, policy
from bot.shop_api.clock import to_iso, utc_now

logger = logging.getLogger(__name__)

WAREHOUSE = "the Larkspur warehouse in Reno, NV"
LABEL_URL = "https://returns.larkspur-outfitters.example/labels/RET-{id}.pdf"
CURRENCY = "USD"


@dataclass(frozen=True)
class DemoCustomer:
    customer_id: str
    name: str
    email: str
    address: Mapping[str, str | None]


@dataclass(frozen=True)
class DemoOrder:
    order_id: str
    customer_id: str
    status: str
    items: tuple[tuple[str, int], ...]  # (sku, quantity)
    placed_ago: timedelta
    shipping_method: str = "standard"
    carrier: str | None = None
    tracking_number: str | None = None
    shipped_ago: timedelta | None = None
    delivered_ago: timedelta | None = None
    cancelled_ago: timedelta | None = None


def _address(
    name: str, line1: str, line2: str | None, city: str, region: str, postal_code: str
) -> dict[str, Any]:
    return {
        "name": name, "line1": line1, "line2": line2, "city": city,
        "region": region, "postal_code": postal_code, "country": "US",
    }


DEMO_CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer("CUS-1001", "Maria Garcia", "maria.garcia@example.com",
                 _address("Maria Garcia", "418 Alder Street", "Apt 3B", "Portland", "OR", "97205")),
    DemoCustomer("CUS-1002", "John Smith", "john.smith@example.com",
                 _address("John Smith", "72 Quarry Road", None, "Boulder", "CO", "80302")),
    DemoCustomer("CUS-1003", "Aiko Tanaka", "aiko.tanaka@example.com",
                 _address("Aiko Tanaka", "1500 Pine Ridge Avenue", "Unit 12", "Seattle", "WA", "98101")),
    DemoCustomer("CUS-1004", "Lukas Becker", "lukas.becker@example.com",
                 _address("Lukas Becker", "9 Lakeview Court", None, "Madison", "WI", "53703")),
)

_DAY = timedelta(days=1)
DEMO_ORDERS: tuple[DemoOrder, ...] = (
    DemoOrder("ORD-10001", "CUS-1001", "processing", (("LK-JKT-100", 1), ("LK-ACC-030", 1)), placed_ago=_DAY),
    DemoOrder(
        "ORD-10002",
        "CUS-1001",
        "shipped",
        (("LK-FTW-100", 1), ("LK-ACC-010", 1)),
        placed_ago=4 * _DAY,
        shipping_method="express",
        carrier="UPS",
        tracking_number="1Z4A7F290300100028",
        shipped_ago=2 * _DAY,
    ),
    DemoOrder(
        "ORD-10003",
        "CUS-1002",
        "delivered",
        (("LK-PCK-028", 1), ("LK-TOP-010", 2)),
        placed_ago=11 * _DAY,
        carrier="FedEx",
        tracking_number="781294630155",
        shipped_ago=8 * _DAY,
        delivered_ago=5 * _DAY,
    ),
    DemoOrder(
        "ORD-10004",
        "CUS-1002",
        "delivered",
        (("LK-TNT-201", 1),),
        placed_ago=52 * _DAY,
        carrier="UPS",
        tracking_number="1Z4A7F290300100044",
        shipped_ago=49 * _DAY,
        delivered_ago=45 * _DAY,
    ),
    DemoOrder(
        "ORD-10005",
        "CUS-1003",
        "cancelled",
        (("LK-SLP-020", 1),),
        placed_ago=20 * _DAY,
        cancelled_ago=20 * _DAY - timedelta(hours=3),
    ),
    DemoOrder(
        "ORD-10006",
        "CUS-1003",
        "returned",
        (("LK-JKT-210", 1),),
        placed_ago=27 * _DAY,
        carrier="USPS",
        tracking_number="9400111899223100100612",
        shipped_ago=25 * _DAY,
        delivered_ago=22 * _DAY,
    ),
    DemoOrder(
        "ORD-10007",
        "CUS-1004",
        "processing",
        (("LK-ACC-050", 1), ("LK-CMP-010", 1)),
        placed_ago=timedelta(hours=2),
    ),
    DemoOrder(
        "ORD-10008",
        "CUS-1004",
        "delivered",
        (("LK-BTM-010", 1), ("LK-ACC-020", 1), ("LK-GFT-050", 1)),
        placed_ago=15 * _DAY,
        carrier="UPS",
        tracking_number="1Z4A7F290300100080",
        shipped_ago=13 * _DAY,
        delivered_ago=10 * _DAY,
    ),
)

# ORD-10005: refunded in full when it was cancelled. ORD-10006: return received, refund on its way.
DEMO_RETURN_ID = 20001
DEMO_RETURN_ORDER = "ORD-10006"
DEMO_RETURN_REASON = "The shoulders are too narrow for me."
DEMO_RETURN_CREATED_AGO = 16 * _DAY
DEMO_RETURN_RECEIVED_AGO = 3 * _DAY
CANCELLED_ORDER = "ORD-10005"
CANCELLED_REFUND_ID = 30001
RETURN_REFUND_ID = 30002


def load_products(products_path: Path) -> list[dict[str, Any]]:
    """The catalogue entries of products.yml, checked for the fields the shop needs."""
    try:
        document = yaml.safe_load(Path(products_path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"cannot read the product catalogue {products_path}: {error}") from error
    products = document.get("products") if isinstance(document, dict) else None
    if not isinstance(products, list) or not products:
        raise ValueError(f"{products_path} has no `products:` list")
    for index, product in enumerate(products):
        missing = [
            key
            for key in ("sku", "name", "category", "price")
            if not isinstance(product, dict) or key not in product
        ]
        if missing:
            raise ValueError(f"{products_path}: product {index} lacks {', '.join(missing)}")
    return products


def initialise(db_path: Path, products_path: Path, now: datetime | None = None) -> bool:
    """Create the schema and seed it unless the file already holds a seeded database; True if it seeded."""
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    products = load_products(products_path)
    db.enable_wal(db_path)
    with db.connection(db_path) as conn, db.transaction(conn, write=True):
        version = db.schema_version(conn)
        if version == db.SCHEMA_VERSION:
            return False
        if version != 0:
            raise RuntimeError(
                f"{db_path} has schema version {version}, this service expects {db.SCHEMA_VERSION}: "
                "move the file away and start again to re-create it"
            )
        db.create_schema(conn)
        seed(conn, products, now or utc_now())
    logger.info("Created and seeded the shop database at %s", db_path)
    return True


def seed(conn: sqlite3.Connection, products: Sequence[Mapping[str, Any]], now: datetime) -> None:
    """Insert the catalogue and the demo data into an empty schema (inside the caller's transaction)."""
    prices = _insert_products(conn, products)
    for customer in DEMO_CUSTOMERS:
        conn.execute(
            "INSERT INTO customers (customer_id, name, email) VALUES (?, ?, ?)",
            (customer.customer_id, customer.name, customer.email),
        )
    addresses = {customer.customer_id: customer.address for customer in DEMO_CUSTOMERS}
    for order in DEMO_ORDERS:
        _insert_order(conn, order, addresses[order.customer_id], prices, now)
    _insert_history(conn, now)


def _cents(price: Any) -> int:
    return int(Decimal(str(price)) * 100)


def _insert_products(
    conn: sqlite3.Connection, products: Sequence[Mapping[str, Any]]
) -> dict[str, tuple[str, int]]:
    prices: dict[str, tuple[str, int]] = {}
    for product in products:
        sku = str(product["sku"]).upper()
        price_cents = _cents(product["price"])
        conn.execute(
            "INSERT INTO products (sku, name, category, price_cents, returnable, details) VALUES (?, ?, ?, "
            "?, ?, ?)",
            (
                sku,
                product["name"],
                product["category"],
                price_cents,
                int(policy.is_returnable_category(str(product["category"]))),
                json.dumps(product, sort_keys=True),
            ),
        )
        prices[sku] = (str(product["name"]), price_cents)
    return prices


def _insert_order(
    conn: sqlite3.Connection,
    order: DemoOrder,
    address: Mapping[str, str | None],
    prices: Mapping[str, tuple[str, int]],
    now: datetime,
) -> None:
    missing = [sku for sku, _ in order.items if sku not in prices]
    if missing:
        raise ValueError(
            f"demo order {order.order_id} uses SKUs missing from the catalogue: {', '.join(missing)}"
        )
    placed = now - order.placed_ago
    shipped = now - order.shipped_ago if order.shipped_ago is not None else None
    delivered = now - order.delivered_ago if order.delivered_ago is not None else None
    cancelled = now - order.cancelled_ago if order.cancelled_ago is not None else None
    subtotal = sum(prices[sku][1] * quantity for sku, quantity in order.items)
    conn.execute(
        "INSERT INTO orders (order_id, customer_id, status, placed_at, currency, shipping_method, "
        "shipping_cents,"
        " shipping_address, carrier, tracking_number, estimated_delivery, shipped_at, delivered_at, "
        "cancelled_at,"
        " cancel_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            order.order_id,
            order.customer_id,
            order.status,
            to_iso(placed),
            CURRENCY,
            order.shipping_method,
            policy.shipping_cents(order.shipping_method, subtotal),
            json.dumps(dict(address)),
            order.carrier,
            order.tracking_number,
            _estimated_delivery(placed, shipped, delivered, cancelled),
            _iso_or_none(shipped),
            _iso_or_none(delivered),
            _iso_or_none(cancelled),
            "Ordered the wrong size." if cancelled else None,
        ),
    )
    for sku, quantity in order.items:
        name, unit_price = prices[sku]
        conn.execute(
            "INSERT INTO order_items (order_id, sku, name, quantity, unit_price_cents) VALUES (?, ?, ?, ?, "
            "?)",
            (order.order_id, sku, name, quantity, unit_price),
        )
    for time, description in _events(order, placed, shipped, delivered, cancelled):
        conn.execute(
            "INSERT INTO shipment_events (order_id, time, description) VALUES (?, ?, ?)",
            (order.order_id, to_iso(time), description),
        )


def _estimated_delivery(
    placed: datetime, shipped: datetime | None, delivered: datetime | None, cancelled: datetime | None
) -> str | None:
    if cancelled is not None:
        return None
    if delivered is not None:
        return delivered.date().isoformat()
    if shipped is not None:
        return (shipped + timedelta(days=3)).date().isoformat()
    return (placed + timedelta(days=6)).date().isoformat()


def _events(
    order: DemoOrder,
    placed: datetime,
    shipped: datetime | None,
    delivered: datetime | None,
    cancelled: datetime | None,
) -> list[tuple[datetime, str]]:
    events = [(placed, "Order placed")]
    if cancelled is not None:
        events.append((cancelled, "Order cancelled at the customer's request"))
    if shipped is not None:
        events.append((shipped, f"Shipped from {WAREHOUSE} with {order.carrier}"))
        events.append(
            (
                shipped + timedelta(hours=20),
                f"In transit: arrived at a {order.carrier} facility in Salt Lake City, UT",
            )
        )
    if delivered is not None:
        events.append((delivered - timedelta(hours=5), "Out for delivery"))
        events.append((delivered, "Delivered"))
    return events


def _insert_history(conn: sqlite3.Connection, now: datetime) -> None:
    """The finished return and the refunds behind ORD-10005 and ORD-10006."""
    cancelled_at = conn.execute(
        "SELECT cancelled_at FROM orders WHERE order_id = ?", (CANCELLED_ORDER,)
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO refunds (id, order_id, return_id, amount_cents, currency, status, created_at, "
        "completed_at)"
        " VALUES (?, ?, NULL, ?, ?, 'completed', ?, ?)",
        (
            CANCELLED_REFUND_ID,
            CANCELLED_ORDER,
            _order_total(conn, CANCELLED_ORDER),
            CURRENCY,
            cancelled_at,
            cancelled_at,
        ),
    )
    received = to_iso(now - DEMO_RETURN_RECEIVED_AGO)
    conn.execute(
        "INSERT INTO returns (id, order_id, status, reason, label_url, created_at, received_at)"
        " VALUES (?, ?, 'received', ?, ?, ?, ?)",
        (DEMO_RETURN_ID, DEMO_RETURN_ORDER, DEMO_RETURN_REASON, LABEL_URL.format(id=DEMO_RETURN_ID),
         to_iso(now - DEMO_RETURN_CREATED_AGO), received),
    )
    returned = conn.execute(
        "SELECT sku, quantity, unit_price_cents FROM order_items WHERE order_id = ?", (DEMO_RETURN_ORDER,)
    ).fetchall()
    for row in returned:
        conn.execute(
            "INSERT INTO return_items (return_id, sku, quantity) VALUES (?, ?, ?)",
            (DEMO_RETURN_ID, row["sku"], row["quantity"]),
        )
    conn.execute(
        "INSERT INTO refunds (id, order_id, return_id, amount_cents, currency, status, created_at, "
        "completed_at)"
        " VALUES (?, ?, ?, ?, ?, 'processing', ?, NULL)",
        (
            RETURN_REFUND_ID,
            DEMO_RETURN_ORDER,
            DEMO_RETURN_ID,
            sum(row["quantity"] * row["unit_price_cents"] for row in returned),
            CURRENCY,
            received,
        ),
    )
    conn.execute(
        "INSERT INTO shipment_events (order_id, time, description) VALUES (?, ?, ?)",
        (DEMO_RETURN_ORDER, received, f"Return RET-{DEMO_RETURN_ID} received at {WAREHOUSE}"),
    )


def _order_total(conn: sqlite3.Connection, order_id: str) -> int:
    row = conn.execute(
        "SELECT o.shipping_cents + SUM(i.quantity * i.unit_price_cents) FROM orders o"
        " JOIN order_items i ON i.order_id = o.order_id WHERE o.order_id = ?",
        (order_id,),
    ).fetchone()
    return int(row[0])


def _iso_or_none(moment: datetime | None) -> str | None:
    return to_iso(moment) if moment is not None else None
