"""Benchmark: Rasa's default DIET pipeline against the pipeline with rasa_llm.TransformerIntentClassifier.

Both pipelines are trained with `rasa train nlu`'s Python API on the same data in one run, then every
held-out message is parsed through a loaded Rasa `Agent`, as `rasa shell nlu` / the REST API would.
Printed for each: intent accuracy, macro-F1, sentiment accuracy (messages with a sentiment label),
expected calibration error of the intent confidence, the share of messages the pipeline's
FallbackClassifier turned into `nlu_fallback`, train time and p50 / p95 parse latency, with the ratio
transformer / DIET.

As in `rasa test nlu`, an `nlu_fallback` prediction is undone before scoring, so the scores are the
classifier's own.

    python benchmarks/intent_benchmark.py --train data/nlu --split 0.25 --seed 7
    python benchmarks/intent_benchmark.py --train data/nlu --test tests/nlu_test.yml
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import environment  # noqa: E402

environment.apply()

import numpy as np  # noqa: E402
import yaml  # noqa: E402

FALLBACK = {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1}


def diet_pipeline(seed: int) -> list[dict[str, Any]]:
    """Rasa's default pipeline (as `rasa init` writes it), minus the response selector."""
    return [
        {"name": "WhitespaceTokenizer"},
        {"name": "RegexFeaturizer"},
        {"name": "LexicalSyntacticFeaturizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {
            "name": "DIETClassifier",
            "epochs": 100,
            "constrain_similarities": True,
            "random_seed": seed,
        },
        {"name": "EntitySynonymMapper"},
        FALLBACK,
    ]


def transformer_pipeline(seed: int, config: Path | None = None) -> list[dict[str, Any]]:
    """The pipeline of `config` (e.g. the bot's config.yml), or the classifier with its defaults."""
    if config is None:
        return [
            {"name": "WhitespaceTokenizer"},
            {"name": "rasa_llm.TransformerIntentClassifier", "random_seed": seed},
            FALLBACK,
        ]
    pipeline = yaml.safe_load(config.read_text())["pipeline"]
    if not any(c["name"].endswith("TransformerIntentClassifier") for c in pipeline):
        raise SystemExit(f"{config} has no TransformerIntentClassifier in its pipeline.")
    return pipeline


@dataclass
class Result:
    name: str
    intent_accuracy: float
    macro_f1: float
    sentiment_accuracy: float | None
    ece: float
    fallback_rate: float
    train_seconds: float
    p50_ms: float
    p95_ms: float


@dataclass
class TestMessage:
    text: str
    intent: str
    sentiment: str | None


def load_split(
    train: Path, test: Path | None, split: float, seed: int, work: Path
) -> tuple[Path, list[TestMessage], int]:
    """Training file for Rasa, the test messages and the number of training examples."""
    from rasa.shared.nlu.training_data.loading import load_data

    from rasa_llm.intent.data import sentiment_from_metadata

    data = load_data(str(train))
    if test is not None:
        test_data = load_data(str(test))
    else:
        data, test_data = data.train_test_split(train_frac=1.0 - split, random_seed=seed)
    train_file = work / "train.yml"
    data.persist_nlu(str(train_file))
    messages = [
        TestMessage(m.get("text"), m.get("intent"), sentiment_from_metadata(m.get("metadata")))
        for m in test_data.intent_examples
        if m.get("text")
    ]
    return train_file, messages, len(data.intent_examples)


def train_pipeline(pipeline: list[dict[str, Any]], train_file: Path, work: Path) -> tuple[Path, float]:
    from rasa.model_training import train_nlu

    config = work / "config.yml"
    config.write_text(
        yaml.safe_dump(
            {"recipe": "default.v1", "language": "en", "assistant_id": "benchmark",
             "pipeline": pipeline},
            sort_keys=False,
        )
    )
    started = time.perf_counter()
    model = train_nlu(str(config), str(train_file), str(work / "models"))
    return Path(model), time.perf_counter() - started


def evaluate(name: str, model: Path, train_seconds: float, messages: list[TestMessage]) -> Result:
    from rasa.core.agent import Agent
    from rasa.nlu.classifiers.fallback_classifier import (
        is_fallback_classifier_prediction,
        undo_fallback_prediction,
    )
    from sklearn.metrics import f1_score

    from rasa_llm.intent.calibration import expected_calibration_error

    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    for message in messages[:5]:  # warm-up: lazy initialisation, caches
        loop.run_until_complete(agent.parse_message(message.text))
    predicted, confidences, sentiments, latencies, fallbacks = [], [], [], [], 0
    for message in messages:
        started = time.perf_counter()
        parsed = loop.run_until_complete(agent.parse_message(message.text))
        latencies.append((time.perf_counter() - started) * 1000)
        if is_fallback_classifier_prediction(parsed):
            fallbacks += 1
            parsed = undo_fallback_prediction(parsed)
        predicted.append(parsed["intent"]["name"])
        confidences.append(parsed["intent"]["confidence"])
        sentiments.append((parsed.get("sentiment") or {}).get("name"))
    loop.close()

    truth = [m.intent for m in messages]
    correct = [p == t for p, t in zip(predicted, truth, strict=True)]
    labelled = [(s, m.sentiment) for s, m in zip(sentiments, messages, strict=True) if m.sentiment]
    sentiment_accuracy = None
    if labelled and any(s is not None for s, _ in labelled):
        sentiment_accuracy = float(np.mean([s == t for s, t in labelled]))
    return Result(
        name=name,
        intent_accuracy=float(np.mean(correct)),
        macro_f1=float(f1_score(truth, predicted, labels=sorted(set(truth)), average="macro")),
        sentiment_accuracy=sentiment_accuracy,
        ece=expected_calibration_error(confidences, correct),
        fallback_rate=fallbacks / len(messages),
        train_seconds=train_seconds,
        p50_ms=float(np.percentile(latencies, 50)),
        p95_ms=float(np.percentile(latencies, 95)),
    )


def _cell(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def report(diet: Result, ours: Result) -> str:
    rows = [
        ("intent accuracy", "intent_accuracy", 3),
        ("intent macro-F1", "macro_f1", 3),
        ("sentiment accuracy", "sentiment_accuracy", 3),
        ("expected calibration error", "ece", 3),
        ("nlu_fallback rate", "fallback_rate", 3),
        ("train time (s)", "train_seconds", 1),
        ("parse latency p50 (ms)", "p50_ms", 1),
        ("parse latency p95 (ms)", "p95_ms", 1),
    ]
    lines = [f"{'metric':<28}{'DIET':>10}{'transformer':>13}{'transformer/DIET':>18}"]
    for label, key, digits in rows:
        a, b = getattr(diet, key), getattr(ours, key)
        ratio = "n/a" if a in (None, 0) or b is None else f"{b / a:.2f}x"
        lines.append(f"{label:<28}{_cell(a, digits):>10}{_cell(b, digits):>13}{ratio:>18}")
    return "\n".join(lines)


def compare_runtimes(train_file: Path, messages: list[TestMessage], seed: int, work: Path) -> str:
    """Fine-tune once, then score each inference runtime built from the same weights.

    Latency here is the classifier alone (tokenization included, one message per call), without
    Rasa's message processing around it.
    """
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.metrics import f1_score

    from rasa_llm import TransformerIntentClassifier
    from rasa_llm.intent.classifier import IntentSentimentClassifier
    from rasa_llm.intent.config import RUNTIMES, TrainingConfig, resolve_num_threads
    from rasa_llm.intent.data import Example, sentiment_from_metadata
    from rasa_llm.intent.runtime import build_runtime
    from rasa_llm.intent.training import fit_classifier
    from rasa_llm.shared.models import default_encoder_path

    examples = [
        Example(m.get("text"), m.get("intent"), sentiment_from_metadata(m.get("metadata")))
        for m in load_data(str(train_file)).intent_examples
        if m.get("text")
    ]
    config = TrainingConfig(runtime="torch", random_seed=seed, num_threads=resolve_num_threads(None))
    trained, _ = fit_classifier(examples, default_encoder_path(), config)
    threads = TransformerIntentClassifier.get_default_config()["inference_threads"]
    texts = [m.text for m in messages]
    truth = [m.intent for m in messages]
    lines = [
        f"classifier alone, one message per call, {threads} inference thread(s) (the default)",
        f"{'runtime':<12}{'accuracy':>10}{'macro-F1':>10}{'sentiment':>11}{'p50 ms':>9}{'p95 ms':>9}",
    ]
    for name in RUNTIMES:
        runtime = build_runtime(trained.runtime.fp32_model, name, threads, work)
        classifier = IntentSentimentClassifier(
            trained.tokenizer, runtime, trained.intents, trained.calibration
        )
        predictions = classifier.predict(texts)
        predicted = [p.intent_ranking[0][0] for p in predictions]
        labelled = [
            (p.sentiment[0], m.sentiment)
            for p, m in zip(predictions, messages, strict=True)
            if m.sentiment
        ]
        latencies = []
        for text in texts[:5] + texts:  # the first five warm up
            started = time.perf_counter()
            classifier.predict([text])
            latencies.append((time.perf_counter() - started) * 1000)
        latencies = latencies[5:]
        lines.append(
            f"{name:<12}"
            f"{np.mean([p == t for p, t in zip(predicted, truth, strict=True)]):>10.3f}"
            f"{f1_score(truth, predicted, labels=sorted(set(truth)), average='macro'):>10.3f}"
            f"{np.mean([p == t for p, t in labelled]) if labelled else float('nan'):>11.3f}"
            f"{np.percentile(latencies, 50):>9.2f}{np.percentile(latencies, 95):>9.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, required=True, help="Rasa NLU training file or folder")
    held_out = parser.add_mutually_exclusive_group(required=True)
    held_out.add_argument("--test", type=Path, help="Rasa NLU test file or folder")
    held_out.add_argument(
        "--split", type=float, help="hold out this fraction of every intent of --train as test data"
    )
    parser.add_argument("--seed", type=int, default=7, help="split and training seed (default 7)")
    parser.add_argument(
        "--config", type=Path, help="Rasa config whose pipeline is the transformer one (e.g. config.yml)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument(
        "--runtimes",
        action="store_true",
        help="instead: fine-tune once and compare the classifier's inference runtimes "
        "(torch / torch-int8 / onnx / onnx-int8) on the test messages",
    )
    args = parser.parse_args(argv)
    if args.split is not None and not 0.0 < args.split < 1.0:
        parser.error("--split must be between 0 and 1")

    with tempfile.TemporaryDirectory(prefix="intent-benchmark-") as tmp:
        work = Path(tmp)
        # A private training cache: a warm one from an earlier run would turn train time into ~0.
        os.environ["RASA_CACHE_DIRECTORY"] = str(work / "cache")
        train_file, messages, train_size = load_split(
            args.train, args.test, args.split or 0.0, args.seed, work
        )
        intents = sorted({m.intent for m in messages})
        print(
            f"data: {train_size} training examples, {len(messages)} test messages "
            f"({sum(1 for m in messages if m.sentiment)} with a sentiment label), "
            f"{len(intents)} intents; seed {args.seed}",
            flush=True,
        )
        if args.runtimes:
            print(compare_runtimes(train_file, messages, args.seed, work))
            return 0
        results = []
        pipelines = {
            "DIET": diet_pipeline(args.seed),
            "transformer": transformer_pipeline(args.seed, args.config),
        }
        for name, pipeline in pipelines.items():
            folder = work / name
            folder.mkdir()
            model, seconds = train_pipeline(pipeline, train_file, folder)
            print(f"trained {name} in {seconds:.1f} s", flush=True)
            results.append(evaluate(name, model, seconds, messages))
    print(report(*results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
