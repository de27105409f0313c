"""Inference runtimes for a fine-tuned model: torch (fp32 / dynamic int8) and ONNX Runtime (fp32 / int8).

Every runtime maps padded token ids to raw intent and sentiment logits as numpy arrays, and saves
itself into a folder from which `load_runtime` rebuilds it. The ONNX runtimes need neither torch nor
the original model folder at load time, which keeps `rasa run` start-up short.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rasa_llm.intent.config import RUNTIMES_BY_ENGINE, RuntimeKind, runtime_kind
from rasa_llm.shared.encoder import export_onnx as export_module
from rasa_llm.shared.encoder import onnx_session

if TYPE_CHECKING:
    from rasa_llm.intent.model import IntentSentimentModel

ONNX_FILE = "model.onnx"
TORCH_WEIGHTS_FILE = "model.safetensors"
ENCODER_CONFIG_DIR = "encoder_config"
_INPUT_NAMES = ("input_ids", "attention_mask")
_OUTPUT_NAMES = ("intent_logits", "sentiment_logits")

Logits = tuple[np.ndarray, np.ndarray]


class TorchRuntime:
    """The fine-tuned torch module, optionally with its Linear layers dynamically quantized to int8.

    It runs with torch's process-wide thread setting, which it leaves alone: other components in the
    same Rasa process (a local generator) share it.
    """

    def __init__(self, model: IntentSentimentModel, quantized: bool) -> None:
        import torch

        self.name = RUNTIMES_BY_ENGINE[("torch", quantized)]
        # The fp32 module is what gets saved: int8 is re-derived at load, so a file never holds
        # weights that were quantized twice.
        self.fp32_model = model.eval()
        self._model = self.fp32_model
        if quantized:
            self._model = torch.ao.quantization.quantize_dynamic(
                self.fp32_model, {torch.nn.Linear}, dtype=torch.qint8
            )

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> Logits:
        import torch

        with torch.inference_mode():
            intent, sentiment = self._model(
                torch.from_numpy(input_ids), torch.from_numpy(attention_mask)
            )
        return intent.numpy(), sentiment.numpy()

    def save(self, folder: Path) -> None:
        from safetensors.torch import save_file

        state = {key: value.contiguous() for key, value in self.fp32_model.state_dict().items()}
        save_file(state, str(folder / TORCH_WEIGHTS_FILE))
        self.fp32_model.encoder.config.save_pretrained(str(folder / ENCODER_CONFIG_DIR))

    @classmethod
    def load(
        cls, folder: Path, quantized: bool, num_intents: int, num_sentiments: int
    ) -> TorchRuntime:
        from safetensors.torch import load_file

        from rasa_llm.intent.model import IntentSentimentModel, encoder_config

        model = IntentSentimentModel.from_config(
            encoder_config(folder / ENCODER_CONFIG_DIR), num_intents, num_sentiments
        )
        model.load_state_dict(load_file(str(folder / TORCH_WEIGHTS_FILE)))
        return cls(model, quantized)


class OnnxRuntime:
    """An ONNX export of the model run by ONNX Runtime on the CPU, with its own thread pool."""

    def __init__(self, model_bytes: bytes, name: str, num_threads: int) -> None:
        self.name = name
        self._model_bytes = model_bytes
        self._session = onnx_session(model_bytes, num_threads)

    @classmethod
    def from_model(
        cls, model: IntentSentimentModel, quantized: bool, num_threads: int, work_dir: Path
    ) -> OnnxRuntime:
        """Export `model` (and quantize its weights to int8 when asked) via files in `work_dir`."""
        fp32_path = work_dir / "model.fp32.onnx"
        export_onnx(model, fp32_path)
        name = RUNTIMES_BY_ENGINE[("onnx", quantized)]
        if not quantized:
            return cls(fp32_path.read_bytes(), name, num_threads)
        int8_path = work_dir / "model.int8.onnx"
        quantize_onnx(fp32_path, int8_path)
        return cls(int8_path.read_bytes(), name, num_threads)

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> Logits:
        intent, sentiment = self._session.run(
            list(_OUTPUT_NAMES), {"input_ids": input_ids, "attention_mask": attention_mask}
        )
        return intent, sentiment

    def save(self, folder: Path) -> None:
        (folder / ONNX_FILE).write_bytes(self._model_bytes)

    @classmethod
    def load(cls, folder: Path, name: str, num_threads: int) -> OnnxRuntime:
        return cls((folder / ONNX_FILE).read_bytes(), name, num_threads)


def export_onnx(model: IntentSentimentModel, path: Path) -> None:
    """Export with dynamic batch and sequence axes; the logits are per message."""
    import torch

    example_ids = torch.tensor([[101, 2023, 2003, 102], [101, 7592, 102, 0]], dtype=torch.long)
    example_mask = (example_ids != 0).long()
    tokens = {0: "batch", 1: "sequence"}
    export_module(
        model,
        (example_ids, example_mask),
        path,
        input_names=_INPUT_NAMES,
        output_names=_OUTPUT_NAMES,
        dynamic_axes={
            "input_ids": tokens,
            "attention_mask": tokens,
            "intent_logits": {0: "batch"},
            "sentiment_logits": {0: "batch"},
        },
    )


def quantize_onnx(source: Path, target: Path) -> None:
    """Dynamic int8 quantization of the weights (activations are quantized on the fly), one scale per
    output channel: with one scale per tensor the int8 model lost 1.2 points of intent macro-F1 to the
    fp32 one, with one per channel 0.4 (benchmarks/intent_benchmark.py --runtimes, same fine-tune)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    # onnxruntime logs a "consider pre-processing" warning on the root logger for every model.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)


def load_runtime(
    folder: Path, name: str, num_intents: int, num_sentiments: int, num_threads: int
) -> TorchRuntime | OnnxRuntime:
    """Rebuild the runtime `name` saved in `folder`; `num_threads` sizes ONNX Runtime's pool."""
    kind = runtime_kind(name)
    if kind.engine == "onnx":
        return OnnxRuntime.load(folder, kind.name, num_threads)
    return TorchRuntime.load(folder, kind.int8, num_intents, num_sentiments)


def build_runtime(
    model: IntentSentimentModel, runtime: str | RuntimeKind, num_threads: int, work_dir: Path
) -> TorchRuntime | OnnxRuntime:
    """The runtime `runtime` for a freshly trained model; `num_threads` sizes ONNX Runtime's pool."""
    kind = runtime if isinstance(runtime, RuntimeKind) else runtime_kind(runtime)
    if kind.engine == "onnx":
        return OnnxRuntime.from_model(model, kind.int8, num_threads, work_dir)
    return TorchRuntime(model, kind.int8)
