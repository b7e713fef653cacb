from __future__ import annotations

from types import SimpleNamespace

import pytest

from mutualisation.accounts import passwords
from mutualisation.accounts.permissions import allowed, can_approve_for_territory, can_manage_listing, require
from mutualisation.errors import PermissionDenied


def user(role, territory_id=1, uid=10, active=True):
    return SimpleNamespace(id=uid, role=role, territory_id=territory_id, is_active=active)


def test_passwords_are_hashed_with_argon2_and_verified():
    hashed = passwords.hash_password("un long mot de passe")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "un long mot de passe")
    assert not passwords.verify_password(hashed, "autre chose")
    assert not passwords.verify_password("not a hash", "x")


@pytest.mark.parametrize("candidate", ["short", "azertyuiop", "motdepasse123", "aaaaaaaaaaaa"])
def test_weak_passwords_are_refused(candidate):
    assert passwords.password_problems(candidate, min_length=10)


def test_a_password_equal_to_the_email_is_refused():
    assert passwords.password_problems("jean@example.org", min_length=10, email="jean@example.org")


def test_the_demo_password_is_only_allowed_for_the_demo():
    assert passwords.password_problems("demo-password", min_length=10)
    assert passwords.password_problems("demo-password", min_length=10, allow_demo=True) == []


def test_only_admins_manage_users():
    for role in ("technician", "official", "actor"):
        assert not allowed(user(role), "users:manage")
    assert allowed(user("admin"), "users:manage")
    assert not allowed(user("admin", active=False), "users:manage")
    with pytest.raises(PermissionDenied):
        require(user("official"), "users:manage")


def test_staff_manage_their_territory_listings_and_actors_only_their_own():
    staff_listing = SimpleNamespace(territory_id=1, owner_id=99, owner=SimpleNamespace(role="technician"))
    actor_listing = SimpleNamespace(territory_id=1, owner_id=77, owner=SimpleNamespace(role="actor"))
    assert can_manage_listing(user("technician"), staff_listing)
    assert can_manage_listing(user("official"), staff_listing)
    assert not can_manage_listing(user("technician", territory_id=2), staff_listing)
    assert not can_manage_listing(user("technician"), actor_listing)
    assert can_manage_listing(user("actor", uid=77), actor_listing)
    assert not can_manage_listing(user("actor", uid=78), actor_listing)
    assert not can_manage_listing(None, staff_listing)


def test_only_an_official_of_that_territory_approves():
    assert can_approve_for_territory(user("official", territory_id=3), 3)
    assert not can_approve_for_territory(user("official", territory_id=3), 4)
    assert not can_approve_for_territory(user("technician", territory_id=3), 3)
    assert not can_approve_for_territory(user("admin", territory_id=3), 3)


def test_unknown_permission_names_are_programming_errors():
    with pytest.raises(LookupError):
        allowed(user("admin"), "nothing:here")
