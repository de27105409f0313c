"""rasa-llm: Rasa 3.6 components that fine-tune a transformer classifier and answer from a knowledge base.

Users name what they plug into Rasa by its short path, `rasa_llm.<Name>`, in config.yml,
endpoints.yml or a logging config; `_EXPORTS` below is that list, grouped by the Rasa extension point
each one plugs into (the sub-package it lives in), and `python -m rasa_llm` prints it. They are
imported lazily: `import rasa_llm` stays cheap, and torch is only loaded by the component that needs
it. The model code the components call is in `intent/` and `knowledge/` (no Rasa imports there);
what several parts share is in `shared/`.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# (extension point and where it is configured) -> {name: module}
_EXPORTS: dict[str, dict[str, str]] = {
    "NLU components (config.yml `pipeline:`), in the order a message meets them": {
        "TextSanitizer": "rasa_llm.nlu.text_sanitizer",
        "SlashCommandGuard": "rasa_llm.nlu.slash_command_guard",
        "TransformerIntentClassifier": "rasa_llm.nlu.intent_classifier",
        "OtherLanguageDetector": "rasa_llm.nlu.other_language_detector",
        "KnowledgeRetriever": "rasa_llm.nlu.knowledge_retriever",
        # Last in the pipeline; changes no message: swaps Rasa's per-action response-schema check for
        # a cheaper one when Rasa loads the model (see its module).
        "ActionResponseCheck": "rasa_llm.nlu.action_response_check",
    },
    "policies (config.yml `policies:`)": {
        "ActionFailurePolicy": "rasa_llm.policies.action_failure_policy",
    },
    "response generator (endpoints.yml `nlg:`)": {
        "KnowledgeAnswerNLG": "rasa_llm.nlg.knowledge_nlg",
    },
    "lock store (endpoints.yml `lock_store:`)": {
        "AtomicRedisLockStore": "rasa_llm.stores.redis_lock_store",
    },
    "tracker store (endpoints.yml `tracker_store:`)": {
        "CachingSQLTrackerStore": "rasa_llm.stores.sql_tracker_store",
    },
    "logging filters (a logging config such as bot/logging.yml)": {
        "RedactingFilter": "rasa_llm.logs.log_redaction",
        "UnreachableActionServerFilter": "rasa_llm.logs.action_server_log",
    },
}
_MODULES = {name: module for group in _EXPORTS.values() for name, module in group.items()}

__all__ = list(_MODULES)


def __getattr__(name: str) -> Any:
    # PEP 562: Rasa resolves "rasa_llm.X" with getattr(import_module("rasa_llm"), "X"), and so does
    # logging.config for a filter's "()".
    if name in _MODULES:
        return getattr(importlib.import_module(_MODULES[name]), name)
    raise AttributeError(f"module 'rasa_llm' has no attribute {name!r}")
