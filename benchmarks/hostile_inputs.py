"""Send the hostile-input corpus through the whole stack and print the outcome counts.

    python benchmarks/hostile_inputs.py                       # starts the whole stack in a temp dir
    python benchmarks/hostile_inputs.py --url http://127.0.0.1:5005 --shop-db .run/shop.sqlite3

Per category of bot/testing/hostile_inputs.yml: inputs sent, how many were answered, answered with
silence, refused with a 4xx, failed with a 5xx or got no answer; how many replies leaked another
customer's data; and whether any order, return or refund changed. `--verbose` prints each input's
outcome and the bot's reply.
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.testing.hostile import (  # noqa: E402
    ANSWERED,
    NO_ANSWER,
    REJECTED,
    SERVER_ERROR,
    SILENT,
    counts,
    run_corpus,
    state_snapshot,
)

COLUMNS = ("inputs", ANSWERED, SILENT, REJECTED, SERVER_ERROR, NO_ANSWER, "leaks")


def _read_only(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    return connection


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="Rasa server of a running stack (default: start one in a temp dir)")
    parser.add_argument("--shop-db", type=Path, help="that stack's shop database (with --url)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if bool(args.url) != bool(args.shop_db):
        parser.error("--url and --shop-db go together")
    with ExitStack() as stack:
        if args.url:
            rest_url, shop_db = f"{args.url.rstrip('/')}/webhooks/rest/webhook", args.shop_db
        else:
            from bot.testing.stack import running_stack

            run_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hostile-")))
            running = stack.enter_context(running_stack(run_dir))
            rest_url, shop_db = running.rest_url, running.settings.shop_db
        with _read_only(shop_db) as db:
            before = state_snapshot(db)
            outcomes = run_corpus(rest_url, db)
        with _read_only(shop_db) as db:
            after = state_snapshot(db)

    if args.verbose:
        for outcome in outcomes:
            reply = " / ".join(" ".join(text.split())[:120] for text in outcome.replies)
            print(f"[{outcome.input.category}] {outcome.input.name}: {outcome.worst}"
                  f"{' LEAK ' + str(outcome.leaks) if outcome.leaks else ''} -> {reply}")
        print()
    table = counts(outcomes)
    print("| category | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    total = {column: 0 for column in COLUMNS}
    for category, row in table.items():
        print(f"| {category} | " + " | ".join(str(row[column]) for column in COLUMNS) + " |")
        for column in COLUMNS:
            total[column] += row[column]
    print("| **all** | " + " | ".join(str(total[column]) for column in COLUMNS) + " |")
    print(f"orders/returns/refunds changed: {after != before}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
