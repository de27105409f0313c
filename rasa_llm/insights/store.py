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
from typing import Any

logger = logging.getLogger(__name__)

USER = "user"
BOT = "bot"
ACTION = "action"
ACTIVE_LOOP = "active_loop"
SLOT = "slot"
REQUESTED_SLOT = "requested_slot"
_BATCH_ROWS = 5000


class StoreError(RuntimeError):
    """The tracker store cannot be opened or read (the message says why, in one line)."""


@dataclass(frozen=True)
class StoredEvent:
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

    def __init__(self, store: Any, description: str = "SQL tracker store") -> None:
        from rasa.core.tracker_store import SQLTrackerStore

        if not isinstance(store, SQLTrackerStore):
            raise StoreError(
                f"The insights report reads SQL tracker stores; this endpoint configures a "
                f"{type(store).__name__}."
            )
        self.store = store
        self.description = description  # for the report: where the conversations came from, no secrets

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
        if config is None or (config.type or "").lower() != "sql":
            kind = "none" if config is None else config.type
            raise StoreError(f"'{endpoints_file}' configures no SQL tracker store (tracker_store type: {kind}).")
        _check_reachable(config)
        try:
            return cls(TrackerStore.create(config), _describe(config))
        except Exception as error:  # noqa: BLE001 - any driver error means the same to the caller
            raise StoreError(f"Cannot open the tracker store: {_one_line(error)}") from error

    def conversations(self, since: float, until: float) -> Iterator[Conversation]:
        """Each conversation's events with `since <= timestamp < until`, in stored order."""
        import sqlalchemy as sa

        event = self.store.SQLEvent
        needs_data = sa.or_(
            event.type_name.in_((USER, BOT)),
            sa.and_(event.type_name == SLOT, event.action_name == REQUESTED_SLOT),
        )
        try:
            with self.store.session_scope() as session:
                rows = (
                    session.query(
                        event.sender_id,
                        event.type_name,
                        event.timestamp,
                        event.intent_name,
                        event.action_name,
                        sa.case((needs_data, event.data), else_=sa.null()),
                    )
                    .filter(event.timestamp >= since, event.timestamp < until)
                    .order_by(event.sender_id, event.id)
                    .yield_per(_BATCH_ROWS)
                )
                for sender_id, group in itertools.groupby(rows, key=_sender):
                    yield _conversation(sender_id, group)
        except Exception as error:  # noqa: BLE001 - reported as one line by the CLI
            import sqlalchemy.exc

            if isinstance(error, sqlalchemy.exc.SQLAlchemyError):
                raise StoreError(f"Reading the tracker store failed: {_one_line(error)}") from error
            raise


def _sender(row: tuple) -> str:
    return row[0]


def _conversation(sender_id: str, rows: Iterator[tuple]) -> Conversation:
    events = []
    unreadable = 0
    for _, type_name, timestamp, intent_name, action_name, raw in rows:
        data = None
        if raw is not None:
            try:
                data = json.loads(raw)
            except (TypeError, ValueError):
                data = None
            if not isinstance(data, dict):
                unreadable += 1
                continue
        events.append(StoredEvent(type_name, timestamp, intent_name, action_name, data))
    return Conversation(sender_id, events, unreadable)


def _check_reachable(config: Any) -> None:
    """Fail fast: Rasa's SQLTrackerStore retries an unreachable database forever, every 5 seconds."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    settings = dict(config.kwargs)
    dialect = settings.get("dialect", "sqlite")
    if dialect == "sqlite":
        db = Path(settings.get("db", "rasa.db"))
        if not db.is_file():
            raise StoreError(f"The tracker store '{db}' does not exist (no conversations were ever stored there).")
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
