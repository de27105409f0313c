"""Sentence embeddings with a MiniLM-style encoder (mean pooling over tokens, L2-normalized).

Two backends compute the same vectors: ONNX Runtime (default; the ONNX file is exported from the
safetensors weights once and cached, then a short message embeds in a few milliseconds on one core,
without importing torch) and torch. Tokenization uses the `tokenizers` library directly, configured
once, so one encoder can be shared by the NLU component and the NLG across threads. The tokenizer,
export, session and pooling are the ones the intent classifier uses (`rasa_llm.shared.encoder`).
"""
from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rasa_llm.knowledge.cache import cache_root, cached_folder, hash_files
from rasa_llm.shared.encoder import export_onnx, mean_pool, onnx_session, truncating_tokenizer

logger = logging.getLogger(__name__)

BACKENDS = ("onnx", "torch")
ONNX_FILE = "encoder.onnx"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
CACHED_TEXTS = 4096  # about 6 MB of 384-dimension vectors


class EncoderError(ValueError):
    """The encoder folder or backend cannot be used (the message says why)."""


def _weights_file(model_path: Path) -> Path:
    for name in _WEIGHT_FILES:
        if (model_path / name).is_file():
            return model_path / name
    raise EncoderError(f"The encoder folder '{model_path}' has no {' or '.join(_WEIGHT_FILES)}.")


def fuse_attention(source: Path, target: Path, config: Any) -> None:
    """Rewrite a traced BERT-style encoder (`config`: its transformers config) with ONNX Runtime's
    fused Attention, SkipLayerNorm and BiasGelu operators: the same vectors (cosine 1 - 1e-7) in about
    20% less time per message; ONNX Runtime's own session optimizations do not find them in the traced
    graph. An encoder the optimizer cannot read is kept as traced."""
    from onnxruntime.transformers.optimizer import optimize_model

    try:
        fused = optimize_model(
            str(source), model_type="bert", num_heads=config.num_attention_heads,
            hidden_size=config.hidden_size, opt_level=1,
        )
        fused.save_model_to_file(str(target))
    except Exception as error:  # noqa: BLE001 - any failure leaves the traced graph, which is correct
        logger.warning("Could not fuse the encoder's attention (%s); using the traced ONNX graph.", error)
        source.replace(target)


class SentenceEncoder:
    """Embeds texts into unit-length float32 vectors."""

    def __init__(
        self,
        model_path: Path,
        backend: str = "onnx",
        threads: int = 1,
        max_length: int = 256,
        cache_dir: str | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise EncoderError(f"Unknown encoder backend '{backend}'; use one of {', '.join(BACKENDS)}.")
        if not (model_path / "tokenizer.json").is_file():
            raise EncoderError(f"The encoder folder '{model_path}' has no tokenizer.json (a fast tokenizer).")
        self.model_path = model_path
        self.backend = backend
        weights = _weights_file(model_path)
        # Identifies the vectors: an index built by one encoder is useless to another.
        self.identity = f"{model_path.name}:{hash_files(weights)}"
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()  # text -> vector, least recent first
        self._cache_lock = threading.Lock()  # one encoder serves the NLU and the NLG's worker threads
        self._tokenizer = self._load_tokenizer(model_path, max_length)
        if backend == "onnx":
            self._run = self._onnx_runner(weights, threads, cache_dir)
        else:
            # torch's thread count is process-wide: the application sets it, not one component.
            self._run = self._torch_runner()

    @staticmethod
    def _load_tokenizer(model_path: Path, max_length: int):  # -> tokenizers.Tokenizer
        config_file = model_path / "config.json"
        config = json.loads(config_file.read_text()) if config_file.is_file() else {}
        pad_id = config.get("pad_token_id") or 0
        return truncating_tokenizer(model_path / "tokenizer.json", max_length, pad_id=pad_id)

    def _onnx_runner(self, weights: Path, threads: int, cache_dir: str | None):
        # "fused": exports made before the attention fusion below are not reused.
        key = f"encoder-fused-{self.model_path.name}-{self.identity.split(':')[1]}"
        folder = cached_folder(cache_root(cache_dir), key, self._export_onnx)
        session = onnx_session(folder / ONNX_FILE, threads)

        def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            return session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

        return run

    def _export_onnx(self, folder: Path) -> None:
        import torch
        from transformers import AutoModel

        model = AutoModel.from_pretrained(self.model_path)
        sample = self._tokenizer.encode_batch(["an example sentence"])
        ids = torch.tensor([e.ids for e in sample], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in sample], dtype=torch.long)
        dynamic = {0: "batch", 1: "tokens"}
        traced = folder / "traced.onnx"
        export_onnx(
            model,
            (ids, mask),
            traced,
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "last_hidden_state": dynamic},
        )
        fuse_attention(traced, folder / ONNX_FILE, model.config)
        traced.unlink(missing_ok=True)

    def _torch_runner(self):
        import torch
        from transformers import AutoModel

        model = AutoModel.from_pretrained(self.model_path).eval()

        def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                output = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
            return output.last_hidden_state.numpy()

        return run

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length embeddings, one row per text (an empty text embeds like the empty string).

        The vectors of the last `CACHED_TEXTS` distinct texts are kept: a knowledge answer embeds the
        same passages and sentences turn after turn (ranking, relevance, verification), and only the
        customer's question and the generated answer are new.
        """
        texts = [text or "" for text in texts]
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        with self._cache_lock:
            known = {text: self._cache[text] for text in texts if text in self._cache}
            for text in known:
                self._cache.move_to_end(text)
        missing = [text for text in dict.fromkeys(texts) if text not in known]
        if missing:
            computed = self._encode(missing, batch_size)
            with self._cache_lock:
                for text, vector in zip(missing, computed, strict=True):
                    known[text] = self._cache[text] = vector
                while len(self._cache) > CACHED_TEXTS:
                    self._cache.popitem(last=False)
        return np.stack([known[text] for text in texts])

    def _encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        vectors = []
        for start in range(0, len(texts), batch_size):
            batch = self._tokenizer.encode_batch(list(texts[start : start + batch_size]))
            ids = np.array([encoding.ids for encoding in batch], dtype=np.int64)
            mask = np.array([encoding.attention_mask for encoding in batch], dtype=np.int64)
            pooled = mean_pool(self._run(ids, mask), mask)
            vectors.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
        return np.concatenate(vectors).astype(np.float32)


_ENCODERS: dict[tuple[str, str, int, str | None], SentenceEncoder] = {}
_ENCODERS_LOCK = threading.Lock()


def load_encoder(
    model_path: Path, backend: str = "onnx", threads: int = 1, cache_dir: str | None = None
) -> SentenceEncoder:
    """One shared encoder per (model, backend) in this process: the retriever and the NLG reuse it."""
    key = (str(Path(model_path).resolve()), backend, threads, cache_dir)
    with _ENCODERS_LOCK:
        if key not in _ENCODERS:
            _ENCODERS[key] = SentenceEncoder(
                Path(model_path), backend=backend, threads=threads, cache_dir=cache_dir
            )
        return _ENCODERS[key]
