"""Read conversations from the tracker store that an endpoints file configures, one at a time.

Rasa's own classes open the store (`TrackerStore.create` from the `tracker_store` endpoint) and map its
table (`SQLTrackerStore.SQLEvent`). Events are not read through `retrieve()`: that rebuilds a whole
`DialogueStateTracker` per conversation with one query each, which is far too slow for a report over
100,000 conversations (see benchmarks/insights_benchmark.py). Instead one query streams the window's
events ordered by conversation (`yield_per`: a server-side cursor on PostgreSQL), and only the events
whose JSON the report needs (user and bot messages, `requested_slot`) are fetched and decoded; action
names, intent names and timestamps come from the table's own columns.
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

logger = logging.getLogger(__name__)

USER = "user"
BOT = "bot"
ACTION = "action"
ACTIVE_LOOP = "active_loop"
SLOT = "slot"
REQUESTED_SLOT = "requested_slot"
LISTEN = "action_listen"
_BATCH_ROWS = 5000


class StoreError(RuntimeError):
    """The tracker store cannot be opened or read (the message says why, in one line)."""


class StoredEvent(NamedTuple):  # a tuple: millions of them are made per report
    type_name: str
    timestamp: float
    intent_name: str | None
    # The action's name for `action`, the loop's for `active_loop`, the slot's for `slot` events.
    action_name: str | None
    data: dict[str, Any] | None  # decoded only for the events the report reads


@dataclass
class Conversation:
    sender_id: str
    events: list[StoredEvent]
    unreadable: int  # events skipped because their stored JSON could not be decoded


class TrackerStoreReader:
    """Streams the conversations of an SQL tracker store within a time window."""

    def __init__(
        self, store: Any, description: str = "SQL tracker store", extract_in_sql: bool | None = None
    ) -> None:
        from rasa.core.tracker_store import SQLTrackerStore

        if not isinstance(store, SQLTrackerStore):
            raise StoreError(
                f"The insights report reads SQL tracker stores; this endpoint configures a "
                f"{type(store).__name__}."
            )
        self.store = store
        self.description = description  # for the report: where the conversations came from, no secrets
        # SQLite extracts the fields the report reads (see `_PATHS`); other databases send whole events.
        self.extract_in_sql = (
            store.engine.dialect.name == "sqlite" if extract_in_sql is None else extract_in_sql
        )

    @classmethod
    def from_endpoints(cls, endpoints_file: Path) -> TrackerStoreReader:
        # Rasa and its dependencies print deprecation notices on import (and switch them on for later
        # imports), which would bury the report's own one-line messages. SQLAlchemy 1.4's notice about
        # 2.0 has its own switch.
        os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from rasa.core.tracker_store import TrackerStore
            from rasa.utils.endpoints import read_endpoint_config

        if not endpoints_file.is_file():
            raise StoreError(f"No endpoints file at '{endpoints_file}'.")
        config = read_endpoint_config(str(endpoints_file), "tracker_store")
        if config is None or not _is_sql_store(config.type):
            kind = "none" if config is None else config.type
            raise StoreError(
                f"'{endpoints_file}' configures no SQL tracker store (tracker_store type: {kind})."
            )
        _check_reachable(config)
        try:
            return cls(TrackerStore.create(config), _describe(config))
        except Exception as error:  # noqa: BLE001 - any driver error means the same to the caller
            raise StoreError(f"Cannot open the tracker store: {_one_line(error)}") from error

    def sender_bounds(self, parts: int) -> list[tuple[str | None, str | None]]:
        """`parts` ranges of sender ids holding about as many events each (for parallel reading)."""
        import sqlalchemy as sa

        table = self.store.SQLEvent.__table__
        if parts <= 1:
            return [(None, None)]
        with self.store.session_scope() as session:
            total = session.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0
            pivots = [
                session.execute(sa.select(table.c.sender_id).order_by(table.c.sender_id)
                                .offset(total * part // parts).limit(1)).scalar()
                for part in range(1, parts)
            ]
        edges = [None, *sorted({pivot for pivot in pivots if pivot is not None}), None]
        return list(zip(edges[:-1], edges[1:], strict=True))

    def conversations(
        self, since: float, until: float, first_sender: str | None = None, end_sender: str | None = None
    ) -> Iterator[Conversation]:
        """Each conversation's events with `since <= timestamp < until`, in stored order; optionally
        only the senders with `first_sender <= sender_id < end_sender`.

        Only the events the report reads are fetched: no `action_listen`, no slot but `requested_slot`.
        """
        import sqlalchemy as sa
        import sqlalchemy.exc

        table = self.store.SQLEvent.__table__
        extract = self.extract_in_sql
        statement = (
            sa.select(table.c.sender_id, table.c.type_name, table.c.timestamp, table.c.intent_name,
                      table.c.action_name, _data_column(table, extract))
            .where(table.c.timestamp >= since, table.c.timestamp < until)
            .where(sa.or_(
                table.c.type_name.in_((USER, BOT, ACTIVE_LOOP)),
                sa.and_(table.c.type_name == ACTION, table.c.action_name != LISTEN),
                sa.and_(table.c.type_name == SLOT, table.c.action_name == REQUESTED_SLOT),
            ))
            .where(table.c.sender_id >= first_sender if first_sender is not None else sa.true())
            .where(table.c.sender_id < end_sender if end_sender is not None else sa.true())
            .order_by(table.c.sender_id, table.c.id)
            .execution_options(stream_results=True, max_row_buffer=_BATCH_ROWS)
        )
        decode = _from_extract if extract else _from_json
        try:
            with self.store.session_scope() as session:
                rows = session.execute(statement).yield_per(_BATCH_ROWS)
                for sender_id, group in itertools.groupby(rows, key=_sender):
                    yield _conversation(sender_id, group, decode)
        except sqlalchemy.exc.SQLAlchemyError as error:
            raise StoreError(f"Reading the tracker store failed: {_one_line(error)}") from error


# What the report reads of each event's JSON, by event type. On SQLite, SQLite extracts these fields
# itself (json_extract, in C), which is several times faster than decoding the whole event in Python:
# a user event carries its parse data, intent ranking and retrieved passages, a few KB.
_PATHS = {
    USER: ("$.text", "$.parse_data.intent", "$.parse_data.sentiment.name",
           "$.parse_data.intent_ranking[0].name", "$.parse_data.intent_ranking[1].name"),
    BOT: ("$.data.custom.mode", "$.event"),
    SLOT: ("$.value", "$.event"),
}


def _data_column(table: Any, extract: bool) -> Any:
    import sqlalchemy as sa

    data = table.c.data
    if not extract:
        return sa.case((table.c.type_name.in_(tuple(_PATHS)), data), else_=sa.null())
    # json_extract fails the whole query on one malformed event: check each event first.
    return sa.case(
        *(
            (
                table.c.type_name == kind,
                sa.case((sa.func.json_valid(data) == 1, sa.func.json_extract(data, *paths))),
            )
            for kind, paths in _PATHS.items()
        ),
        else_=sa.null(),
    )


def _from_json(type_name: str, raw: str) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _from_extract(type_name: str, raw: str) -> dict[str, Any] | None:
    """The extracted fields (a JSON array, see `_PATHS`) in the shape of Rasa's event JSON."""
    try:
        values = json.loads(raw)
    except (TypeError, ValueError):
        return None
    if type_name == USER:
        text, intent, sentiment, first, second = values
        if not isinstance(intent, dict):
            return {"text": text}  # no parse data: unreadable for the report
        return {"text": text, "parse_data": {"intent": intent, "sentiment": {"name": sentiment},
                                             "intent_ranking": [{"name": first}, {"name": second}]}}
    if type_name == BOT:
        return {"data": {"custom": {"mode": values[0]}}}
    return {"value": values[0]}


def _sender(row: tuple) -> str:
    return row[0]


def _conversation(sender_id: str, rows: Iterator[tuple], decode: Any) -> Conversation:
    events = []
    unreadable = 0
    for _, type_name, timestamp, intent_name, action_name, raw in rows:
        data = None
        if type_name in _PATHS:
            data = decode(type_name, raw) if raw is not None else None
            if data is None:
                unreadable += 1
                continue
        events.append(StoredEvent(type_name, timestamp, intent_name, action_name, data))
    return Conversation(sender_id, events, unreadable)


def _is_sql_store(kind: str | None) -> bool:
    """Rasa's `SQL` type, or a tracker-store class that extends SQLTrackerStore (by module path)."""
    if (kind or "").lower() == "sql":
        return True
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.utils.common import class_from_module_path

    try:
        store_class = class_from_module_path(kind or "")
    except (AttributeError, ImportError, ValueError):
        return False
    return isinstance(store_class, type) and issubclass(store_class, SQLTrackerStore)


def _check_reachable(config: Any) -> None:
    """Fail fast: Rasa's SQLTrackerStore retries an unreachable database forever, every 5 seconds."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    settings = dict(config.kwargs)
    dialect = settings.get("dialect", "sqlite")
    if dialect == "sqlite":
        db = Path(settings.get("db", "rasa.db"))
        if not db.is_file():
            raise StoreError(
                f"The tracker store '{db}' does not exist (no conversations were ever stored there)."
            )
        return
    url = SQLTrackerStore.get_db_url(
        dialect,
        config.url,
        settings.get("port"),
        settings.get("db", "rasa.db"),
        settings.get("username"),
        settings.get("password"),
        settings.get("login_db"),
        settings.get("query"),
    )
    connect_args = {"connect_timeout": 5} if dialect.startswith("postgresql") else {}
    engine = sa.create_engine(url, connect_args=connect_args)
    try:
        with engine.connect():
            pass
    except Exception as error:  # noqa: BLE001 - the DBAPI's own errors differ by driver
        raise StoreError(f"Cannot reach the tracker store database: {_one_line(error)}") from error
    finally:
        engine.dispose()


def _describe(config: Any) -> str:
    settings = config.kwargs
    dialect = settings.get("dialect", "sqlite")
    if dialect == "sqlite":
        return f"sqlite file {settings.get('db', 'rasa.db')}"
    host = str(config.url or "localhost").split("@")[-1]  # a URL in `url` may carry credentials
    return f"{dialect} database {settings.get('db', '')} at {host}"


def _one_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
