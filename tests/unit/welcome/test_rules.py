"""Who may invite whom (issue 14), and link tokens: pure rules, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mutualisation.welcome import rules

HOME, OTHER = 1, 2


@pytest.mark.parametrize(
    ("inviter", "role", "territory", "allowed"),
    [
        ("admin", "technician", OTHER, True),
        ("admin", "official", OTHER, True),
        ("admin", "actor", OTHER, False),
        ("technician", "technician", HOME, True),
        ("technician", "actor", HOME, True),
        ("technician", "official", HOME, False),
        ("technician", "technician", OTHER, False),
        ("technician", "actor", OTHER, False),
        ("official", "official", HOME, True),
        ("official", "technician", HOME, True),
        ("official", "actor", HOME, True),
        ("official", "official", OTHER, False),
        ("actor", "actor", HOME, False),
        ("actor", "technician", HOME, False),
        ("official", "admin", HOME, False),
        ("admin", "admin", HOME, False),
    ],
)
def test_who_may_invite_whom_follows_the_issue(inviter, role, territory, allowed):
    assert rules.may_invite(inviter, HOME, role, territory) is allowed


def test_forms_offer_each_inviter_only_the_roles_they_may_invite():
    assert rules.roles_invitable_by("technician") == ("technician", "actor")
    assert rules.roles_invitable_by("official") == ("technician", "official", "actor")
    assert rules.roles_invitable_by("admin") == ("technician", "official")
    assert rules.roles_invitable_by("actor") == ()


def test_a_link_token_is_stored_as_its_hash_only():
    clear, digest = rules.new_link_token()
    assert digest == rules.hash_token(clear) and clear not in digest and len(digest) == 64
    assert rules.new_link_token()[0] != clear


def test_a_reset_link_works_for_one_hour_and_once():
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    expires = now + rules.RESET_LIFETIME
    assert rules.is_usable(expires, None, now + timedelta(minutes=59))
    assert not rules.is_usable(expires, None, now + timedelta(hours=1))
    assert not rules.is_usable(expires, now, now + timedelta(minutes=1))


def test_a_request_for_a_territory_with_staff_is_a_local_actors():
    assert rules.join_role(True) == "actor" and rules.join_role(False) == "technician"
