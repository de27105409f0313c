"""`python -m rasa_llm.insights`: the conversation-insights report for a time window."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rasa_llm.insights.grouping import DEFAULT_THRESHOLD
from rasa_llm.insights.report import ReportSettings, build_report, count_in_parallel, write_report
from rasa_llm.insights.store import StoreError

DEFAULT_DAYS = 30


def _moment(text: str, end_of_day: bool = False) -> datetime:
    """An ISO date or date-time, UTC unless it says otherwise; a bare end date includes that day."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if end_of_day and len(text) == len("YYYY-MM-DD"):
        moment += timedelta(days=1)
    return moment


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m rasa_llm.insights",
        description=(
            "Summarise the conversations of the tracker store into an HTML report with JSON/CSV figures."
        ),
    )
    parser.add_argument("--endpoints", type=Path, default=Path("endpoints.yml"),
                        help="endpoints file whose tracker_store is read (default: endpoints.yml)")
    parser.add_argument(
        "--since",
        type=_moment,
        help=f"first day or moment, UTC (default: {DEFAULT_DAYS} days " "before --until)",
    )
    parser.add_argument("--until", type=lambda text: _moment(text, end_of_day=True),
                        help="last day (included) or moment (excluded), UTC (default: now)")
    parser.add_argument("--out", type=Path, default=Path("reports/insights"),
                        help="output folder (default: reports/insights)")
    parser.add_argument(
        "--low-confidence",
        type=float,
        default=0.6,
        help="intent confidence below which a message counts as not understood (default: 0.6)",
    )
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help=f"similarity for two messages to share a group (default: {DEFAULT_THRESHOLD})")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes reading the store, each a range of conversations (default: 2)")
    parser.add_argument(
        "--max-groups", type=int, default=50, help="groups listed in the to-do list (default: 50)"
    )
    args = parser.parse_args(argv)
    args.until = args.until or datetime.now(timezone.utc)
    args.since = args.since or args.until - timedelta(days=DEFAULT_DAYS)
    if args.since >= args.until:
        parser.error("--since must be before --until")
    if (
        not 0 <= args.low_confidence <= 1
        or not 0 < args.threshold <= 1
        or min(args.max_groups, args.workers) < 1
    ):
        parser.error(
            "--low-confidence and --threshold are between 0 and 1, --max-groups and --workers at least 1"
        )
    return args


def _encoder():
    from rasa_llm.knowledge.encoder import load_encoder
    from rasa_llm.shared.models import default_encoder_path

    return load_encoder(default_encoder_path())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()
    settings = ReportSettings(since=args.since, until=args.until, low_confidence=args.low_confidence,
                              threshold=args.threshold, max_groups=args.max_groups)
    try:
        figures, store_name = count_in_parallel(args.endpoints, settings, args.workers)
        report = build_report(figures, settings, _encoder, store_name)
    except StoreError as error:
        print(f"insights: error: {error}", file=sys.stderr)
        return 1
    page = write_report(report, args.out)
    totals = report["totals"]
    print(
        f"Wrote {page} and its JSON/CSV figures: {totals['conversations']:,} conversations, "
        f"{totals['turns']:,} messages, {report['unhandled']['messages']:,} unhandled in "
        f"{report['todo']['groups_total']:,} groups, {totals['unreadable_events']:,} unreadable events "
        "skipped "
        f"({time.perf_counter() - started:.1f} s)."
    )
    return 0
