"""Tokenization with truncation and per-batch (dynamic) padding, through the fast Rust tokenizer."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rasa_llm.shared.encoder import truncating_tokenizer

# Wordpieces are rarely longer than this many characters, so cutting a text to
# max_length * _CHARS_PER_TOKEN characters keeps its first max_length tokens while bounding the
# tokenizer's work on hostile, megabyte-long messages.
_CHARS_PER_TOKEN = 20


class BatchTokenizer:
    """Turns texts into token id lists (truncated to `max_length`) and pads batches of them."""

    def __init__(self, tokenizer: object, max_length: int) -> None:
        if not getattr(tokenizer, "is_fast", False):
            raise ValueError(
                "The model's tokenizer has no fast (Rust) implementation; rasa-llm needs a "
                "tokenizer.json or a tokenizer transformers can convert."
            )
        if max_length < 2:
            raise ValueError(f"max_length must be at least 2 (two special tokens), got {max_length}.")
        self._hf_tokenizer = tokenizer
        self._backend = truncating_tokenizer(tokenizer.backend_tokenizer.to_str(), max_length)
        self.max_length = max_length
        self.pad_id = int(tokenizer.pad_token_id or 0)

    @classmethod
    def from_pretrained(cls, folder: Path, max_length: int) -> BatchTokenizer:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(folder), use_fast=True, local_files_only=True)
        return cls(tokenizer, max_length)

    def save(self, folder: Path) -> None:
        self._hf_tokenizer.save_pretrained(str(folder))

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        limit = self.max_length * _CHARS_PER_TOKEN
        encodings = self._backend.encode_batch([text[:limit] for text in texts])
        return [encoding.ids for encoding in encodings]

    def pad(self, sequences: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """(input_ids, attention_mask) as int64 arrays, padded to the longest sequence given."""
        width = max(len(ids) for ids in sequences)
        input_ids = np.full((len(sequences), width), self.pad_id, dtype=np.int64)
        attention_mask = np.zeros((len(sequences), width), dtype=np.int64)
        for row, ids in enumerate(sequences):
            input_ids[row, : len(ids)] = ids
            attention_mask[row, : len(ids)] = 1
        return input_ids, attention_mask
