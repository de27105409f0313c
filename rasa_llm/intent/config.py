"""The classifier's options: declared once, with their defaults and their checks.

`TransformerIntentClassifier.get_default_config` is `component_defaults()`; the training loop reads
`TrainingConfig`. No torch import here, so Rasa can read and check a config without loading it.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from typing import Any

THREADS_ENV = "RASA_LLM_NUM_THREADS"


@dataclass(frozen=True)
class RuntimeKind:
    """How a runtime serves the model: its engine and whether its weights are int8."""

    name: str
    engine: str  # "onnx" | "torch"
    int8: bool


RUNTIMES = {
    kind.name: kind
    for kind in (
        RuntimeKind("onnx-int8", "onnx", int8=True),  # fastest
        RuntimeKind("onnx", "onnx", int8=False),
        RuntimeKind("torch-int8", "torch", int8=True),
        RuntimeKind("torch", "torch", int8=False),
    )
}

RUNTIMES_BY_ENGINE = {(kind.engine, kind.int8): kind.name for kind in RUNTIMES.values()}


def runtime_kind(name: str) -> RuntimeKind:
    """The runtime called `name`, else a ValueError listing the choices."""
    if name not in RUNTIMES:
        raise ValueError(f"Unknown inference runtime {name!r}; choose one of {', '.join(RUNTIMES)}.")
    return RUNTIMES[name]


def resolve_num_threads(configured: int | None) -> int:
    """Threads for fine-tuning: config, else $RASA_LLM_NUM_THREADS, else min(4, CPUs).

    Training batches gain little beyond 4 threads on a 6-layer encoder, and more would only contend
    with the rest of `rasa train`.
    """
    if configured:
        return int(configured)
    from_env = os.environ.get(THREADS_ENV, "").strip()
    if from_env:
        if not from_env.isdigit() or int(from_env) < 1:
            raise ValueError(f"${THREADS_ENV} must be a positive integer, got {from_env!r}.")
        return int(from_env)
    return max(1, min(4, os.cpu_count() or 1))


@dataclass
class TrainingConfig:
    """Fine-tuning hyper-parameters. Those in `_INTERNAL` are not component options."""

    # Upper bound on passes over the training data (early stopping usually ends sooner).
    epochs: int = 6
    batch_size: int = 32
    # AdamW step size for the pretrained encoder, and for the freshly initialised heads.
    learning_rate: float = 1e-4
    head_learning_rate: float = 2e-3
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    # Tokens per message; longer messages are truncated (customer messages rarely need more).
    max_length: int = 64
    random_seed: int = 42
    # Share of each intent's examples held out for early stopping and calibration.
    validation_fraction: float = 0.15
    # Epochs without a better validation loss before training stops; 0 trains all epochs.
    early_stopping_patience: int = 2
    # Train and predict sentiment from `metadata: {sentiment: ...}` labels in the NLU data.
    sentiment: bool = True
    # Weight of the sentiment loss beside the intent loss.
    sentiment_loss_weight: float = 0.5
    # "onnx-int8" (fastest), "onnx", "torch-int8" or "torch" (see RUNTIMES).
    runtime: str = "onnx-int8"
    # CPU threads for fine-tuning; the component option None = resolve_num_threads(None).
    num_threads: int = 2
    show_progress: bool | None = None

    def __post_init__(self) -> None:
        runtime_kind(self.runtime)
        for name in ("epochs", "batch_size", "max_length", "num_threads"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}.")
        if self.learning_rate <= 0 or self.head_learning_rate <= 0:
            raise ValueError("Learning rates must be positive.")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in [0, 1), got {self.validation_fraction!r}.")
        if self.early_stopping_patience < 0:
            raise ValueError("early_stopping_patience must be 0 (off) or more.")

    @property
    def runtime_kind(self) -> RuntimeKind:
        return RUNTIMES[self.runtime]

    @classmethod
    def from_component_config(cls, config: dict[str, Any]) -> TrainingConfig:
        """The training part of a (merged) component config; num_threads None is resolved here."""
        keys = [f.name for f in fields(cls) if f.name not in _INTERNAL]
        options = {key: config[key] for key in keys}
        return cls(**{**options, "num_threads": resolve_num_threads(options["num_threads"])})


# Fixed by the training code, not options of the component.
_INTERNAL = ("weight_decay", "warmup_fraction", "show_progress")


def component_defaults() -> dict[str, Any]:
    """The component's options and their defaults (`TransformerIntentClassifier.get_default_config`)."""
    from rasa.nlu.classifiers import LABEL_RANKING_LENGTH

    training = {key: value for key, value in asdict(TrainingConfig()).items() if key not in _INTERNAL}
    return {
        # Local Hugging Face encoder folder; None = the packaged all-MiniLM-L6-v2.
        "model": None,
        **training,
        "num_threads": None,
        # A negative sentiment at least this confident also becomes a `sentiment` entity.
        "negative_sentiment_threshold": 0.6,
        # Intents listed in `intent_ranking`; 0 lists all.
        "intent_ranking_length": LABEL_RANKING_LENGTH,
        # ONNX Runtime threads per parse: one short message gains nothing from more, and a
        # single thread keeps its latency steady on a server busy with other work.
        "inference_threads": 1,
    }


def check_component_config(config: dict[str, Any]) -> TrainingConfig:
    """Every check of a merged component config, in one place; returns its training part.

    Raises ValueError with a message that names the option.
    """
    # `rasa train --finetune` adds this key to every component that has `epochs`.
    unknown = sorted(set(config) - set(component_defaults()) - {"finetuning_epoch_fraction"})
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join(map(repr, unknown))}; the options are "
            f"{', '.join(component_defaults())}."
        )
    threshold = config["negative_sentiment_threshold"]
    if not isinstance(threshold, int | float) or not 0.0 <= threshold <= 1.0:
        raise ValueError(f"negative_sentiment_threshold must be a number between 0 and 1, got {threshold!r}.")
    threads = config["inference_threads"]
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"inference_threads must be a positive integer, got {threads!r}.")
    ranking_length = config["intent_ranking_length"]
    if not isinstance(ranking_length, int) or ranking_length < 0:
        raise ValueError(
            f"intent_ranking_length must be 0 (all) or a positive integer, got {ranking_length!r}."
        )
    try:
        return TrainingConfig.from_component_config(config)
    except TypeError as error:
        raise ValueError(str(error)) from error
