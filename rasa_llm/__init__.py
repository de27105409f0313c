"""rasa-llm: Rasa 3.6 components that fine-tune a transformer classifier and answer from a knowledge base.

Designers reference the components by short paths in `config.yml` / `endpoints.yml`
(`rasa_llm.TransformerIntentClassifier`, ...): `_COMPONENTS` below is the list, and
`python -m rasa_llm` prints it. They are imported lazily: `import rasa_llm` stays cheap, and torch is
only loaded by the component that needs it.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_COMPONENTS = {
    "TransformerIntentClassifier": "rasa_llm.intent_classifier",
    "KnowledgeRetriever": "rasa_llm.knowledge_retriever",
    "KnowledgeAnswerNLG": "rasa_llm.knowledge_nlg",
    "SlashCommandGuard": "rasa_llm.slash_command_guard",
    "TextSanitizer": "rasa_llm.text_sanitizer",
    "OtherLanguageDetector": "rasa_llm.other_language_detector",
    "ActionFailurePolicy": "rasa_llm.action_failure_policy",
}

__all__ = list(_COMPONENTS)


def __getattr__(name: str) -> Any:
    # PEP 562: Rasa resolves "rasa_llm.X" with getattr(import_module("rasa_llm"), "X").
    if name in _COMPONENTS:
        return getattr(importlib.import_module(_COMPONENTS[name]), name)
    raise AttributeError(f"module 'rasa_llm' has no attribute {name!r}")
