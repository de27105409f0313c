"""The network: a Hugging Face encoder, mean pooling, an intent head and a sentiment head."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token vectors, ignoring padding (what sentence-transformers trains with)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


class IntentSentimentModel(nn.Module):
    """Encoder + two linear heads; `forward` returns raw (uncalibrated) intent and sentiment logits."""

    def __init__(
        self, encoder: nn.Module, num_intents: int, num_sentiments: int, dropout: float = 0.1
    ) -> None:
        super().__init__()
        self.encoder = encoder
        hidden_size = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.intent_head = nn.Linear(hidden_size, num_intents)
        self.sentiment_head = nn.Linear(hidden_size, num_sentiments)

    @classmethod
    def from_pretrained(
        cls, folder: Path, num_intents: int, num_sentiments: int
    ) -> IntentSentimentModel:
        """Pretrained encoder from a local folder; heads freshly initialised (from torch's RNG)."""
        encoder = AutoModel.from_pretrained(str(folder), local_files_only=True)
        return cls(encoder, num_intents, num_sentiments)

    @classmethod
    def from_config(
        cls, config: PretrainedConfig, num_intents: int, num_sentiments: int
    ) -> IntentSentimentModel:
        """An empty model of the right shape, to load a fine-tuned state dict into."""
        return cls(AutoModel.from_config(config), num_intents, num_sentiments)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = self.dropout(mean_pool(hidden, attention_mask))
        return self.intent_head(pooled), self.sentiment_head(pooled)


def encoder_config(folder: Path) -> PretrainedConfig:
    """The encoder's Hugging Face config from a local folder."""
    return AutoConfig.from_pretrained(str(folder), local_files_only=True)
