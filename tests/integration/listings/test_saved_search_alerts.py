"""Saved searches (alerts), issue 12: saving browse filters, and being told of a new listing
meeting them, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mutualisation.audit.models import AuditEvent
from mutualisation.errors import NotFound, PermissionDenied, RuleViolation, ValidationFailed
from mutualisation.listings import alert_rules, alerts, editing, transitions
from mutualisation.listings.models import SavedSearch
from mutualisation.notifications.models import Notification
from tests.builders import make_user

NACELLE = {
    "kind": "offer",
    "category": "equipment",
    "subcategory": "vehicle_machinery",
    "title": "Nacelle élévatrice 12 m",
    "description": "Prêt à la journée.",
}


@pytest.fixture
def people(session):
    return {
        "seeker": make_user(session, "technician", "62528"),  # Loos-en-Gohelle
        "author": make_user(session, "technician", "76402"),  # Malaunay, about 160 km away
        "other": make_user(session, "official", "62528"),
    }


def alerts_of(session, user):
    mine = (Notification.recipient_id == user.id, Notification.kind == alerts.ALERT_KIND)
    return session.scalars(select(Notification).where(*mine)).all()


def publish(session, user, **changes):
    return editing.create_published(session, user, NACELLE | changes)


def test_a_saved_search_keeps_the_set_filters_names_itself_and_is_audited(session, people):
    alert, created = alerts.create_alert(
        session, people["seeker"], {"q": " nacelles ", "near": "76402", "radius_km": 150, "kind": None}
    )
    assert created
    assert alert.filters == {"q": "nacelles", "near": "76402", "radius_km": 150.0}
    assert alert.label == "«\u00a0nacelles\u00a0» · Malaunay (150 km)"
    assert alerts.list_alerts(session, people["seeker"]) == [alert]
    assert alerts.list_alerts(session, people["other"]) == []
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "saved_search.created"))
    assert event is not None and event.object_id == str(alert.id)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "q"),
        ({"q": "de la !"}, "q"),  # no word to look for: it would announce every listing
        ({"kind": "gift"}, "kind"),
        ({"category": "spaceships"}, "category"),
        ({"category": "equipment", "subcategory": "composting"}, "subcategory"),
        ({"near": "99999"}, "near"),
        ({"q": "x", "radius_km": 20}, "radius_km"),
        ({"near": "76402", "radius_km": 5000}, "radius_km"),
        ({"q": "x" * 201}, "q"),
        ({"q": "x", "label": "y" * 201}, "label"),
    ],
)
def test_bad_filters_are_refused_with_a_message_per_field(session, people, data, field):
    with pytest.raises(ValidationFailed) as caught:
        alerts.create_alert(session, people["seeker"], data)
    assert field in caught.value.fields
    assert session.scalars(select(SavedSearch)).all() == []


def test_saving_the_same_filters_again_gives_the_search_saved_before(session, people):
    seeker = people["seeker"]
    first, _ = alerts.create_alert(
        session, seeker, {"q": "Nacelles", "near": "76402", "label": "Mes nacelles"}
    )
    again, created = alerts.create_alert(
        session, seeker, {"q": " nacelles ", "near": "76402", "radius_km": 50}
    )
    assert (again, created) == (first, False)  # the same words, and the default radius spelled out
    assert again.label == "Mes nacelles"
    other, created = alerts.create_alert(session, seeker, {"q": "nacelles", "near": "76402", "radius_km": 60})
    assert created and other != first
    _, created = alerts.create_alert(session, people["other"], {"q": "nacelles", "near": "76402"})
    assert created  # someone else's search is theirs
    assert (
        len(session.scalars(select(AuditEvent).where(AuditEvent.action == "saved_search.created")).all()) == 3
    )


def test_the_number_of_saved_searches_is_bounded(session, people):
    for n in range(alert_rules.MAX_ALERTS):
        alerts.create_alert(session, people["seeker"], {"q": f"mot{n}"})
    with pytest.raises(RuleViolation):
        alerts.create_alert(session, people["seeker"], {"q": "encore"})


def test_only_its_owner_deletes_a_saved_search_and_the_deletion_is_audited(session, people):
    alert, _ = alerts.create_alert(session, people["seeker"], {"category": "equipment"})
    with pytest.raises(NotFound):
        alerts.delete_alert(session, people["other"], alert.id)
    with pytest.raises(NotFound):
        alerts.delete_alert(session, people["seeker"], alert.id + 1000)
    alerts.delete_alert(session, people["seeker"], alert.id)
    assert session.get(SavedSearch, alert.id) is None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "saved_search.deleted")) is not None


def test_a_visitor_or_inactive_account_saves_nothing(session, people):
    with pytest.raises(PermissionDenied):
        alerts.create_alert(session, None, {"q": "nacelle"})
    people["other"].is_active = False
    session.flush()
    with pytest.raises(PermissionDenied):
        alerts.create_alert(session, people["other"], {"q": "nacelle"})
    assert session.scalars(select(SavedSearch)).all() == []


def test_a_new_listing_meeting_a_saved_search_is_announced_once_to_its_owner(session, people):
    seeker = people["seeker"]
    alert, _ = alerts.create_alert(session, seeker, {"q": "nacelles", "near": "62528", "radius_km": 200})
    alerts.create_alert(session, seeker, {"category": "equipment"})  # met too: still one notice
    listing = publish(session, people["author"])
    (notice,) = alerts_of(session, seeker)
    assert notice.object_id == str(listing.id) and notice.link == f"/listings/{listing.id}"
    assert alert.label in notice.subject and notice.body.startswith("“Nacelle élévatrice 12 m”")
    assert session.get(SavedSearch, alert.id).last_notified_at is not None
    assert alerts_of(session, people["author"]) == []  # never told of one's own listing


@pytest.mark.parametrize(
    ("filters", "met"),
    [
        ({"q": "eapreuse"}, False),
        ({"q": "NACELLE élevatrice"}, True),
        ({"q": "nacele"}, True),  # a typo is forgiven here too
        ({"kind": "need"}, False),
        ({"category": "equipment", "subcategory": "vehicle_machinery"}, True),
        ({"category": "skill"}, False),
        ({"near": "62528", "radius_km": 100}, False),  # Malaunay is about 160 km away
        ({"near": "62528", "radius_km": 200}, True),
        ({"near": "76402"}, True),  # the default radius, 50 km
    ],
)
def test_each_browse_filter_decides_whether_a_search_is_met(session, people, filters, met):
    alerts.create_alert(session, people["seeker"], filters)
    publish(session, people["author"])
    assert len(alerts_of(session, people["seeker"])) == (1 if met else 0)


def test_only_publication_is_announced_not_drafts_or_edits(session, people):
    alerts.create_alert(session, people["seeker"], {"q": "nacelle"})
    draft = editing.create(session, people["author"], NACELLE)
    assert alerts_of(session, people["seeker"]) == []
    transitions.publish(session, people["author"], draft.id)
    assert len(alerts_of(session, people["seeker"])) == 1
