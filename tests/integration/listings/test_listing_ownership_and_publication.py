"""Create-and-publish is one commit; listings belong to a territory's staff or a local actor, never
to the facilitator (admin), who moderates them all."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from mutualisation.audit.models import AuditEvent
from mutualisation.errors import NotFound, PermissionDenied, RuleViolation
from mutualisation.listings import browse, editing, hooks, services, transitions
from mutualisation.listings.models import Listing, ListingEvent
from mutualisation.listings.permissions import get_for_management, get_visible_listing
from tests.builders import make_listing, make_user
from tests.integration.listings.test_listing_services import NEED


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_create_published_writes_one_published_listing_with_its_draft_and_publication_events(session):
    user = make_user(session, "technician", "76402")
    heard: list[tuple[int, str]] = []

    def follower(_session, listing_id, change):
        heard.append((listing_id, change))

    hooks.follow(session, follower)
    listing = editing.create_published(session, user, NEED)
    assert listing.status == "published" and listing.published_at is not None
    events = session.scalars(select(ListingEvent).where(ListingEvent.listing_id == listing.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == [(None, "draft"), ("draft", "published")]
    assert heard == [(listing.id, "created"), (listing.id, "published")]


def test_a_failure_in_the_publish_step_leaves_no_listing_event_term_or_audit_behind(session, monkeypatch):
    user = make_user(session, "technician", "76402")
    session.commit()
    before = {model: count(session, model) for model in (Listing, ListingEvent, AuditEvent)}

    def broken_publish(*_args, **_kwargs):
        raise RuntimeError("the publish step failed")

    monkeypatch.setattr(editing, "apply_transition", broken_publish)
    with pytest.raises(RuntimeError):
        editing.create_published(session, user, NEED)
    after = {model: count(session, model) for model in (Listing, ListingEvent, AuditEvent)}
    assert after == before
    monkeypatch.undo()
    # The retry creates exactly one listing: nothing was left to duplicate.
    editing.create_published(session, user, NEED)
    assert count(session, Listing) == before[Listing] + 1


def test_a_window_already_over_refuses_create_published_before_anything_is_written(session):
    user = make_user(session, "technician", "76402")
    session.commit()
    past = {
        "available_from": date.today() - timedelta(days=9),
        "available_until": date.today() - timedelta(days=2),
    }
    with pytest.raises(RuleViolation) as caught:
        editing.create_published(session, user, NEED | past)
    assert "available_until" in caught.value.fields
    assert count(session, Listing) == 0


def test_the_facilitator_cannot_author_a_listing(session):
    admin = make_user(session, "admin", "62528")
    with pytest.raises(PermissionDenied):
        editing.create(session, admin, NEED)
    with pytest.raises(PermissionDenied):
        editing.create_published(session, admin, NEED)
    assert count(session, Listing) == 0


def test_the_facilitator_cannot_copy_a_listing_into_their_own_name(session):
    listing = make_listing(session, make_user(session, "technician", "62528"))
    admin = make_user(session, "admin", "62528")
    with pytest.raises(PermissionDenied):
        editing.duplicate(session, admin, listing.id)


def test_a_listing_written_by_an_admin_is_not_managed_by_the_staff_of_the_admins_territory(session):
    admin = make_user(session, "admin", "62528")
    # Such listings exist from before the rule: the facilitator's territory does not inherit them.
    legacy = make_listing(session, admin)
    technician = make_user(session, "technician", "62528")
    official = make_user(session, "official", "62528")
    for staff in (technician, official):
        with pytest.raises(PermissionDenied):
            get_for_management(session, staff, legacy.id)
        mine, total = browse.my_listings(session, staff)
        assert legacy not in mine and total == 0
        assert browse.status_counts(session, staff) == {}
    assert get_for_management(session, admin, legacy.id) is legacy


def test_the_facilitator_still_moderates_every_listing(session):
    actor = make_user(session, "actor", "22046")
    listing = make_listing(session, actor)
    admin = make_user(session, "admin", "62528")
    withdrawn = transitions.withdraw(session, admin, listing.id, "other", "Hors charte")
    assert withdrawn.status == "withdrawn"


def test_staff_still_manage_what_their_colleagues_wrote(session):
    technician = make_user(session, "technician", "62528")
    listing = make_listing(session, technician, status="draft")
    official = make_user(session, "official", "62528")
    assert get_for_management(session, official, listing.id) is listing
    mine, _total = browse.my_listings(session, official)
    assert listing in mine


@pytest.mark.parametrize(
    ("role", "code"),
    [("technician", "76402"), ("official", "76402"), ("actor", "62528"), ("actor", "76402")],
)
def test_a_draft_is_not_found_for_anyone_who_may_not_see_it(session, role, code):
    draft = make_listing(session, make_user(session, "technician", "62528"), status="draft")
    other = make_user(session, role, code)
    with pytest.raises(NotFound):
        get_visible_listing(session, other, draft.id)
    with pytest.raises(NotFound):
        services.get_listing(session, other, draft.id)
    with pytest.raises(NotFound):
        get_for_management(session, other, draft.id)
