"""Agreement use cases through the real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mutualisation.agreements import queries, services
from mutualisation.agreements.models import Agreement, AgreementEvent, Approval, Evaluation, Report
from mutualisation.audit.models import AuditEvent
from mutualisation.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, RuleViolation
from mutualisation.listings.models import Listing, ListingEvent
from mutualisation.notifications.models import Notification
from tests.builders import make_agreement, make_listing, make_user

LOOS, MALAUNAY, LE_MENE = "62528", "76402", "22046"


@pytest.fixture
def people(session):
    return {
        "loos_tech": make_user(session, "technician", LOOS),
        "loos_official": make_user(session, "official", LOOS),
        "mal_tech": make_user(session, "technician", MALAUNAY),
        "mal_official": make_user(session, "official", MALAUNAY),
        "mal_actor": make_user(session, "actor", MALAUNAY),
        "mene_tech": make_user(session, "technician", LE_MENE),
        "admin": make_user(session, "admin", LOOS),
    }


def events(session, agreement):
    return list(
        session.scalars(
            select(AgreementEvent)
            .where(AgreementEvent.agreement_id == agreement.id)
            .order_by(AgreementEvent.id)
        )
    )


def test_requesting_an_offer_makes_the_owner_territory_the_provider_and_the_caller_the_author(
    session, people
):
    offer = make_listing(session, people["loos_tech"], "offer")
    agreement = services.create(session, people["mal_tech"], offer_id=offer.id)
    assert agreement.status == "draft"
    assert agreement.provider_territory.code == LOOS and agreement.provider_actor_id is None
    assert agreement.beneficiary_territory.code == MALAUNAY
    assert agreement.author_side == "beneficiary"
    assert agreement.kind == "loan"
    assert agreement.current_terms().lines[0]["description"] == offer.title
    assert [e.action for e in events(session, agreement)] == ["create"]


def test_answering_an_actor_need_makes_the_actor_the_beneficiary_party(session, people):
    need = make_listing(session, people["mal_actor"], "need")
    agreement = services.create(session, people["loos_tech"], need_id=need.id)
    assert agreement.beneficiary_actor_id == people["mal_actor"].id
    assert agreement.author_side == "provider"


def test_creation_rejects_an_end_before_the_start_and_negative_figures(session, people):
    offer = make_listing(session, people["loos_tech"], "offer")
    with pytest.raises(RuleViolation) as err:
        services.create(
            session,
            people["mal_tech"],
            offer_id=offer.id,
            terms={
                "starts_on": "2030-06-10",
                "ends_on": "2030-06-01",
                "deposit_eur": -5,
                "lines": [{"description": "Podium", "quantity": -1, "unit": "u"}],
            },
        )
    assert {"ends_on", "deposit_eur", "lines.0.quantity"} <= set(err.value.fields)
    assert session.scalar(select(Agreement.id)) is None


def test_nobody_makes_an_agreement_with_their_own_territory(session, people):
    offer = make_listing(session, people["loos_tech"], "offer")
    with pytest.raises(RuleViolation):
        services.create(session, people["loos_official"], offer_id=offer.id)


def test_an_admin_cannot_start_an_agreement(session, people):
    offer = make_listing(session, people["loos_tech"], "offer")
    with pytest.raises(PermissionDenied):
        services.create(session, people["admin"], offer_id=offer.id)


def test_the_whole_loan_goes_from_draft_to_evaluated(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "completed")
    assert agreement.status == "completed"
    offer = session.get(Listing, agreement.offer_id)
    assert offer.status == "fulfilled"
    services.transition(
        session,
        people["mal_tech"],
        agreement.id,
        "evaluate",
        {
            "version": 1,
            "satisfaction": 5,
            "kg_diverted": 100,
            "km_travelled": 20,
            "vehicle": "van",
            "lessons_learned": "Prévoir un camion",
        },
    )
    assert agreement.status == "completed"
    services.transition(
        session, people["loos_tech"], agreement.id, "evaluate", {"version": 1, "satisfaction": 4}
    )
    assert agreement.status == "evaluated"
    evaluation = session.scalars(select(Evaluation).where(Evaluation.side == "beneficiary")).one()
    assert evaluation.co2e_avoided_kg == pytest.approx(400.0)
    assert evaluation.co2e_transport_kg == pytest.approx(6.0)
    assert evaluation.co2e_net_kg == pytest.approx(394.0)
    assert "ADEME" in evaluation.method_fr
    statuses = [(e.from_status, e.to_status) for e in events(session, agreement)]
    assert ("proposed", "accepted") in statuses and ("accepted", "pending_approval") in statuses
    assert statuses[-1] == ("completed", "evaluated")
    kinds = {r.kind for r in session.scalars(select(Report).where(Report.agreement_id == agreement.id))}
    assert kinds == {"handover", "return"}
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "agreement.evaluate")) is not None


def test_acceptance_reserves_the_offer_and_asks_both_officials(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    assert session.get(Listing, agreement.offer_id).status == "reserved"
    assert session.scalar(select(ListingEvent).where(ListingEvent.to_status == "reserved")) is not None
    asked = set(
        session.scalars(
            select(Notification.recipient_id).where(Notification.kind == "agreement.approval_requested")
        )
    )
    assert {people["loos_official"].id, people["mal_official"].id} <= asked


def test_the_agreement_is_approved_only_when_every_territory_party_approved(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    services.transition(
        session,
        people["loos_official"],
        agreement.id,
        "approve",
        {"version": 1, "decision_reference": "Arrêté 2030-12"},
    )
    assert agreement.status == "pending_approval"
    services.transition(session, people["mal_official"], agreement.id, "approve", {"version": 1})
    assert agreement.status == "approved"
    assert agreement.approved_terms_version == 1 and agreement.convention_generated_at is not None
    refs = {
        a.decision_reference
        for a in session.scalars(select(Approval).where(Approval.agreement_id == agreement.id))
    }
    assert "Arrêté 2030-12" in refs


def test_a_refusal_needs_a_reason_and_releases_the_offer(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    with pytest.raises(RuleViolation) as err:
        services.transition(
            session, people["loos_official"], agreement.id, "refuse", {"version": 1, "reason": " "}
        )
    assert "reason" in err.value.fields
    services.transition(
        session,
        people["loos_official"],
        agreement.id,
        "refuse",
        {"version": 1, "reason": "Matériel requis ce jour-là"},
    )
    assert agreement.status == "refused"
    assert session.get(Listing, agreement.offer_id).status == "published"


def test_an_official_cannot_approve_for_another_territory(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    outsider = make_user(session, "official", LE_MENE)
    with pytest.raises(PermissionDenied):
        services.transition(session, outsider, agreement.id, "approve", {"version": 1})
    assert agreement.status == "pending_approval"


def test_a_technician_cannot_approve(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    with pytest.raises(PermissionDenied):
        services.transition(session, people["loos_tech"], agreement.id, "approve", {"version": 1})


def test_an_actor_cannot_act_for_their_territory(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "proposed")
    loos_actor = make_user(session, "actor", LOOS)
    with pytest.raises(PermissionDenied):
        services.transition(session, loos_actor, agreement.id, "accept", {"version": 1})
    assert agreement.status == "proposed"


def test_a_counter_proposal_adds_a_terms_version_and_stale_versions_conflict(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "proposed")
    services.transition(
        session,
        people["loos_tech"],
        agreement.id,
        "counter_propose",
        {"version": 1, "terms": {"deposit_eur": 200}},
    )
    assert agreement.status == "negotiating" and agreement.terms_version == 2
    assert agreement.current_terms().deposit_eur == 200
    before = len(events(session, agreement))
    with pytest.raises(Conflict):
        services.transition(session, people["mal_tech"], agreement.id, "accept", {"version": 1})
    assert agreement.status == "negotiating" and len(events(session, agreement)) == before
    services.transition(session, people["mal_tech"], agreement.id, "accept", {"version": 2})
    assert agreement.status == "pending_approval"


@pytest.mark.parametrize(
    ("status", "action", "who"),
    [("draft", "approve", "loos_official"), ("in_progress", "evaluate", "mal_tech")],
)
def test_invalid_transitions_change_nothing(session, people, status, action, who):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], status)
    before = len(events(session, agreement))
    with pytest.raises(InvalidTransition):
        services.transition(session, people[who], agreement.id, action, {"satisfaction": 3})
    session.expire_all()
    assert session.get(Agreement, agreement.id).status == status
    assert len(events(session, agreement)) == before


def test_a_service_cannot_be_returned(session, people):
    agreement = make_agreement(
        session, people["mal_tech"], people["loos_tech"], "in_progress", kind="service"
    )
    with pytest.raises(InvalidTransition):
        services.transition(session, people["loos_tech"], agreement.id, "return", {"report": "x"})
    services.transition(session, people["loos_tech"], agreement.id, "complete")
    assert agreement.status == "completed"


def test_evaluating_twice_is_an_invalid_transition(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "completed")
    services.transition(session, people["mal_tech"], agreement.id, "evaluate", {"satisfaction": 4})
    with pytest.raises(InvalidTransition):
        services.transition(session, people["mal_tech"], agreement.id, "evaluate", {"satisfaction": 4})
    assert (
        session.scalar(
            select(Evaluation.id).where(
                Evaluation.agreement_id == agreement.id, Evaluation.side == "beneficiary"
            )
        )
        is not None
    )


def test_incident_extension_and_cancellation(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "in_progress")
    services.transition(
        session, people["mal_tech"], agreement.id, "report_incident", {"report": "Bâche déchirée"}
    )
    assert session.scalar(
        select(Notification).where(
            Notification.kind == "agreement.incident", Notification.recipient_id == people["admin"].id
        )
    )
    services.transition(
        session, people["mal_tech"], agreement.id, "request_extension", {"ends_on": "2030-06-20"}
    )
    assert agreement.extension_beyond_approval is True
    with pytest.raises(PermissionDenied):
        services.transition(
            session, people["loos_tech"], agreement.id, "decide_extension", {"decision": "approve"}
        )
    services.transition(
        session, people["loos_official"], agreement.id, "decide_extension", {"decision": "approve"}
    )
    assert agreement.extended_ends_on == dt.date(2030, 6, 20) and agreement.extension_requested_by is None

    other = make_agreement(session, people["mal_tech"], people["loos_tech"], "approved")
    with pytest.raises(RuleViolation):
        services.transition(session, people["mal_tech"], other.id, "cancel", {})
    services.transition(session, people["mal_tech"], other.id, "cancel", {"reason": "Fête annulée"})
    assert other.status == "cancelled"
    assert session.get(Listing, other.offer_id).status == "published"


def test_the_author_withdraws_a_proposal(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "proposed")
    with pytest.raises(PermissionDenied):
        services.transition(session, people["loos_tech"], agreement.id, "withdraw")
    services.transition(session, people["mal_tech"], agreement.id, "withdraw", {"reason": "Trouvé ailleurs"})
    assert agreement.status == "withdrawn"


def test_two_local_actors_skip_approval(session, people):
    provider = make_user(session, "actor", LOOS)
    agreement = make_agreement(session, people["mal_actor"], provider, "approved")
    assert agreement.status == "approved"
    assert session.scalar(select(Approval.id).where(Approval.agreement_id == agreement.id)) is None


def test_reading_is_for_parties_and_admins_only(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "proposed")
    for name in ("mal_tech", "mal_official", "loos_tech", "admin"):
        assert queries.get(session, people[name], agreement.id) is agreement
    for name in ("mene_tech", "mal_actor"):
        with pytest.raises(PermissionDenied):
            queries.get(session, people[name], agreement.id)
    with pytest.raises(NotFound):
        queries.get(session, people["admin"], 999999)
    items, total = queries.list_for(session, people["mene_tech"])
    assert total == 0 and items == []
    items, total = queries.list_for(session, people["loos_official"], statuses=["proposed"])
    assert [a.id for a in items] == [agreement.id]


def test_the_approval_queue_lists_the_oldest_first_and_forgets_what_was_approved(session, people):
    first = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    second = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    first.status_changed_at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    second.status_changed_at = dt.datetime(2030, 1, 2, tzinfo=dt.UTC)
    session.flush()
    assert [a.id for a in queries.approval_queue(session, people["loos_official"])] == [first.id, second.id]
    services.transition(session, people["loos_official"], first.id, "approve", {"version": 1})
    assert [a.id for a in queries.approval_queue(session, people["loos_official"])] == [second.id]
    assert queries.approval_queue(session, people["loos_tech"]) == []


def test_history_is_append_only(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "signed")
    snapshot = [(e.id, e.action, e.from_status, e.to_status, e.at) for e in events(session, agreement)]
    services.transition(session, people["mal_tech"], agreement.id, "start", {"report": "Bon état"})
    session.expire_all()
    after = [(e.id, e.action, e.from_status, e.to_status, e.at) for e in events(session, agreement)]
    assert after[: len(snapshot)] == snapshot and len(after) == len(snapshot) + 1
    # No code path may update or delete a history row: every module of the package is read.
    import importlib
    import inspect
    import pkgutil

    import mutualisation.agreements as package

    modules = [
        importlib.import_module(f"{package.__name__}.{m.name}")
        for m in pkgutil.iter_modules(package.__path__)
    ]
    assert {"services", "effects", "events", "api", "views"} <= {
        m.__name__.rsplit(".", 1)[1] for m in modules
    }
    for mod in modules:
        source = inspect.getsource(mod)
        assert "delete(AgreementEvent" not in source and "update(AgreementEvent" not in source
