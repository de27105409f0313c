"""Build the report from a store reader and write it: HTML page, figures as JSON, tables as CSV."""
from __future__ import annotations

import csv
import json
import multiprocessing
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rasa_llm.insights.figures import Figures
from rasa_llm.insights.grouping import DEFAULT_THRESHOLD, Encoder, group_messages
from rasa_llm.insights.store import Conversation, TrackerStoreReader

HTML_FILE = "insights.html"
JSON_FILE = "insights.json"


@dataclass(frozen=True)
class ReportSettings:
    since: datetime
    until: datetime
    low_confidence: float = 0.6
    threshold: float = DEFAULT_THRESHOLD
    max_grouped_texts: int = 3000  # the most frequent distinct texts are embedded and grouped
    max_groups: int = 50


def count(conversations: Iterable[Conversation], low_confidence: float) -> Figures:
    figures = Figures(low_confidence=low_confidence)
    for conversation in conversations:
        figures.add(conversation)
    return figures


def _count_part(endpoints: Path, since: float, until: float, bounds: tuple, low_confidence: float) -> Figures:
    reader = TrackerStoreReader.from_endpoints(endpoints)
    try:
        return count(reader.conversations(since, until, *bounds), low_confidence)
    finally:
        reader.store.engine.dispose()


def count_in_parallel(endpoints: Path, settings: ReportSettings, workers: int) -> tuple[Figures, str]:
    """The figures of the whole window, read by `workers` processes, each a range of sender ids.

    Reading is CPU-bound (SQLite's JSON extraction, then Python per event), so on a machine with a
    free second core a second process reads the other half meanwhile; each process holds one
    conversation at a time.
    """
    since, until = utc_timestamp(settings.since), utc_timestamp(settings.until)
    reader = TrackerStoreReader.from_endpoints(endpoints)
    bounds = reader.sender_bounds(workers)
    reader.store.engine.dispose()
    if len(bounds) == 1:
        return count(reader.conversations(since, until), settings.low_confidence), reader.description
    # Forked workers start without importing Rasa again; each opens its own connection.
    with ProcessPoolExecutor(len(bounds), mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_count_part, endpoints, since, until, part, settings.low_confidence)
                   for part in bounds]
        parts = [future.result() for future in futures]
    figures = parts[0]
    for part in parts[1:]:
        figures.merge(part)
    return figures, reader.description


def build_report(
    figures: Figures,
    settings: ReportSettings,
    encoder_factory: Callable[[], Encoder],
    store_name: str,
) -> dict[str, Any]:
    report = {
        "window": {"since": settings.since.isoformat(), "until": settings.until.isoformat()},
        "store": store_name,
        **figures.as_dict(),
    }
    entries = figures.unhandled.masked()
    grouped, rest = entries[: settings.max_grouped_texts], entries[settings.max_grouped_texts :]
    # The encoder is loaded only when there is something to group (it takes a second or two).
    groups = group_messages(grouped, encoder_factory(), settings.threshold) if grouped else []
    report["todo"] = {
        "groups": [group.as_dict() for group in groups[: settings.max_groups]],
        "groups_total": len(groups),
        "not_grouped": sum(entry.count for entry in rest) + figures.unhandled.not_kept,
    }
    return report


def write_report(report: dict[str, Any], out_dir: Path) -> Path:
    """Write the page, the JSON and the CSV tables into `out_dir`; the page's path."""
    from rasa_llm.insights.page import render
    from rasa_llm.insights.plots import all_plots

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / JSON_FILE).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for name, (headers, rows) in _tables(report).items():
        with open(out_dir / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            writer.writerows(rows)
    page = out_dir / HTML_FILE
    page.write_text(
        render(report, all_plots(report) if report["totals"]["conversations"] else {}), encoding="utf-8"
    )
    return page


def _tables(report: dict[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    return {
        "volume": (
            ["day", "conversations", "turns"],
            [[row["day"], row["conversations"], row["turns"]] for row in report["volume"]],
        ),
        "intents_by_day": (
            ["day", "intent", "messages"],
            [
                [day, intent, count]
                for day, counts in report["intents"]["by_day"].items()
                for intent, count in counts.items()
            ],
        ),
        "knowledge": (
            ["outcome", "answers"],
            [[mode, report["knowledge"][mode]] for mode in ("generated", "extractive", "abstained")],
        ),
        "before_handoff": (
            ["bot_action", "intent", "handoffs"],
            [
                [row["bot_action"], row["intent"], row["count"]]
                for row in report["containment"]["before_handoff"]
            ],
        ),
        "forms": (
            ["form", "started", "completed", "abandoned", "abandoned_at", "abandoned_there"],
            [
                [name, funnel["started"], funnel["completed"], funnel["abandoned"], slot, count]
                for name, funnel in report["forms"].items()
                for slot, count in (funnel["abandoned_at"].items() or [("", 0)])
            ],
        ),
        "sentiment": (
            ["day", "messages", "negative", "negative_share"],
            [
                [row["day"], row["messages"], row["negative"], row["negative_share"]]
                for row in report["sentiment"]["by_day"]
            ],
        ),
        "todo": (
            [
                "rank",
                "messages",
                "distinct_texts",
                "examples",
                "reasons",
                "suggestion_kind",
                "intent",
                "suggestion",
            ],
            [
                [
                    rank,
                    group["size"],
                    group["distinct_texts"],
                    " | ".join(group["examples"]),
                    ";".join(f"{reason}={count}" for reason, count in group["reasons"].items()),
                    group["suggestion_kind"],
                    group["intent"] or "",
                    group["suggestion"],
                ]
                for rank, group in enumerate(report["todo"]["groups"], start=1)
            ],
        ),
    }


def utc_timestamp(moment: datetime) -> float:
    return moment.replace(tzinfo=moment.tzinfo or timezone.utc).timestamp()
