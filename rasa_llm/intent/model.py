"""The network: a Hugging Face encoder with an intent head and a sentiment head.

The intent head reads the mean of the last layer's token vectors (what sentence-transformers trains
the encoder for). The sentiment head reads its own view of the same encoder pass: a learned mix of
all layers, pooled by learned attention weights next to the mean. Tone often sits in a few tokens
("not", "great, another week", "!!!") that a mean over the whole message dilutes, and the last layer
is the one the intent loss pulls hardest towards the topic; one encoder pass serves both heads.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig

from rasa_llm.shared.encoder import mean_pool


class SentimentHead(nn.Module):
    """Sentiment logits from a softmax-weighted mix of the encoder's layers.

    The mix is pooled twice, by its mean and by per-token attention weights, and both go to one
    linear layer.
    """

    def __init__(self, hidden_size: int, num_layers: int, num_sentiments: int, dropout: float) -> None:
        super().__init__()
        self.layer_weights = nn.Parameter(torch.zeros(num_layers))
        self.attention = nn.Linear(hidden_size, 1)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(2 * hidden_size, num_sentiments)

    def forward(self, layers: tuple[torch.Tensor, ...], attention_mask: torch.Tensor) -> torch.Tensor:
        weights = torch.softmax(self.layer_weights, dim=0)
        mixed = (torch.stack(layers, dim=0) * weights.view(-1, 1, 1, 1)).sum(dim=0)
        scores = self.attention(mixed).squeeze(-1)
        # -1e4 rather than -inf: a fully padded row (never produced, but traced) stays finite.
        scores = scores.masked_fill(attention_mask == 0, -1e4)
        attended = (mixed * torch.softmax(scores, dim=1).unsqueeze(-1)).sum(dim=1)
        pooled = torch.cat([attended, mean_pool(mixed, attention_mask)], dim=-1)
        return self.output(self.dropout(pooled))


class IntentSentimentModel(nn.Module):
    """Encoder + two heads; `forward` returns raw (uncalibrated) intent and sentiment logits."""

    def __init__(
        self, encoder: nn.Module, num_intents: int, num_sentiments: int, dropout: float = 0.1
    ) -> None:
        super().__init__()
        self.encoder = encoder
        hidden_size = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.intent_head = nn.Linear(hidden_size, num_intents)
        # The embedding output counts as a layer too.
        self.sentiment_head = SentimentHead(
            hidden_size, encoder.config.num_hidden_layers + 1, num_sentiments, dropout
        )

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
        output = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True
        )
        pooled = self.dropout(mean_pool(output.last_hidden_state, attention_mask))
        return self.intent_head(pooled), self.sentiment_head(output.hidden_states, attention_mask)


def encoder_config(folder: Path) -> PretrainedConfig:
    """The encoder's Hugging Face config from a local folder."""
    return AutoConfig.from_pretrained(str(folder), local_files_only=True)
