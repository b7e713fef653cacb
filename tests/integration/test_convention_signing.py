"""Approvals that carry their act, the convention PDF issued once, traced signatures, the frozen
fingerprint and the avenant that goes through approval again (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from mutualisation.agreements import convention_document, queries, services, signing
from mutualisation.agreements.models import Agreement, Approval, Signature
from mutualisation.audit.models import AuditEvent
from mutualisation.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mutualisation.storage import storage_for
from tests.builders import make_agreement, make_user

LOOS, MALAUNAY, LE_MENE = "62528", "76402", "22046"
ACT = {"decision_kind": "deliberation", "decision_reference": "2026-42", "decision_date": "2026-04-12"}


@pytest.fixture
def people(session):
    return {
        "loos_tech": make_user(session, "technician", LOOS),
        "loos_official": make_user(session, "official", LOOS, name="Jean Dupont", job_title="maire"),
        "mal_tech": make_user(session, "technician", MALAUNAY),
        "mal_official": make_user(session, "official", MALAUNAY, name="Marie Martin", job_title="adjointe"),
        "mene_official": make_user(session, "official", LE_MENE),
        "admin": make_user(session, "admin", LOOS),
    }


@pytest.fixture
def ctx(app):
    with app.test_request_context("/"):
        yield storage_for(app)


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def approved(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    services.transition(session, people["mal_official"], agreement.id, "approve", {"version": 1, **ACT})
    services.transition(
        session,
        people["loos_official"],
        agreement.id,
        "approve",
        {
            "version": 1,
            "decision_kind": "delegation",
            "decision_reference": "D-7",
            "decision_date": "2026-05-02",
        },
    )
    return agreement


def issued(session, user, agreement, storage):
    return signing.convention_file(session, user, agreement.id, convention_document.render, storage)


def sign(session, user, agreement, storage, **payload):
    request = signing.SignRequest({"version": agreement.terms_version, **payload}, payload.pop("scan", None))
    return signing.sign(
        session, user, agreement.id, request, render=convention_document.render, storage=storage
    )


def test_an_approval_keeps_its_act_and_is_dated_by_it(session, people):
    agreement = approved(session, people)
    rows = {a.territory.code: a for a in agreement.approvals}
    assert (rows[MALAUNAY].decision_kind, rows[MALAUNAY].decision_reference) == ("deliberation", "2026-42")
    assert rows[MALAUNAY].decision_date == dt.date(2026, 4, 12)
    assert rows[LOOS].decision_kind == "delegation" and rows[LOOS].decision_date == dt.date(2026, 5, 2)
    assert rows[MALAUNAY].at.date() != rows[MALAUNAY].decision_date  # the click is kept apart


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"decision_kind": "decret", "decision_date": "2026-04-12"}, "decision_kind"),
        ({"decision_kind": "arrete"}, "decision_date"),
        ({"decision_kind": "arrete", "decision_date": "2999-01-01"}, "decision_date"),
        ({"decision_kind": "arrete", "decision_date": "12/04/2026"}, "decision_date"),
    ],
)
def test_an_approval_with_a_wrong_act_is_refused_with_the_field(session, people, fields, field):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    with pytest.raises(RuleViolation) as caught:
        services.transition(
            session, people["mal_official"], agreement.id, "approve", {"version": 1, **fields}
        )
    assert field in caught.value.fields
    session.rollback()
    assert session.scalars(select(Approval).where(Approval.agreement_id == agreement.id)).all() == []


def test_the_convention_pdf_is_issued_once_and_served_as_stored(session, people, ctx):
    agreement = approved(session, people)
    first = issued(session, people["mal_tech"], agreement, ctx)
    again = issued(session, people["admin"], agreement, ctx)
    assert first.data.startswith(b"%PDF-") and not first.frozen
    assert again.data == first.data and again.sha256 == hashlib.sha256(first.data).hexdigest()
    stored = session.get(Agreement, agreement.id)
    assert stored.convention_pdf_sha256 == first.sha256 and stored.convention_sha256 is None
    assert ctx.get(stored.convention_pdf_key) == first.data
    issuing = session.scalars(select(AuditEvent).where(AuditEvent.action == "agreement.convention_issued"))
    assert len(issuing.all()) == 1


def test_only_parties_and_admins_get_the_convention_and_only_after_approval(session, people, ctx):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    with pytest.raises(NotFound):
        issued(session, people["mal_tech"], agreement, ctx)
    approved_one = approved(session, people)
    with pytest.raises(PermissionDenied):
        issued(session, people["mene_official"], approved_one, ctx)


def test_signatures_are_traced_and_freeze_the_convention(session, people, ctx):
    agreement = approved(session, people)
    document = issued(session, people["mal_official"], agreement, ctx)
    with pytest.raises(PermissionDenied):  # a technician does not sign for a territory
        sign(session, people["mal_tech"], agreement, ctx, document_sha256=document.sha256)
    session.rollback()
    with pytest.raises(Conflict):  # a page that showed another document
        sign(session, people["mal_official"], agreement, ctx, document_sha256="0" * 64)
    session.rollback()
    sign(session, people["mal_official"], agreement, ctx, document_sha256=document.sha256)
    with pytest.raises(RuleViolation) as refused:
        sign(session, people["loos_official"], agreement, ctx, method="upload", scan=b"GIF89a not a pdf")
    assert "scan" in refused.value.fields
    session.rollback()
    scan = b"%PDF-1.4 scanned copy signed by hand"
    done = sign(session, people["loos_official"], agreement, ctx, method="upload", scan=scan)

    assert done.status == "signed" and done.convention_sha256 == document.sha256
    rows = {
        s.side: s for s in session.scalars(select(Signature).where(Signature.agreement_id == agreement.id))
    }
    assert (rows["beneficiary"].method, rows["beneficiary"].pdf_sha256) == ("in_app", document.sha256)
    assert rows["provider"].method == "upload"
    assert rows["provider"].pdf_sha256 == hashlib.sha256(scan).hexdigest()
    assert rows["provider"].convention_sha256 == document.sha256
    assert ctx.get(rows["provider"].document_key) == scan
    assert {rows[s].user_id for s in rows} == {people["mal_official"].id, people["loos_official"].id}

    frozen = issued(session, people["admin"], agreement, ctx)
    assert frozen.frozen and frozen.sha256 == document.sha256
    text = pdf_text(frozen.data)
    assert document.sha256 in text.replace("\n", "").replace(" ", "")
    history = queries.history(session, people["mal_tech"], agreement.id)
    assert history[-1].data["convention_sha256"] == document.sha256


def test_a_signed_convention_changes_only_through_an_avenant_approved_again(session, people, ctx):
    agreement = approved(session, people)
    document = issued(session, people["mal_official"], agreement, ctx)
    sign(session, people["mal_official"], agreement, ctx, document_sha256=document.sha256)
    sign(session, people["loos_official"], agreement, ctx, document_sha256=document.sha256)
    with pytest.raises(Exception):  # noqa: B017 - no counter-proposal on a frozen convention
        services.transition(
            session, people["mal_tech"], agreement.id, "counter_propose", {"version": 1, "terms": {}}
        )
    session.rollback()

    terms = {"lines": [{"description": "Podium modulaire 6 x 4 m", "quantity": 2, "unit": "lot"}]}
    amended = services.transition(
        session, people["mal_tech"], agreement.id, "amend", {"version": 1, "terms": terms}
    )
    assert (amended.status, amended.amendment, amended.terms_version) == ("pending_approval", 1, 2)
    assert amended.convention_sha256 is None and amended.convention_pdf_key is None
    assert agreement.id in [a.id for a in queries.approval_queue(session, people["loos_official"])]

    approved_again = approved_round(session, people, agreement.id, version=2)
    assert approved_again.status == "approved"
    second = issued(session, people["loos_official"], agreement, ctx)
    assert second.sha256 != document.sha256
    sign(session, people["mal_official"], approved_again, ctx, document_sha256=second.sha256)
    final = sign(session, people["loos_official"], approved_again, ctx, document_sha256=second.sha256)
    assert final.status == "signed" and final.convention_sha256 == second.sha256
    # The first round is kept, with what was signed then.
    rounds = session.scalars(select(Signature).where(Signature.agreement_id == agreement.id)).all()
    assert sorted((s.amendment, s.pdf_sha256) for s in rounds) == sorted(
        [(0, document.sha256)] * 2 + [(1, second.sha256)] * 2
    )
    assert "avenant n° 1" in pdf_text(issued(session, people["admin"], agreement, ctx).data)


def approved_round(session, people, agreement_id, version):
    for who in ("mal_official", "loos_official"):
        agreement = services.transition(
            session, people[who], agreement_id, "approve", {"version": version, **ACT}
        )
    return agreement


def test_a_refusal_keeps_its_act_too(session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    services.transition(
        session, people["loos_official"], agreement.id, "refuse", {"version": 1, "reason": "Budget", **ACT}
    )
    (refusal,) = agreement.approvals
    assert (refusal.decision, refusal.decision_kind, refusal.decision_date) == (
        "refuse",
        "deliberation",
        dt.date(2026, 4, 12),
    )


def test_an_issued_convention_lost_from_storage_is_not_found_and_not_rendered_again(session, people, ctx):
    """The issued bytes are what signers check: a lost file is a 404, never a new rendering
    (which, losing the race to the recorded key, would ask for the lost file again, endlessly)."""
    agreement = approved(session, people)
    first = issued(session, people["mal_tech"], agreement, ctx)
    ctx.delete(session.get(Agreement, agreement.id).convention_pdf_key)
    renders: list[int] = []

    def counted(agreement_):
        renders.append(agreement_.id)
        return convention_document.render(agreement_)

    with pytest.raises(NotFound):
        signing.convention_file(session, people["mal_tech"], agreement.id, counted, ctx)
    assert renders == []
    assert session.get(Agreement, agreement.id).convention_pdf_sha256 == first.sha256
