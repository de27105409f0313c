"""The transformer-encoder plumbing that the intent classifier and the knowledge retriever share.

Both read text with a MiniLM-style encoder: a fast (Rust) tokenizer that truncates, a mean over the
token vectors that leaves padding out, an ONNX export run by ONNX Runtime on the CPU. What differs
stays with them: the intent classifier fine-tunes the encoder and exports it with its heads
(`rasa_llm.intent.runtime`); the knowledge retriever exports the pretrained encoder and normalizes
the pooled vectors (`rasa_llm.knowledge.encoder`). torch is imported only by the functions that
need it, so serving from ONNX never loads it.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnxruntime
    import tokenizers

ONNX_OPSET = 17


def truncating_tokenizer(
    source: Path | str, max_length: int, pad_id: int | None = None
) -> tokenizers.Tokenizer:
    """A fast tokenizer from a tokenizer.json path (or its JSON text) that keeps `max_length` tokens.

    With `pad_id` it pads each batch to its longest text; without, the caller pads.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(source)) if isinstance(source, Path) else Tokenizer.from_str(source)
    tokenizer.enable_truncation(max_length=max_length)
    if pad_id is None:
        tokenizer.no_padding()
    else:
        tokenizer.enable_padding(pad_id=pad_id, pad_token=tokenizer.id_to_token(pad_id) or "[PAD]")
    return tokenizer


def mean_pool(hidden: Any, attention_mask: Any) -> Any:
    """Average of the token vectors, padding left out (what sentence-transformers trains with).

    Takes torch tensors (inside the fine-tuned model, so the pooling is part of its ONNX graph) or
    numpy arrays (after the retriever's ONNX session); the result has the type of `hidden`.
    """
    if isinstance(hidden, np.ndarray):
        weights = attention_mask[..., None].astype(hidden.dtype)
        return (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def export_onnx(
    module: Any,
    example_inputs: tuple[Any, ...],
    path: Path,
    input_names: Sequence[str],
    output_names: Sequence[str],
    dynamic_axes: Mapping[str, Mapping[int, str]],
) -> None:
    """Export a torch module to `path` with the TorchScript exporter (no onnxscript needed)."""
    import torch

    module.eval()
    # The tracer flags transformers' attention-mask constant (1.0 - mask), which holds for every
    # shape; torch >= 2.9 warns that this exporter is the legacy one, which is the one wanted here
    # (the dynamo exporter needs onnxscript).
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", "You are using the legacy TorchScript", DeprecationWarning)
        torch.onnx.export(
            module,
            example_inputs,
            str(path),
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_axes={name: dict(axes) for name, axes in dynamic_axes.items()},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )


def onnx_session(model: bytes | Path, num_threads: int) -> onnxruntime.InferenceSession:
    """An ONNX Runtime CPU session with its own pool of `num_threads` threads, fully optimized."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = num_threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Pool threads that spin while waiting for the next call would take the cores from every other
    # conversation on a small machine.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    source = str(model) if isinstance(model, Path) else model
    return onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])
