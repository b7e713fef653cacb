"""Password reset, invitations and join requests: the services on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mutualisation.accounts.models import ApiToken
from mutualisation.accounts.services import create_token, load_session_user, user_for_token
from mutualisation.audit.models import AuditEvent
from mutualisation.db import utcnow
from mutualisation.errors import Conflict, NotFound, PermissionDenied, RuleViolation, Unauthorized
from mutualisation.welcome import invitations, join, pages, reset
from mutualisation.welcome.models import PasswordReset, TerritoryProfile
from tests.builders import make_territory, make_user

NEW_PASSWORD = "a brand new passphrase"


def test_a_reset_request_for_an_unknown_email_creates_nothing(session):
    assert reset.request_reset(session, "nobody@example.org") is None
    assert session.scalars(select(PasswordReset)).all() == []


def test_a_reset_stores_only_the_hash_and_ends_every_session_and_token(session):
    user = make_user(session)
    _token, clear_api = create_token(session, user, "script")
    old_cookie = user.get_id()
    request = reset.request_reset(session, user.email.upper())
    stored = session.scalars(select(PasswordReset)).one()
    assert request.token not in stored.token_hash
    reset.confirm_reset(session, request.token, NEW_PASSWORD, min_length=10)
    assert load_session_user(session, old_cookie) is None
    with pytest.raises(Unauthorized):
        user_for_token(session, clear_api)
    assert session.scalars(select(ApiToken)).one().revoked_at is not None
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_reset")).one()


def test_a_reset_link_works_once(session):
    user = make_user(session)
    request = reset.request_reset(session, user.email)
    reset.confirm_reset(session, request.token, NEW_PASSWORD, min_length=10)
    with pytest.raises(RuleViolation) as exc:
        reset.confirm_reset(session, request.token, "another good passphrase", min_length=10)
    assert "token" in exc.value.fields


def test_a_reset_link_expires_after_an_hour(session):
    user = make_user(session)
    request = reset.request_reset(session, user.email, now=utcnow() - timedelta(minutes=61))
    with pytest.raises(RuleViolation):
        reset.confirm_reset(session, request.token, NEW_PASSWORD, min_length=10)


def test_a_weak_new_password_is_refused_and_the_link_stays_usable(session):
    user = make_user(session)
    request = reset.request_reset(session, user.email)
    with pytest.raises(RuleViolation) as exc:
        reset.confirm_reset(session, request.token, "short", min_length=10)
    assert "password" in exc.value.fields
    reset.confirm_reset(session, request.token, NEW_PASSWORD, min_length=10)


def test_reset_requests_beyond_three_an_hour_send_nothing(session):
    user = make_user(session)
    assert all(reset.request_reset(session, user.email) for _ in range(3))
    assert reset.request_reset(session, user.email) is None


def test_facilitator_invites_the_first_technician_of_a_new_commune(session):
    admin = make_user(session, "admin")
    make_territory(session, "62057", name="Audruicq")
    new = invitations.invite(
        session, admin, email="Tech@Audruicq.fr", role="technician", territory_code="62057"
    )
    assert new.invitation.email == "tech@audruicq.fr" and new.token not in new.invitation.token_hash
    user = invitations.accept(
        session, new.token, name="Camille", organisation="Mairie", password=NEW_PASSWORD
    )
    assert (user.role, user.territory.code, user.organisation) == ("technician", "62057", "Mairie")
    assert session.get(TerritoryProfile, user.territory_id) is not None  # the space is open
    with pytest.raises(RuleViolation):
        invitations.accept(session, new.token, name="Again", organisation="", password=NEW_PASSWORD)


@pytest.mark.parametrize(
    ("role", "invited", "same_territory", "allowed"),
    [
        ("technician", "actor", True, True),
        ("technician", "technician", True, True),
        ("technician", "official", True, False),
        ("technician", "actor", False, False),
        ("official", "official", True, True),
        ("official", "official", False, False),
        ("actor", "actor", True, False),
        ("admin", "official", False, True),
        ("admin", "actor", False, False),
    ],
)
def test_invitation_permissions_are_checked_in_the_service(session, role, invited, same_territory, allowed):
    inviter = make_user(session, role, "62528")
    code = "62528" if same_territory else "76402"
    make_territory(session, code)
    if allowed:
        assert invitations.invite(session, inviter, email="x@example.org", role=invited, territory_code=code)
    else:
        with pytest.raises(PermissionDenied):
            invitations.invite(session, inviter, email="x@example.org", role=invited, territory_code=code)


def test_an_existing_account_cannot_be_invited(session):
    admin = make_user(session, "admin")
    other = make_user(session, "technician", "76402")
    with pytest.raises(RuleViolation) as exc:
        invitations.invite(session, admin, email=other.email, role="technician", territory_code="76402")
    assert "email" in exc.value.fields


def test_a_revoked_or_expired_invitation_no_longer_opens(session):
    official = make_user(session, "official")
    revoked = invitations.invite(
        session, official, email="a@example.org", role="actor", territory_code="62528"
    )
    invitations.revoke(session, official, revoked.invitation.id)
    assert invitations.find_pending(session, revoked.token) is None
    old = invitations.invite(
        session,
        official,
        email="b@example.org",
        role="actor",
        territory_code="62528",
        now=utcnow() - timedelta(days=15),
    )
    assert invitations.find_pending(session, old.token) is None


def test_staff_see_and_revoke_only_their_territorys_invitations(session):
    admin = make_user(session, "admin")
    here = make_user(session, "official", "62528")
    there = make_user(session, "official", "76402")
    new = invitations.invite(session, here, email="c@example.org", role="actor", territory_code="62528")
    assert [i.id for i in invitations.list_invitations(session, there)[0]] == []
    assert [i.id for i in invitations.list_invitations(session, admin)[0]] == [new.invitation.id]
    with pytest.raises(NotFound):
        invitations.revoke(session, there, new.invitation.id)
    with pytest.raises(PermissionDenied):
        invitations.list_invitations(session, make_user(session, "actor"))


def test_a_new_epci_asks_to_join_and_the_facilitator_accepts(session):
    admin = make_user(session, "admin")
    epci = make_territory(session, "200040491", kind="epci", name="CC de la Région d'Audruicq")
    request = join.submit(
        session,
        territory_code=epci.code,
        name="Dominique",
        email="d@ccra.fr",
        motivation="Partager du matériel",
    )
    assert request.role == "technician"
    new = join.accept(session, admin, request.id)
    assert (new.invitation.role, new.invitation.territory_id) == ("technician", epci.id)
    assert session.get(TerritoryProfile, epci.id) is not None
    with pytest.raises(Conflict):
        join.decline(session, admin, request.id)


def test_an_actors_request_goes_to_the_territorys_staff_only(session):
    official = make_user(session, "official", "62528")
    stranger = make_user(session, "official", "76402")
    request = join.submit(
        session, territory_code="62528", name="Asso", email="asso@example.org", motivation="Prêter des outils"
    )
    assert request.role == "actor"
    with pytest.raises(NotFound):
        join.accept(session, stranger, request.id)
    assert join.accept(session, official, request.id).invitation.role == "actor"


def test_a_join_request_reports_every_bad_field_together(session):
    with pytest.raises(RuleViolation) as exc:
        join.submit(session, territory_code="00000", name="", email="nope", motivation="")
    assert set(exc.value.fields) == {"territory", "name", "email", "motivation"}


def test_only_the_territorys_staff_edit_its_presentation_and_stale_edits_conflict(session):
    tech = make_user(session, "technician", "62528")
    with pytest.raises(PermissionDenied):
        pages.update_presentation(session, make_user(session, "technician", "76402"), "62528", "x", None)
    profile = pages.update_presentation(session, tech, "62528", "Une ville pilote.", None)
    pages.update_presentation(session, tech, "62528", "Version 2", profile.version)
    with pytest.raises(Conflict):
        pages.update_presentation(session, tech, "62528", "Stale", 1)


def test_territory_page_lists_contacts_by_role_and_network_figures_count_staffed_territories(session):
    official = make_user(session, "official", "62528", name="Alex Martin", job_title="Maire adjoint")
    make_user(session, "actor", "62528")
    page = pages.territory_page(session, "62528", None)
    assert page.contacts["official"] == [official] and len(page.contacts["actor"]) == 1
    assert page.member
    assert pages.network_figures(session).territories >= 1


def test_the_users_list_searches_and_filters_by_role_territory_and_activity(session):
    from mutualisation.accounts.directory import UserFilters, search_users

    admin = make_user(session, "admin")
    target = make_user(session, "official", "76402", name="Dominique Lefèvre", organisation="Mairie 100%")
    make_user(session, "official", "62528")
    make_user(session, "technician", "76402", is_active=False)

    def emails(**filters):
        return [u.email for u in search_users(session, admin, UserFilters(**filters), page=1, per_page=50)[0]]

    assert emails(q="LEFÈVRE") == [target.email] == emails(q="100%")
    assert emails(role="official", territory="76402") == [target.email]
    assert len(emails(territory="76402", active="no")) == 1
    assert emails(q="_") == []  # LIKE wildcards are searched literally
    with pytest.raises(PermissionDenied):
        search_users(session, target, UserFilters(), page=1, per_page=10)
    assert UserFilters.from_args({"role": "king", "active": "maybe"}) == UserFilters()


def test_a_join_request_reaches_its_deciders_through_the_notifications_outbox(session):
    from mutualisation.notifications.models import Notification

    admin = make_user(session, "admin")
    staff = make_user(session, "technician", "62528")
    make_territory(session, "62057", name="Audruicq")
    join.submit(session, territory_code="62057", name="Dominique", email="d@example.org", motivation="M")
    join.submit(session, territory_code="62528", name="Asso", email="a@example.org", motivation="M")
    sent = {(n.recipient_id, n.kind, n.link) for n in session.scalars(select(Notification))}
    assert sent == {
        (admin.id, "join_request.received", "/join-requests"),
        (staff.id, "join_request.received", "/join-requests"),
    }
