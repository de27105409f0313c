"""Print the fault table: each injected fault and what the customer saw, on a stack of its own.

    python benchmarks/fault_table.py [--json faults.json]

Starts the whole bot on loopback (bot/testing/stack.py: the shop API behind a fault proxy,
every service stoppable), runs the scenarios of bot/testing/fault_scenarios.py one after the
other and prints a Markdown table: fault, the bot's last reply during the fault, its last reply once
the service is back, whether every service was still up, and the warning/error lines each log gained.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.testing.fault_scenarios import SCENARIOS, Observation  # noqa: E402
from bot.testing.stack import controllable_stack  # noqa: E402

MAX_CELL = 220


def _cell(text: str) -> str:
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _last_message(transcript: str) -> str:
    """The bot's last message: its answer to the step the fault hit (or to the retry)."""
    return transcript.strip().splitlines()[-1] if transcript.strip() else ""


def _outcome(observation: Observation) -> str:
    parts = []
    if "slots_before" in observation.details:
        kept = observation.details["slots_before"] == observation.details["slots_after"]
        parts.append(f"slots kept across the restart: {kept}")
    parts += [f"{key}: {value}" for key, value in observation.details.items() if not key.startswith("slots_")]
    problems = ", ".join(f"{log} {count}" for log, count in observation.problems_logged.items() if count)
    parts.append(f"warnings/errors logged: {problems or 'none'}")
    parts.append(f"all services up: {observation.services_up}")
    return "; ".join(parts)


def print_table(observations: list[Observation]) -> None:
    print("| fault | bot's last reply during the fault | last reply once the service is back | outcome |")
    print("|---|---|---|---|")
    for observation in observations:
        # Simultaneous replies (double submit) are all shown; otherwise the answer to the step at fault.
        during = observation.during if " || " in observation.during else _last_message(observation.during)
        print(f"| {observation.fault} | {_cell(during)} | {_cell(_last_message(observation.after)) or '-'} | "
              f"{_cell(_outcome(observation))} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", type=Path, help="also write the observations here")
    args = parser.parse_args(argv)
    observations = []
    with (
        tempfile.TemporaryDirectory(prefix="fault-table-") as run_dir,
        controllable_stack(Path(run_dir)) as stack,
    ):
        for scenario in SCENARIOS:
            print(f"fault table: {scenario.__name__}", file=sys.stderr, flush=True)
            try:
                observations.append(scenario(stack))
            except AssertionError as error:  # the conversation went off the expected path: show how
                observations.append(Observation(scenario.__name__, f"(scenario failed: {error})", "", False))
    print_table(observations)
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in observations], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
