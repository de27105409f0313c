"""Two misunderstood answers in a row end a form with the offer of a person, instead of a third
repetition of the same question.

An answer is misunderstood when the form's validator could not use it: the requested slot comes back
empty and no other slot of the form was filled (the validator has usually said why). A digression
(a policy question, a greeting) fills no slot and does not count; an understood answer, or the start of
a form, starts the count again.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions import messages
from actions.common import MISUNDERSTOOD, EventList, offer_human

MAX_MISUNDERSTOOD = 2


class OffersPersonWhenStuck(FormValidationAction, ABC):
    """Counts misunderstood answers across turns (slot `misunderstood`) for the form it is mixed into."""

    @abstractmethod
    def name(self) -> str:
        """`validate_<form>`; abstract so that rasa_sdk does not register this base class as an action."""

    def understood(self, values: dict[str, Any], domain: DomainDict) -> bool:
        """Whether the validated `values` of this turn show the answer was understood."""
        return any(values.get(slot) is not None for slot in self.domain_slots(domain))

    def gave_up(self) -> EventList:
        """Events besides ending the form when the customer is offered a person."""
        return []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> EventList:
        requested = tracker.get_slot(REQUESTED_SLOT)
        said_before = len(dispatcher.messages)
        events = await super().run(dispatcher, tracker, domain)
        values = {event["name"]: event["value"] for event in events if event.get("event") == "slot"}
        count = int(tracker.get_slot(MISUNDERSTOOD) or 0)
        reset = [SlotSet(MISUNDERSTOOD, 0)] if count else []
        if not requested:  # the form starts: an earlier form's count is no business of this one
            return events + reset
        if requested not in values or REQUESTED_SLOT in values:
            # Nothing was answered (a digression: any slot event here would stop Rasa's form from
            # rejecting the turn, and the digression's rule would not run), or the validator itself
            # ended the form.
            return events
        if self.understood(values, domain):
            return events + reset
        if count + 1 < MAX_MISUNDERSTOOD:
            return [*events, SlotSet(MISUNDERSTOOD, count + 1)]
        # The validator's complaint would be the same one again: the offer replaces it.
        del dispatcher.messages[said_before:]
        return [
            *events,
            *offer_human(
                dispatcher, messages.STILL_NOT_UNDERSTOOD, f"the bot did not understand the {requested}"
            ),
            *self.gave_up(),
            SlotSet(MISUNDERSTOOD, 0),
            SlotSet(REQUESTED_SLOT, None),  # ends the form
        ]
