from __future__ import annotations

import pytest

from mutualisation.errors import InvalidTransition, RuleViolation
from mutualisation.listings import lifecycle
from mutualisation.listings.lifecycle import STATUSES, TRANSITIONS, transition, withdrawal_reason


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_cell_of_the_transition_table_is_allowed_or_refused(status, action):
    sources, target = TRANSITIONS[action]
    if status in sources:
        assert transition(status, action).to_status == target
    else:
        with pytest.raises(InvalidTransition):
            transition(status, action)


def test_an_inexhaustible_listing_stays_published_when_reserved_or_fulfilled():
    assert transition("published", "reserve", reusable=True).to_status == "published"
    assert transition("published", "fulfil", reusable=True).to_status == "published"
    assert transition("reserved", "fulfil", reusable=False).to_status == "fulfilled"


def test_an_unknown_action_is_an_invalid_transition():
    with pytest.raises(InvalidTransition):
        transition("draft", "explode")


def test_a_withdrawal_needs_a_reason_from_the_list():
    with pytest.raises(RuleViolation) as err:
        withdrawal_reason("", None)
    assert "reason" in err.value.fields
    with pytest.raises(RuleViolation):
        withdrawal_reason("because", None)


def test_another_reason_needs_free_text():
    with pytest.raises(RuleViolation) as err:
        withdrawal_reason("other", "  ")
    assert "reason_text" in err.value.fields
    assert withdrawal_reason("other", "Le matériel est cassé") == "other: Le matériel est cassé"
    assert withdrawal_reason("exchanged_elsewhere", None) == "exchanged_elsewhere"


def test_allowed_actions_of_a_draft_are_publish_expire_and_withdraw():
    assert set(lifecycle.allowed_actions("draft")) == {"publish", "expire", "withdraw"}
