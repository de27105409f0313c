"""Benchmark: sentiment on customer wording the classifier was not trained on, before vs after.

Two classifiers are fine-tuned in one run, each in its own process with its own code and data:
- "before": the classifier code and NLU data of a baseline commit (default a04efe6, the build before
  the sentiment work), extracted with `git archive`;
- "after": this working tree's code and data/nlu.
Both leave out the intent benchmark's test split of the baseline data (25 %, seed 7, as
`intent_benchmark.py --split 0.25 --seed 7` draws it), so the intent macro-F1 on that split is printed
too. "after" also leaves out every fifth example of data/nlu/sentiment_registers.yml and of
data/nlu/sentiment_contrasts.yml: that part of the project's own sentiment data is never tuned on
and is reported separately ("own, kept out").

Scored sets, labelled before any tuning (never trained on):
- benchmarks/data/sentiment_heldout.yml `registers`: 300 messages in registers the training data
  does not use (public posts, reviews, transcribed speech, formal letters, text-speak);
- its `hard_cases`: sarcasm, negation and mixed messages;
- its `surface_traps`, a second set written before the second round of tuning: praise full of
  negative words, anger masked by politeness or sarcasm, plain questions about problems;
- its `fresh_registers`, a third set written before the third round of tuning (issue 16): chat,
  email, social posts, review sentences and the hard kinds mixed, 50 messages of each tone.
Printed per set: 3-class accuracy, per-class recall, the share of negatives read as positive and of
positives read as negative, then the escalation threshold's effect (a message escalates when
negative with at least that confidence) on the registers, the surface traps and the fresh registers:
negatives caught, positives and neutrals flagged. `--json` also writes every message's three
calibrated sentiment probabilities.

    python benchmarks/sentiment_benchmark.py                 # before vs after, ~2 fine-tunings
    python benchmarks/sentiment_benchmark.py --only after    # quicker, while developing
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.environment import PROJECT_ENV  # noqa: E402

HELD_OUT = ROOT / "benchmarks" / "data" / "sentiment_heldout.yml"
# The project's own tone examples; every fifth of each file is kept out of "after"'s training.
OWN_DATA = tuple(
    ROOT / "data" / "nlu" / name for name in ("sentiment_registers.yml", "sentiment_contrasts.yml")
)
LABELS = ("negative", "neutral", "positive")
THRESHOLDS = (0.0, 0.5, 0.6, 0.7, 0.8)
KEPT_OUT_EVERY = 5
SURFACE_TRAPS = "surface traps"
FRESH = "fresh registers"
# Sets whose escalation-threshold effect is printed.
THRESHOLD_SETS = ("registers (all)", f"{SURFACE_TRAPS} (all)", f"{FRESH} (all)")


def held_out_sets() -> dict[str, list[tuple[str, str]]]:
    """{set name: [(text, label)]}: every register, all registers together, every hard-case kind."""
    data = yaml.safe_load(HELD_OUT.read_text(encoding="utf-8"))
    sets: dict[str, list[tuple[str, str]]] = {"registers (all)": []}
    for register, by_label in data["registers"].items():
        items = [(text, label) for label, texts in by_label.items() for text in texts]
        sets["registers (all)"].extend(items)
        sets[f"  {register}"] = items
    for section, name in (
        ("hard_cases", "hard cases"),
        ("surface_traps", SURFACE_TRAPS),
        ("fresh_registers", FRESH),
    ):
        sets[f"{name} (all)"] = []
        for kind, by_label in data[section].items():
            items = [(text, label) for label, texts in by_label.items() for text in texts]
            sets[f"{name} (all)"].extend(items)
            # Two sections may use one kind name ("review"): the later one is named with its set.
            sets[f"  {kind}" if f"  {kind}" not in sets else f"  {kind} ({name})"] = items
    return sets


def _rasa_examples(path: Path) -> list[tuple[str, str, object]]:
    from rasa.shared.nlu.training_data.loading import load_data

    return [
        (m.get("text"), m.get("intent"), m.get("metadata"))
        for m in load_data(str(path)).intent_examples
        if m.get("text") and m.get("intent")
    ]


def own_kept_out() -> dict[str, list[tuple[str, str]]]:
    """{file name: every fifth example of that own sentiment file, with its label}."""
    from rasa_llm.intent.data import sentiment_from_metadata

    return {
        path.name: [
            (text, sentiment_from_metadata(meta))
            for text, _, meta in _rasa_examples(path)[::KEPT_OUT_EVERY]
        ]
        for path in OWN_DATA
        if path.exists()
    }


def intent_test_split(baseline_nlu: Path, seed: int) -> list[tuple[str, str]]:
    """The intent benchmark's test messages (25 % of the baseline's data/nlu, Rasa's split)."""
    from rasa.shared.nlu.training_data.loading import load_data

    _, test = load_data(str(baseline_nlu)).train_test_split(train_frac=0.75, random_seed=seed)
    return [(m.get("text"), m.get("intent")) for m in test.intent_examples if m.get("text")]


def extract_baseline(commit: str, target: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit, "rasa_llm", "data/nlu"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target)
    return target


def run_worker(code: Path, nlu: Path, exclude: list[str], texts: list[str], seed: int, work: Path) -> dict:
    """Fine-tune with the code in `code` on `nlu` minus `exclude` in a fresh process; its predictions."""
    job = work / "job.json"
    out = work / "predictions.json"
    job.write_text(json.dumps({"nlu": str(nlu), "exclude": exclude, "texts": texts, "seed": seed}))
    environment = {**os.environ, **PROJECT_ENV, "PYTHONPATH": str(code)}
    subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", str(job), str(out)],
        check=True,
        env=environment,
        cwd=str(code),
    )
    return json.loads(out.read_text())


def worker(job_file: Path, out_file: Path) -> None:
    """Runs in the subprocess: whichever `rasa_llm` is first on PYTHONPATH is the one measured."""
    from rasa_llm.intent.calibration import softmax
    from rasa_llm.intent.data import Example, sentiment_from_metadata
    from rasa_llm.intent.training import fit_classifier

    try:  # the layout since the code was tidied
        from rasa_llm.intent.config import TrainingConfig, resolve_num_threads
        from rasa_llm.shared.models import default_encoder_path
    except ImportError:  # the code measured as "before" (a04efe6)
        from rasa_llm.intent.runtime import resolve_num_threads
        from rasa_llm.intent.training import TrainingConfig
        from rasa_llm.packaged_models import default_encoder_path

    job = json.loads(job_file.read_text())
    exclude = {text.strip().lower() for text in job["exclude"]}
    examples = [
        Example(text, intent, sentiment_from_metadata(meta))
        for text, intent, meta in _rasa_examples(Path(job["nlu"]))
        if text.strip().lower() not in exclude
    ]
    config = TrainingConfig(
        random_seed=job["seed"], num_threads=resolve_num_threads(None), show_progress=False
    )
    started = time.perf_counter()
    classifier, report = fit_classifier(examples, default_encoder_path(), config)
    seconds = time.perf_counter() - started
    # `predict` is what the Rasa component serves: calibrated, the label with its confidence.
    predictions = classifier.predict(job["texts"])
    # All three calibrated probabilities, for studying decision rules from the --json file.
    _, sentiment_logits = classifier.logits(job["texts"])
    probabilities = softmax(sentiment_logits, classifier.calibration.sentiment or 1.0)
    out_file.write_text(
        json.dumps(
            {
                "intents": [p.intent_ranking[0][0] for p in predictions],
                "sentiment": [list(p.sentiment) for p in predictions],
                "sentiment_probabilities": np.round(probabilities, 4).tolist(),
                "train_seconds": seconds,
                "train_size": report.train_size,
            }
        )
    )


def sentiment_rows(name: str, predicted: list[str], truth: list[str]) -> list[str]:
    predicted_ = np.array([LABELS.index(p) for p in predicted])
    labels = np.array([LABELS.index(t) for t in truth])

    def rate(of: str, read_as: str) -> str:
        mask = labels == LABELS.index(of)
        return f"{(predicted_[mask] == LABELS.index(read_as)).mean():.3f}" if mask.any() else "  n/a"

    return [
        f"{name:<22}{len(truth):>5}{(predicted_ == labels).mean():>7.3f}"
        f"{rate('negative', 'negative'):>7}{rate('neutral', 'neutral'):>7}{rate('positive', 'positive'):>7}"
        f"{rate('negative', 'positive'):>9}{rate('positive', 'negative'):>9}"
    ]


def threshold_rows(sentiment: list[tuple[str, float]], truth: list[str]) -> list[str]:
    labels = np.array([LABELS.index(t) for t in truth])
    negative = np.array([label == "negative" for label, _ in sentiment])
    confidence = np.array([confidence for _, confidence in sentiment])
    rows = []
    for threshold in THRESHOLDS:
        escalates = negative & (confidence >= threshold)
        cells = [f"{escalates[labels == k].mean():.3f}" if (labels == k).any() else "n/a" for k in range(3)]
        label = "argmax" if threshold == 0 else f">= {threshold:.1f}"
        rows.append(f"  {label:<10}{cells[0]:>18}{cells[2]:>18}{cells[1]:>18}")
    return rows


def report(
    name: str, predictions: dict, sets: dict[str, list[tuple[str, str]]], offsets: dict, intents
) -> str:
    from sklearn.metrics import f1_score

    sentiment = predictions["sentiment"]
    lines = [
        f"== {name}: {predictions['train_size']} training examples, fine-tuned in "
        f"{predictions['train_seconds']:.0f} s",
        f"{'set':<22}{'n':>5}{'acc':>7}{'R neg':>7}{'R neu':>7}{'R pos':>7}{'neg->pos':>9}{'pos->neg':>9}",
    ]
    for set_name, items in sets.items():
        start = offsets[set_name]
        predicted = [label for label, _ in sentiment[start : start + len(items)]]
        lines += sentiment_rows(set_name, predicted, [t for _, t in items])
    for set_name in THRESHOLD_SETS:
        items = sets[set_name]
        start = offsets[set_name]
        lines.append(f"escalation threshold on the {set_name}: share that escalates")
        lines.append(
            f"  {'threshold':<10}{'negatives caught':>18}{'positives flagged':>18}{'neutrals flagged':>18}"
        )
        lines += threshold_rows(sentiment[start : start + len(items)], [t for _, t in items])
    start = offsets["intent test"]
    truth = [intent for _, intent in intents]
    predicted = predictions["intents"][start : start + len(intents)]
    accuracy = np.mean([p == t for p, t in zip(predicted, truth, strict=True)])
    f1 = f1_score(truth, predicted, labels=sorted(set(truth)), average="macro")
    lines.append(f"intent test split ({len(intents)} messages): accuracy {accuracy:.3f}, macro-F1 {f1:.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--baseline", default="a04efe6", help="commit of the 'before' build (default a04efe6)"
    )
    parser.add_argument("--only", choices=("before", "after"), help="train and report one build only")
    parser.add_argument("--seed", type=int, default=7, help="split and training seed (default 7)")
    parser.add_argument("--json", type=Path, help="also write the raw predictions to this JSON file")
    parser.add_argument("--worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.update(PROJECT_ENV)
    if args.worker:
        worker(*args.worker)
        return 0

    sets = held_out_sets()
    kept_out_by_file = own_kept_out()
    kept_out = [item for items in kept_out_by_file.values() for item in items]
    sets["own, kept out"] = kept_out
    for file_name, items in kept_out_by_file.items():
        sets[f"  {file_name.removesuffix('.yml')}"] = items
    with tempfile.TemporaryDirectory(prefix="sentiment-benchmark-") as tmp:
        work = Path(tmp)
        baseline = extract_baseline(args.baseline, work / "baseline")
        intents = intent_test_split(baseline / "data" / "nlu", args.seed)
        texts: list[str] = []
        offsets: dict[str, int] = {}
        for set_name, items in sets.items():
            offsets[set_name] = len(texts)
            texts += [text for text, _ in items]
        offsets["intent test"] = len(texts)
        texts += [text for text, _ in intents]
        print(
            f"held-out registers {len(sets['registers (all)'])}, hard cases {len(sets['hard cases (all)'])}, "
            f"surface traps {len(sets[f'{SURFACE_TRAPS} (all)'])}, "
            f"fresh registers {len(sets[f'{FRESH} (all)'])}, "
            f"own kept out {len(kept_out)}, intent test {len(intents)}; seed {args.seed}; "
            f"load average {open('/proc/loadavg').read().split()[:3]}",
            flush=True,
        )
        intent_texts = [text for text, _ in intents]
        builds = {
            "before": (baseline, baseline / "data" / "nlu", intent_texts),
            "after": (ROOT, ROOT / "data" / "nlu", intent_texts + [text for text, _ in kept_out]),
        }
        results = {}
        for name, (code, nlu, exclude) in builds.items():
            if args.only and name != args.only:
                continue
            folder = work / name
            folder.mkdir()
            results[name] = run_worker(code, nlu, exclude, texts, args.seed, folder)
            print(report(name, results[name], sets, offsets, intents), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"texts": texts, **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
