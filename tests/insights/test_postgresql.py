"""The report's reading of a PostgreSQL tracker store (production's) gives the figures SQLite's does.

On PostgreSQL the whole event JSON is decoded in Python, on SQLite SQLite extracts the fields: two
paths, one result. Starts a real PostgreSQL server (tests/system/hardening/services.py).
"""
from __future__ import annotations

import yaml

from rasa_llm.insights.figures import Figures
from rasa_llm.insights.report import utc_timestamp
from rasa_llm.insights.store import TrackerStoreReader
from tests.insights.conftest import WINDOW, add_unreadable_event, scenario
from tests.insights.store_builder import write_store


def figures_of(endpoints) -> dict:
    reader = TrackerStoreReader.from_endpoints(endpoints)
    figures = Figures()
    for part in reader.sender_bounds(2):
        for conversation in reader.conversations(*(utc_timestamp(moment) for moment in WINDOW), *part):
            figures.add(conversation)
    return {"figures": figures.as_dict(), "unhandled": [(e.text, e.count, dict(e.reasons))
                                                       for e in figures.unhandled.masked()],
            "extract_in_sql": reader.extract_in_sql}


def test_postgresql_store_gives_the_same_figures_as_sqlite(small_store, tmp_path):
    from tests.system.hardening.services import postgres_server

    with postgres_server(tmp_path) as server:
        settings = {key: value for key, value in server.tracker_store().items() if key != "type"}
        settings["host"] = settings.pop("url")
        add_unreadable_event(write_store(None, scenario(), **settings))
        endpoints = tmp_path / "endpoints.yml"
        endpoints.write_text(yaml.safe_dump({"tracker_store": server.tracker_store()}))
        on_postgresql = figures_of(endpoints)
    on_sqlite = figures_of(small_store)
    assert not on_postgresql.pop("extract_in_sql") and on_sqlite.pop("extract_in_sql")
    assert on_postgresql == on_sqlite
    assert on_postgresql["figures"]["totals"] == {"conversations": 4, "turns": 12, "unreadable_events": 1}
