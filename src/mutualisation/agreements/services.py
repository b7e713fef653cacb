"""Agreement use cases that write: start a draft, and perform a lifecycle action.

Each one checks permissions, applies the rules and commits once. Reading lives in `queries`,
the pure rules in `lifecycle` and `terms`, the storing of a decision's effects in `effects`.

`transition` is the one door for every action: it loads the agreement under a row lock, builds
the pure `AgreementState`, asks `lifecycle.decide`, then stores the status and the effects,
appends the history and the audit trail and queues the notifications, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..accounts.permissions import require
from ..audit.services import record
from ..db import transaction, utcnow
from ..errors import PermissionDenied, RuleViolation
from ..i18n import N_
from ..listings import hooks as listing_hooks
from ..listings.models import Listing
from ..listings.permissions import get_visible_listing
from ..storage import Storage
from . import capacity, drafts, effects, lifecycle, notices, photos, queries, step_notices
from .events import add_event
from .models import Agreement, AgreementTerms
from .state import PartyKey, actor_of, beyond_approval, caller_party, listing_party, state_of
from .vocabulary import Action, Side, Status


# Starting a draft ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Draft:
    """The caller's open draft for an offer/need pair, and whether this call created it."""

    agreement: Agreement
    created: bool


class DraftRequest(TypedDict, total=False):
    """What starting a draft takes: an offer and/or a need, optional terms, and the clock."""

    offer_id: int | None
    need_id: int | None
    terms: Mapping[str, Any] | None
    now: dt.datetime | None


def create(session: Session, user: User, **request: Unpack[DraftRequest]) -> Agreement:
    """A draft answering an offer and/or a need; the caller's party is its author. Commits once."""
    return create_draft(session, user, **request).agreement


def create_draft(session: Session, user: User, **request: Unpack[DraftRequest]) -> Draft:
    """`create`, saying whether the draft is new or the caller's party already had it open.

    Idempotent: submitting the same request twice (a double click, a client retrying after a
    timeout) finds the first draft instead of adding a second one (see `_open_draft`).
    """
    with transaction(session):
        draft = _add_or_find_draft(session, user, request)
    session.refresh(draft.agreement)
    return draft


def add_draft(session: Session, user: User, **request: Unpack[DraftRequest]) -> Agreement:
    """The draft of `create`, added to the caller's open transaction without committing.

    Matching's "accept a suggestion" uses it so that the draft and the accepted suggestion
    commit together: two acceptances can never leave two agreements.
    """
    return _add_or_find_draft(session, user, request).agreement


def _add_or_find_draft(session: Session, user: User, request: DraftRequest) -> Draft:
    require(
        user,
        "agreements:create",
        None,
        N_("Only a technician, an official or a local actor can start an agreement."),
    )
    offer_id, need_id, now = request.get("offer_id"), request.get("need_id"), request.get("now") or utcnow()
    if offer_id is None and need_id is None:
        message = N_("Choose an offer or a need.")
        raise RuleViolation(message, fields={"offer_id": [message]})
    offer = _open_listing(session, user, offer_id, "offer", "offer_id")
    need = _open_listing(session, user, need_id, "need", "need_id")
    parties = _Parties.of(user, offer, need)
    clean = effects.clean_terms(request.get("terms"), drafts.initial_terms(offer, need, now))
    _lock_listings(session, offer, need)
    existing = _open_draft(session, offer, need, parties)
    if existing is not None:
        return Draft(existing, created=False)
    return Draft(_add_new_draft(session, user, offer, need, parties, clean, now), created=True)


def _open_listing(
    session: Session, user: User, listing_id: int | None, kind: str, name: str
) -> Listing | None:
    """The listing an agreement answers: visible to the caller, of the right kind, and published."""
    if listing_id is None:
        return None
    listing = get_visible_listing(session, user, listing_id)
    if listing.kind != kind:
        message = (
            N_("This listing is not an offer.") if kind == "offer" else N_("This listing is not a need.")
        )
        raise RuleViolation(N_("Please correct the highlighted fields."), fields={name: [message]})
    if listing.status != "published":
        raise RuleViolation(
            N_("Please correct the highlighted fields."),
            fields={name: [N_("This listing is not open to agreements.")]},
        )
    return listing


@dataclass(frozen=True)
class _Parties:
    provider: PartyKey
    beneficiary: PartyKey
    author_side: Side

    @property
    def author(self) -> PartyKey:
        return self.provider if self.author_side is Side.PROVIDER else self.beneficiary

    @classmethod
    def of(cls, user: User, offer: Listing | None, need: Listing | None) -> _Parties:
        """The caller answers the listing(s): when both are given, one of them must be theirs."""
        caller = caller_party(user)
        if offer is not None and need is not None:
            provider, beneficiary = listing_party(offer), listing_party(need)
            if caller not in (provider, beneficiary):
                raise PermissionDenied(N_("You can only link an offer and a need when one of them is yours."))
            parties = cls(provider, beneficiary, Side.PROVIDER if caller == provider else Side.BENEFICIARY)
        elif offer is not None:
            parties = cls(listing_party(offer), caller, Side.BENEFICIARY)
        else:
            assert need is not None
            parties = cls(caller, listing_party(need), Side.PROVIDER)
        if parties.provider == parties.beneficiary:
            message = N_("You cannot make an agreement with yourself.")
            raise RuleViolation(message, fields={"offer_id" if offer is not None else "need_id": [message]})
        return parties


def _lock_listings(session: Session, *listings: Listing | None) -> None:
    """Serialise draft creation per listing, so that two identical requests cannot both add one.

    PostgreSQL: FOR NO KEY UPDATE on the listing rows, in id order (no deadlock between two
    creators); it does not block the foreign-key checks of other writers. SQLite runs one writer
    at a time, so the second request reads the first one's draft once it commits.
    """
    ids = sorted(listing.id for listing in listings if listing is not None)
    stmt = select(Listing.id).where(Listing.id.in_(ids)).order_by(Listing.id)
    session.execute(stmt.with_for_update(key_share=True)).all()


def _open_draft(
    session: Session, offer: Listing | None, need: Listing | None, parties: _Parties
) -> Agreement | None:
    """The author party's draft for the same offer/need pair, if one is still open."""
    territory_id, actor_id = parties.author
    if parties.author_side is Side.PROVIDER:
        author = (Agreement.provider_territory_id == territory_id, Agreement.provider_actor_id == actor_id)
    else:
        author = (
            Agreement.beneficiary_territory_id == territory_id,
            Agreement.beneficiary_actor_id == actor_id,
        )
    stmt = (
        select(Agreement)
        .where(
            Agreement.status == Status.DRAFT,
            Agreement.offer_id == (offer.id if offer else None),
            Agreement.need_id == (need.id if need else None),
            Agreement.author_side == parties.author_side,
            *author,
        )
        .order_by(Agreement.id)
        .limit(1)
    )
    return session.scalars(stmt).unique().first()


def _add_new_draft(
    session: Session,
    user: User,
    offer: Listing | None,
    need: Listing | None,
    parties: _Parties,
    clean: dict[str, Any],
    now: dt.datetime,
) -> Agreement:
    agreement = Agreement(
        kind=clean["kind"],
        status=Status.DRAFT,
        offer_id=offer.id if offer else None,
        need_id=need.id if need else None,
        provider_territory_id=parties.provider[0],
        provider_actor_id=parties.provider[1],
        beneficiary_territory_id=parties.beneficiary[0],
        beneficiary_actor_id=parties.beneficiary[1],
        author_side=parties.author_side,
        terms_version=0,
        created_by_id=user.id,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    session.add(agreement)
    session.flush()
    session.add(
        AgreementTerms(
            agreement_id=agreement.id,
            version=0,
            proposed_by_side=parties.author_side,
            created_by_id=user.id,
            created_at=now,
            **clean,
        )
    )
    add_event(session, agreement, user, "create", None, Status.DRAFT, now)
    record(
        session,
        user.id,
        "agreement.create",
        "agreement",
        agreement.id,
        offer_id=agreement.offer_id,
        need_id=agreement.need_id,
    )
    return agreement


# Transitions ---------------------------------------------------------------------------------
def _payload(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    payload = {k: v for k, v in dict(raw or {}).items() if v is not None}
    for name in lifecycle.TEXT_FIELDS:
        if isinstance(payload.get(name), str) and not payload[name].strip():
            payload.pop(name)
    for name in ("ends_on", "decision_date"):
        if isinstance(payload.get(name), str):
            try:
                payload[name] = dt.date.fromisoformat(payload[name])
            except ValueError:
                raise RuleViolation(
                    N_("Please correct the highlighted fields."), fields={name: [N_("Enter a valid date.")]}
                ) from None
    return payload


@dataclass
class _Uploads:
    """Report photos already checked by `photos.check`, and the names stored so far."""

    photos: Sequence[photos.Photo]
    root: Storage | None
    stored: list[str] = field(default_factory=list)

    def check(self, action: str) -> None:
        if self.photos and (action not in photos.PHOTO_ACTIONS or self.root is None):
            raise RuleViolation(
                N_("Please correct the highlighted fields."),
                fields={"photos": [N_("Photos can only be attached to a report.")]},
            )

    def store(self, agreement_id: int) -> list[str]:
        for photo in self.photos:
            assert self.root is not None
            self.stored.append(photos.store(self.root, agreement_id, photo))
        return list(self.stored)

    def discard(self, agreement_id: int) -> None:
        if self.stored and self.root is not None:
            photos.discard(self.root, agreement_id, self.stored)


@dataclass(frozen=True)
class Attached:
    """What the signing and approval use cases (`signing.py`) hand to a transition: the document
    signed, or the act attached to an approval, and a check run on the locked agreement."""

    signed: effects.SignedDocument | None = None
    decision_document_key: str | None = None
    check: Callable[[Agreement], None] | None = None


def transition(
    session: Session,
    user: User | None,
    agreement_id: int,
    action: str,
    payload: Mapping[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
    report_photos: Sequence[photos.Photo] = (),
    upload_root: Storage | None = None,
    attached: Attached | None = None,
) -> Agreement:
    """Perform `action` for `user` (None: the scheduler). One transaction, one commit.

    `report_photos` (already checked by `photos.check`) are stored under `upload_root` once the
    lifecycle has accepted the action, and removed again if the transaction does not commit.
    """
    clean = _payload(payload)
    uploads = _Uploads(report_photos, upload_root)
    try:
        uploads.check(action)
        with transaction(session):
            agreement = _decide_and_store(
                session, user, agreement_id, action, clean, now or utcnow(), uploads, attached
            )
    except BaseException:
        listing_hooks.discard_pending(session)  # listing changes rolled back with the agreement's
        uploads.discard(agreement_id)
        raise
    # Rows added through their foreign keys (approval, signature, evaluation, report) are not in
    # the collections loaded before: reload them, so that the caller's answer is complete.
    session.expire(agreement, queries.COLLECTIONS)
    # Listing changes made inside the transaction are announced only now that it has committed.
    listing_hooks.run_pending(session)
    return agreement


def _decide_and_store(
    session: Session,
    user: User | None,
    agreement_id: int,
    action: str,
    payload: dict[str, Any],
    now: dt.datetime,
    uploads: _Uploads,
    attached: Attached | None = None,
) -> Agreement:
    agreement = queries.lock(session, agreement_id)
    if user is not None:
        require(user, "agreements:read", agreement, N_("You are not a party to this agreement."))
    if action == Action.REQUEST_EXTENSION and isinstance(payload.get("ends_on"), dt.date):
        payload["beyond_approved_period"] = beyond_approval(agreement, payload["ends_on"])
    payload["today"] = now.date()  # an approval's decision cannot be dated in the future
    decision = lifecycle.decide(state_of(agreement), actor_of(user), action, payload)
    before = agreement.status
    step = _applying(session, agreement, user, decision, now, attached or Attached())
    for effect in decision.effects:
        effects.apply(step, effect)
    if uploads.photos:
        step.data["photos"] = uploads.store(agreement.id)
    _record_steps(step, action, before, payload.get("comment"))
    step_notices.tell_other_side(step, action)
    if decision.target_status != before:
        agreement.status = decision.target_status
        agreement.status_changed_at = now
        if decision.target_status == Status.COMPLETED:
            notices.request_evaluation(session, agreement, now)
    capacity.keep_in_step(session, agreement, action, payload)
    agreement.updated_at = now
    record(
        session,
        user.id if user is not None else None,
        f"agreement.{action}",
        "agreement",
        agreement.id,
        from_status=before,
        to_status=str(decision.target_status),
        terms_version=agreement.terms_version,
    )
    return agreement


def _applying(
    session: Session,
    agreement: Agreement,
    user: User | None,
    decision: lifecycle.Decision,
    now: dt.datetime,
    attached: Attached,
) -> effects.Applying:
    """The decision about to be stored, with what the signing and approval use cases attached."""
    if attached.check is not None:
        attached.check(agreement)
    return effects.Applying(
        session,
        agreement,
        user,
        decision,
        now,
        signed=attached.signed,
        decision_document_key=attached.decision_document_key,
    )


def _record_steps(step: effects.Applying, action: str, before: str, comment: str | None) -> None:
    """One history row per status passed through, then one for where the action lands.

    The comment goes on the first row only: it belongs to the action, not to each step.
    """
    decision = step.decision
    passed = [e.status for e in decision.effects if isinstance(e, lifecycle.PassedThrough)]
    current = before
    for target in [*passed, decision.target_status]:
        add_event(
            step.session,
            step.agreement,
            step.user,
            action,
            current,
            target,
            step.now,
            comment if current == before else None,
            side=decision.acting_side,
            **step.data,
        )
        current = target
