"""What the actions keep in step with domain.yml by hand."""
from __future__ import annotations

from pathlib import Path

import yaml

from actions.common import NOT_AN_ANSWER

DOMAIN = Path(__file__).parents[2] / "domain.yml"


def test_not_an_answer_lists_the_same_intents_as_the_domain():
    # The forms' `not_intent` lists in domain.yml and the return form's item extraction must agree,
    # or an intent answers one question of the return form and not the others.
    domain = yaml.safe_load(DOMAIN.read_text())
    assert set(domain["x-not-an-answer"]) == NOT_AN_ANSWER
