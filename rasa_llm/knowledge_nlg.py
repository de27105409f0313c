"""KnowledgeAnswerNLG: Rasa's response templates, plus grounded answers for the fallback response.

Configured in endpoints.yml:

    nlg:
      type: rasa_llm.KnowledgeAnswerNLG
      backend: local          # local | openai | none (extractive answers only)
      timeout: 4.0            # seconds per reply; past it the reply is extractive
      ...                     # see rasa_llm/knowledge/config.py and the README

Every response is rendered by Rasa's TemplatedNaturalLanguageGenerator, except `utter_knowledge_answer`
(the fallback's response: rule `nlu_fallback` and RulePolicy's core fallback point to it). For that
one, the latest user message's retrieved passages (`knowledge` in its parse data, added by
KnowledgeRetriever) are handed to the responder, whose answer becomes the message:

    {"text": "...", "custom": {"sources": [{"id", "title"}], "mode": "generated|extractive|abstained"}}

Abstentions keep the domain's own wording: the `utter_knowledge_answer` text (with a button to a
person when the response has no buttons of its own), or `utter_knowledge_order_lookup` for questions
about the customer's own order. Why an NLG and not a policy: Rasa 3.6 runs policies synchronously on
the event loop, while an NLG is awaited, so generation runs on a worker thread (or an HTTP call)
and other conversations are answered meanwhile.
"""
from __future__ import annotations

import logging
from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from rasa_llm.knowledge.config import KnowledgeAnswerConfig
from rasa_llm.knowledge.prompt import Turn
from rasa_llm.knowledge.responder import (
    ABSTAINED,
    REASON_ORDER_SPECIFIC,
    KnowledgeAnswer,
    RetrievedPassage,
)

logger = logging.getLogger(__name__)

KNOWLEDGE = "knowledge"
DEFAULT_ORDER_TEXT = (
    "I can look that up for you: say \"track my order\" (or \"where is my refund\") and I'll ask for your "
    "order number and email."
)
CMDLINE_CHANNEL = "cmdline"  # the output channel of `rasa shell`
DEFAULT_ABSTAIN_TEXT = "Sorry, I don't know that one. Would you like to talk to a person?"


class KnowledgeAnswerNLG(TemplatedNaturalLanguageGenerator):
    """Templated responses, with knowledge-base answers for the fallback response."""

    def __init__(self, endpoint_config: EndpointConfig, domain: Domain | None = None, **kwargs: Any) -> None:
        # Rasa's Agent refreshes `responses` whenever it loads a model (it checks for this base class).
        super().__init__(domain.responses if domain else {})
        settings = dict(endpoint_config.kwargs)
        if endpoint_config.url:
            settings["url"] = endpoint_config.url
        self.config = KnowledgeAnswerConfig.from_dict(settings)
        self.responder = self.config.build_responder()
        self._warned_no_knowledge = False

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        if utter_action != self.config.response:
            return await super().generate(utter_action, tracker, output_channel, **kwargs)
        question = (tracker.latest_message.text or "") if tracker.latest_message else ""
        try:
            answer = await self.responder.respond(question, self._passages(tracker), self._history(tracker))
        except Exception:  # noqa: BLE001 - a fallback must never turn into a crash
            logger.exception("The knowledge answer failed; replying with the fallback response.")
            answer = KnowledgeAnswer("", ABSTAINED, "error")
        logger.debug(f"Knowledge answer: mode={answer.mode} reason={answer.reason} {answer.detail}")
        message = await self._message(answer, tracker, output_channel, **kwargs)
        return for_rasa_shell(message) if output_channel == CMDLINE_CHANNEL else message

    def _passages(self, tracker: DialogueStateTracker) -> list[RetrievedPassage]:
        knowledge = tracker.latest_message.parse_data.get(KNOWLEDGE) if tracker.latest_message else None
        if not isinstance(knowledge, dict):
            if not self._warned_no_knowledge:
                logger.warning(
                    f"Messages carry no '{KNOWLEDGE}': add rasa_llm.KnowledgeRetriever to the NLU pipeline "
                    "so the fallback can answer from the knowledge base."
                )
                self._warned_no_knowledge = True
            return []
        passages = []
        for item in knowledge.get("passages") or []:
            try:
                passages.append(RetrievedPassage.from_parse_data(item))
            except (KeyError, TypeError, ValueError):
                logger.warning("Skipping a malformed knowledge passage in the parse data.")
        return passages

    def _history(self, tracker: DialogueStateTracker) -> list[Turn]:
        """The turns before the latest user message, oldest first."""
        wanted = 2 * self.config.responder.history_turns
        turns: list[Turn] = []
        skipped_latest = False
        for event in reversed(tracker.events):
            if len(turns) >= wanted:
                break
            if isinstance(event, UserUttered):
                if not skipped_latest:
                    skipped_latest = True
                elif event.text:
                    turns.append(Turn("customer", event.text))
            elif isinstance(event, BotUttered) and event.text and skipped_latest:
                turns.append(Turn("assistant", event.text))
        return list(reversed(turns))

    async def _message(
        self, answer: KnowledgeAnswer, tracker: DialogueStateTracker, output_channel: str, **kwargs: Any
    ) -> dict[str, Any]:
        custom = {"sources": answer.citations(), "mode": answer.mode}
        if answer.mode != ABSTAINED:
            return {"text": answer.text, "custom": custom}
        if answer.reason == REASON_ORDER_SPECIFIC:
            template = await super().generate(self.config.order_response, tracker, output_channel, **kwargs)
            message = template or {"text": DEFAULT_ORDER_TEXT}
        else:
            template = await super().generate(self.config.response, tracker, output_channel, **kwargs)
            message = template or {"text": DEFAULT_ABSTAIN_TEXT}
            if not message.get("buttons"):
                message["buttons"] = [{"title": self.config.handoff_title, "payload": self.config.handoff_payload}]
        message["custom"] = custom
        return message


def for_rasa_shell(message: dict[str, Any]) -> dict[str, Any]:
    """`rasa shell` prints a custom payload as a raw JSON dump: the sources become one line of text
    under the answer instead, and the payload is left out."""
    shown = {key: value for key, value in message.items() if key != "custom"}
    titles = "; ".join(str(source.get("title")) for source in (message.get("custom") or {}).get("sources") or [])
    if titles:
        shown["text"] = f"{shown.get('text') or ''}\nSources: {titles}"
    return shown
