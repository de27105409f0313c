"""KnowledgeAnswerNLG: Rasa's response templates, plus grounded answers for the fallback response.

Configured in endpoints.yml:

    nlg:
      type: rasa_llm.KnowledgeAnswerNLG
      backend: local          # local | openai | none (extractive answers only)
      timeout: 4.0            # seconds per reply; past it the reply is extractive
      ...                     # see rasa_llm/knowledge/answer_settings.py and the README

Every response is rendered by Rasa's TemplatedNaturalLanguageGenerator, except:

- `utter_knowledge_answer` (rules for product and shop questions and `nlu_fallback`, and RulePolicy's
  core fallback): the passages KnowledgeRetriever's retrieval (the loaded model's index, retrieved
  here, when the reply needs it) finds for the latest user message and that pass the relevance check
  (rasa_llm/knowledge/relevance.py) are handed to the responder, whose answer becomes the message:

    {"text": "...", "custom": {"sources": [{"id", "title"}], "mode": "generated|extractive|abstained"}}

  (a custom action that sends it with `only_if_answered: true` gets no message instead of an
  abstention: a complaint's apology is not followed by "I don't know that one");

- the response a rule gives to an intent listed in `informational_intents` (endpoints.yml): the
  knowledge answer to the message as typed replaces it when a passage is relevant; otherwise the
  template is sent if it is relevant to the question itself, and the honest "I don't know" if not
  (the classifier has read such a message as a question about how the shop works, so only an order
  number makes it one about the customer's own order: "when will my order be dispatched" is answered);
- `decline_response` (utter_out_of_scope): answered like the fallback when a passage passes the
  relevance check (a shop question the classifier took for out of scope, or a short follow-up read
  with the previous question), declined otherwise.

A short follow-up ("and for Canada?") is retrieved together with the previous customer question.
Abstentions keep the domain's own wording: the `utter_knowledge_answer` text (with a button to a
person when the response has no buttons of its own), or `utter_knowledge_order_lookup` for questions
about the customer's own order. Why an NLG and not a policy: Rasa 3.6 runs policies synchronously on
the event loop, while an NLG is awaited, so generation runs on a worker thread (or an HTTP call)
and other conversations are answered meanwhile.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from rasa_llm.knowledge.answer_settings import KnowledgeAnswerConfig
from rasa_llm.knowledge.encoder import SentenceEncoder
from rasa_llm.knowledge.prompt import Turn
from rasa_llm.knowledge.relevance import RelevanceCheck, contextual_question, is_follow_up
from rasa_llm.knowledge.responder import (
    ABSTAINED,
    EXTRACTIVE,
    GENERATED,
    REASON_ORDER_SPECIFIC,
    KnowledgeAnswer,
    KnowledgeResponder,
)
from rasa_llm.knowledge.retrieval import PassageRetrieval, current

logger = logging.getLogger(__name__)

REASON_NO_RETRIEVAL = "no_retrieval"
DEFAULT_ORDER_TEXT = (
    "I can look that up for you: say \"track my order\" (or \"where is my refund\") and I'll ask for your "
    "order number and email."
)
# Entities that make a message about the customer's own order, never a knowledge follow-up.
_RECORD_ENTITIES = ("order_id", "email")
CMDLINE_CHANNEL = "cmdline"  # the output channel of `rasa shell`
DEFAULT_ABSTAIN_TEXT = "Sorry, I don't know that one. Would you like to talk to a person?"
# Sent by a custom action with the fallback response (dispatcher.utter_message(response=...,
# only_if_answered=True)): no message at all instead of the abstention (a complaint's apology and offer
# of a person stand without it).
ONLY_IF_ANSWERED = "only_if_answered"


class KnowledgeAnswerNLG(TemplatedNaturalLanguageGenerator):
    """Templated responses, with knowledge-base answers for the fallback response."""

    def __init__(self, endpoint_config: EndpointConfig, domain: Domain | None = None, **kwargs: Any) -> None:
        # Rasa's Agent refreshes `responses` whenever it loads a model (it checks for this base class).
        super().__init__(domain.responses if domain else {})
        settings = dict(endpoint_config.kwargs)
        if endpoint_config.url:
            settings["url"] = endpoint_config.url
        self.config = KnowledgeAnswerConfig.from_dict(settings)
        # Built (and a local model preloaded) now: the first answer should not wait for it.
        self.generator = self.config.build_generator()
        self._informational = frozenset(self.config.informational_intents)
        self._encoder: SentenceEncoder | None = None
        self._warned_no_retrieval = False

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        if utter_action == self.config.response:
            answer = await self._answer(tracker)
            if answer.mode == ABSTAINED and kwargs.get(ONLY_IF_ANSWERED):
                return None  # Rasa sends nothing for this response
            return await self._message(answer, tracker, output_channel, **kwargs)
        if utter_action == self.config.decline_response:
            # The classifier's out-of-scope class also catches shop questions phrased unlike its
            # examples (and follow-ups): a passage that passes the relevance check answers them.
            answer = await self._answer(tracker)
            if answer.mode != ABSTAINED:
                return await self._message(answer, tracker, output_channel, **kwargs)
        elif self._answers_informational(utter_action, tracker):
            return await self._informational_reply(utter_action, tracker, output_channel, **kwargs)
        elif self._follows_a_knowledge_answer(utter_action, tracker):
            # "and for canada?" right after a knowledge answer is read with the question before it,
            # whatever intent the classifier gave the few words alone (often `inform`).
            answer = await self._answer(tracker)
            if answer.mode != ABSTAINED:
                return await self._message(answer, tracker, output_channel, **kwargs)
        return await super().generate(utter_action, tracker, output_channel, **kwargs)

    def _follows_a_knowledge_answer(self, utter_action: str, tracker: DialogueStateTracker) -> bool:
        """True when the latest message is a short follow-up (no order id or email in it) and the bot's
        last message before it was a knowledge answer."""
        message = tracker.latest_message
        if message is None or utter_action.startswith("utter_ask_") or not is_follow_up(message.text or ""):
            return False
        if any(entity.get("entity") in _RECORD_ENTITIES for entity in message.entities or []):
            return False
        if _latest_message_answered(tracker):
            return False
        seen_latest = False
        for event in reversed(tracker.events):
            if isinstance(event, UserUttered):
                if seen_latest:
                    return False
                seen_latest = True
            elif seen_latest and isinstance(event, BotUttered):
                return _knowledge_mode(event) in (GENERATED, EXTRACTIVE)
        return False

    def _answers_informational(self, utter_action: str, tracker: DialogueStateTracker) -> bool:
        """True for the response a rule gives to an informational intent, once per customer message
        (a form's question that follows the answer is left alone)."""
        message = tracker.latest_message
        if message is None or (message.intent or {}).get("name") not in self._informational:
            return False
        if utter_action.startswith("utter_ask_"):
            return False
        return not _latest_message_answered(tracker)

    async def _informational_reply(
        self, utter_action: str, tracker: DialogueStateTracker, output_channel: str, **kwargs: Any
    ) -> dict[str, Any] | None:
        answer = await self._answer(tracker, policy_question=True)
        if answer.mode != ABSTAINED:
            return await self._message(answer, tracker, output_channel, **kwargs)
        template = await super().generate(utter_action, tracker, output_channel, **kwargs)
        retrieval = current()
        if template is None or answer.reason == REASON_ORDER_SPECIFIC or retrieval is None:
            return template
        question = self._question(tracker)
        _, relevance = self._checks(retrieval.encoder)
        if await asyncio.to_thread(relevance.template_relevant, question, template.get("text") or ""):
            return template
        return await self._message(answer, tracker, output_channel, **kwargs)

    async def _answer(self, tracker: DialogueStateTracker, policy_question: bool = False) -> KnowledgeAnswer:
        """The knowledge answer to the latest message (read with the previous question if it is a
        follow-up), from the retrieved passages that are relevant to it; `policy_question`: the
        message has an informational intent (see KnowledgeResponder.respond)."""
        question = self._question(tracker)
        try:
            retrieval = self._retrieval()
            if retrieval is None:
                return KnowledgeAnswer("", ABSTAINED, REASON_NO_RETRIEVAL)
            previous = self._previous_user_message(tracker, follow_up=True)
            asked = contextual_question(question, previous.text if previous else None)
            # Retrieval reads the text as the NLU pipeline read it (sanitized, see TextSanitizer).
            passages = await asyncio.to_thread(
                retrieval.retrieve,
                _nlu_text(tracker.latest_message),
                *((_nlu_text(previous), asked) if previous is not None and asked != question else ()),
            )
            responder, relevance = self._checks(retrieval.encoder)
            relevant = await asyncio.to_thread(relevance.relevant, asked, passages)
            answer = await responder.respond(asked, relevant, self._history(tracker), policy_question)
        except Exception:  # noqa: BLE001 - a fallback must never turn into a crash
            logger.exception("The knowledge answer failed; replying with the fallback response.")
            answer = KnowledgeAnswer("", ABSTAINED, "error")
        logger.debug("Knowledge answer: mode=%s reason=%s %s", answer.mode, answer.reason, answer.detail)
        return answer

    def _retrieval(self) -> PassageRetrieval | None:
        retrieval = current()
        if retrieval is None and not self._warned_no_retrieval:
            logger.warning(
                "No knowledge-base retrieval is loaded: add rasa_llm.KnowledgeRetriever to the NLU pipeline "
                "and train, so the bot can answer from the knowledge base."
            )
            self._warned_no_retrieval = True
        return retrieval

    def _checks(self, encoder: SentenceEncoder) -> tuple[KnowledgeResponder, RelevanceCheck]:
        """The responder and the relevance check, on the retriever's encoder (built again when a newly
        loaded model brings another one)."""
        if self._encoder is not encoder:
            self._responder = self.config.build_responder(encoder, self.generator)
            self._relevance = self.config.build_relevance_check(encoder)
            self._encoder = encoder
        return self._responder, self._relevance

    @staticmethod
    def _question(tracker: DialogueStateTracker) -> str:
        return (tracker.latest_message.text or "") if tracker.latest_message else ""

    @staticmethod
    def _previous_user_message(tracker: DialogueStateTracker, follow_up: bool = False) -> UserUttered | None:
        """The customer's message before the latest one (None when the latest is no follow-up and
        `follow_up` asks for one)."""
        latest = tracker.latest_message
        if latest is None or (follow_up and not is_follow_up(latest.text or "")):
            return None
        seen_latest = False
        for event in reversed(tracker.events):
            if isinstance(event, UserUttered):
                if seen_latest and event.text:
                    return event
                seen_latest = True
        return None

    def _history(self, tracker: DialogueStateTracker) -> list[Turn]:
        """The turns before the latest user message, oldest first."""
        wanted = 2 * self.config.history_turns
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
        message = await self._knowledge_message(answer, tracker, output_channel, **kwargs)
        return for_rasa_shell(message) if output_channel == CMDLINE_CHANNEL else message

    async def _knowledge_message(
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
                message["buttons"] = [
                    {"title": self.config.handoff_title, "payload": self.config.handoff_payload}
                ]
        message["custom"] = custom
        return message


def _knowledge_mode(event: BotUttered) -> str | None:
    """generated / extractive / abstained for a knowledge answer, None for any other bot message."""
    return ((event.data or {}).get("custom") or {}).get("mode")


def _latest_message_answered(tracker: DialogueStateTracker) -> bool:
    """Whether the customer's latest message already got its knowledge answer."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and _knowledge_mode(event):
            return True
    return False


def _nlu_text(message: UserUttered | None) -> str:
    if message is None:
        return ""
    return message.parse_data.get("text") or message.text or ""


def for_rasa_shell(message: dict[str, Any]) -> dict[str, Any]:
    """`rasa shell` prints a custom payload as a raw JSON dump: the sources become one line of text
    under the answer instead, and the payload is left out."""
    shown = {key: value for key, value in message.items() if key != "custom"}
    titles = "; ".join(
        str(source.get("title")) for source in (message.get("custom") or {}).get("sources") or []
    )
    if titles:
        shown["text"] = f"{shown.get('text') or ''}\nSources: {titles}"
    return shown
