"""Two officials approving the same version at the same moment, from two real connections."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mutualisation.accounts.models import User
from mutualisation.agreements import services
from mutualisation.agreements.models import Agreement, AgreementEvent, Approval
from mutualisation.territories.models import Territory
from tests.builders import make_agreement, make_user
from tests.committed import remove_committed


@pytest.fixture
def committed(engine):
    """Data really committed (the threads cannot see the test's rolled-back transaction), then removed."""
    if engine.dialect.name != "postgresql":
        # SQLite has no row locks and a single writer; the rolled-back test transaction holds its lock,
        # so two real concurrent writers cannot be staged there. PostgreSQL is where row locks matter.
        pytest.skip("concurrency test: PostgreSQL only (SQLite serialises all writers by design)")
    with Session(engine, expire_on_commit=False) as session:
        existing = set(session.scalars(select(Territory.code)))
        tech_mal = make_user(session, "technician", "76402")
        tech_loos = make_user(session, "technician", "62528")
        agreement = make_agreement(session, tech_mal, tech_loos, "pending_approval")
        officials = [make_user(session, "official", "62528"), make_user(session, "official", "76402")]
        session.commit()
        ids = {"agreement": agreement.id, "officials": [o.id for o in officials]}
    yield ids
    remove_committed(engine, existing)


def test_two_officials_approving_at_the_same_moment_both_count_and_approve_once(engine, committed):
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def approve(official_id: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            official = session.get(User, official_id)
            barrier.wait()
            try:
                services.transition(session, official, committed["agreement"], "approve", {"version": 1})
            except BaseException as exc:  # reported to the main thread
                errors.append(exc)

    threads = [threading.Thread(target=approve, args=(oid,)) for oid in committed["officials"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with Session(engine) as session:
        agreement = session.get(Agreement, committed["agreement"])
        assert agreement.status == "approved"
        approvals = session.scalars(select(Approval).where(Approval.agreement_id == agreement.id)).all()
        assert sorted(a.decision for a in approvals) == ["approve", "approve"]
        entered = session.scalars(
            select(AgreementEvent).where(
                AgreementEvent.agreement_id == agreement.id, AgreementEvent.to_status == "approved"
            )
        ).all()
        assert len(entered) == 1


@pytest.fixture
def offer_to_answer(engine, committed):
    """A published Loos offer and a Malaunay technician to answer it, committed (removed by `committed`)."""
    from tests.builders import make_listing

    with Session(engine, expire_on_commit=False) as session:
        owner = session.scalars(
            select(User).where(User.email.like("%@example.org"), User.role == "technician")
        )
        loos_tech = next(u for u in owner if u.territory.code == "62528")
        requester = make_user(session, "technician", "76402")
        offer = make_listing(session, loos_tech, "offer")
        session.commit()
        return {"offer": offer.id, "requester": requester.id}


def test_two_identical_creations_at_the_same_moment_leave_one_draft(engine, offer_to_answer):
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    created: list[int] = []

    def create() -> None:
        with Session(engine, expire_on_commit=False) as session:
            requester = session.get(User, offer_to_answer["requester"])
            barrier.wait()
            try:
                created.append(services.create(session, requester, offer_id=offer_to_answer["offer"]).id)
            except BaseException as exc:  # reported to the main thread
                errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(created) == 2 and created[0] == created[1]
    with Session(engine) as session:
        drafts = session.scalars(
            select(Agreement.id).where(Agreement.offer_id == offer_to_answer["offer"])
        ).all()
        assert drafts == [created[0]]
