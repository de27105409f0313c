"""`rasa train` wall time of the reference bot from an empty Rasa cache, this build vs another.

    python benchmarks/train_benchmark.py                                   # this build only
    python benchmarks/train_benchmark.py --baseline /path/to/older/checkout [--runs 2]

Each build runs the command `python -m bot.stack train` runs (`rasa train` of config.yml, domain.yml and
data/) in its own folder, so its own `rasa_llm` is imported, with a fresh temporary Rasa cache
(`RASA_CACHE_DIRECTORY`) and output folder: nothing is restored from an earlier training. The model
files the set-up derives once (ONNX exports, the converted generator) stay in their disk cache, as on
a machine where `make run` has been run. The builds alternate, `--runs` times each, so both see the
same machine load. Printed per run: the wall time, the time until Rasa starts the first component
(imports, reading and checking the data) and each component's training time, timed from Rasa's
"Starting to train" / "Finished training" log lines as they arrive; then the median per build and
the ratio. The issue's target is 3 minutes.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.stack import QUIET_ENV, rasa_train_command  # noqa: E402

TARGET_SECONDS = 180.0
_STARTED = re.compile(r"Starting to train component '([^']+)'")
_FINISHED = re.compile(r"Finished training component '([^']+)'")


@dataclass
class Training:
    seconds: float = 0.0
    before_first_component: float = 0.0
    components: dict[str, float] = field(default_factory=dict)


def time_training(build: Path, timeout: float) -> Training:
    """Train `build`'s bot from an empty Rasa cache; the wall time and the time per component."""
    with tempfile.TemporaryDirectory(prefix="train-benchmark-") as work:
        command = rasa_train_command(Path(work, "models"), "benchmark")
        env = {**os.environ, **QUIET_ENV, "RASA_CACHE_DIRECTORY": str(Path(work, "cache"))}
        result = Training()
        starts: dict[str, float] = {}
        lines: list[str] = []
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=build, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        assert process.stdout is not None
        # Killed from a timer: a training that hangs without printing must end too.
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            for line in process.stdout:
                now = time.perf_counter() - started
                lines.append(line)
                if match := _STARTED.search(line):
                    result.before_first_component = result.before_first_component or now
                    starts[match.group(1)] = now
                elif (match := _FINISHED.search(line)) and match.group(1) in starts:
                    result.components[match.group(1)] = now - starts[match.group(1)]
        except BaseException:
            process.kill()  # an error or Ctrl-C while reading: the training must not run on
            raise
        finally:
            killer.cancel()  # a live timer thread would hold the interpreter open until the timeout
        if process.wait() != 0:
            tail = "".join(lines[-30:])
            raise RuntimeError(f"{build}: rasa train failed or ran past {timeout:.0f} s:\n{tail}")
        result.seconds = time.perf_counter() - started
        return result


def _describe(training: Training) -> str:
    slowest = sorted(training.components.items(), key=lambda item: -item[1])[:3]
    parts = [f"before the first component {training.before_first_component:.0f} s"]
    parts += [f"{name} {seconds:.0f} s" for name, seconds in slowest]
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", type=Path, help="checkout of the build to compare with")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds one training may take at most")
    args = parser.parse_args(argv)
    builds = {"this build": ROOT}
    if args.baseline:
        builds = {"baseline": args.baseline.resolve(), **builds}
    print(f"load average at the start: {', '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    seconds: dict[str, list[float]] = {name: [] for name in builds}
    for run in range(args.runs):
        for name, build in builds.items():
            training = time_training(build, args.timeout)
            seconds[name].append(training.seconds)
            print(f"run {run + 1}: {name:<10} {training.seconds:6.1f} s  ({_describe(training)})", flush=True)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    for name, median in medians.items():
        print(f"median {name:<10} {median:6.1f} s  (target: <= {TARGET_SECONDS:.0f} s)")
    if "baseline" in medians:
        print(f"this build / baseline: {medians['this build'] / medians['baseline']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
