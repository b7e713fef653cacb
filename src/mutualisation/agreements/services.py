"""Agreement use cases: create, transition (every lifecycle action), read, list, history.

`transition` is the one door for every action: it loads the agreement under a row lock, builds
the pure `AgreementState`, asks `lifecycle.decide`, then stores the status and the effects,
appends the history and the audit trail and queues the notifications, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..accounts.permissions import ACTOR, ADMIN, OFFICIAL, TERRITORY_STAFF, is_admin, register, require
from ..audit.services import record
from ..db import transaction, utcnow
from ..errors import NotFound, PermissionDenied, RuleViolation
from ..i18n import N_
from ..impact.calculations import Evaluation as ImpactEvaluation
from ..impact.calculations import ImpactFactors, co2e_avoided, load_factors
from ..listings import hooks as listing_hooks
from ..listings.models import CONDITIONS, LOGISTICS, Listing
from ..notifications.services import notify
from ..paths import resource_dir
from . import lifecycle, listing_effects, photos
from .lifecycle import Action, Side, Status
from .models import KINDS, Agreement, AgreementEvent, AgreementTerms, Approval, Evaluation, Report, Signature

# The lifecycle's messages, marked here so that they are extracted and translated.
_LIFECYCLE_MESSAGES = (
    N_("This action does not exist."),
    N_("This action is not possible in the agreement's current status."),
    N_("Only a loan can be returned."),
    N_("A loan must be returned before it is completed."),
    N_("An extension request is already pending."),
    N_("No extension request is pending."),
    N_("The terms have changed since you read them. Please reload the agreement."),
    N_("Only the scheduler does this."),
    N_("The scheduler cannot do this."),
    N_("Only an elected official can approve or refuse an agreement."),
    N_("You can only decide on behalf of your own territory."),
    N_("You are not a party to this agreement."),
    N_("Only the author of the agreement can do this."),
    N_("It is up to the other party to answer these terms."),
    N_("Only the provider can record the return."),
    N_("Only an elected official can sign on behalf of a territory."),
    N_("The other party decides on this extension."),
    N_("An extension beyond the approved period needs an elected official."),
    N_("Your territory has already approved this agreement."),
    N_("This party has already signed."),
    N_("This party has already evaluated the agreement."),
    N_("Enter some text."),
    N_("A reason is required."),
    N_("New terms are required."),
    N_("A report is required."),
    N_("The new end date is required."),
    N_("Choose to approve or refuse."),
    N_("Enter a valid date."),
    N_("A handover report is required for a loan."),
    N_("The terms are not valid."),
    N_("Choose a loan, a service or a transfer of know-how."),
    N_("Please correct the highlighted fields."),
    N_("Satisfaction is required."),
    N_("Satisfaction must be a whole number from 1 to 5."),
    N_("Enter a number."),
    N_("This cannot be negative."),
    N_("Choose a vehicle from the list."),
    N_("Choose the vehicle used for the kilometres travelled."),
)

HUMAN_ACTIONS = tuple(a for a in Action if a not in lifecycle.SYSTEM_ACTIONS)


# Permissions ---------------------------------------------------------------------------------
def can_read_agreement(user: Any, agreement: Any) -> bool:
    """Parties read their agreements: the staff of a territory party, the actor of an actor party.

    The admin reads everything (to mediate). Local actors of a territory do not read their town
    hall's agreements: they are not the party.
    """
    if user is None or not user.is_active:
        return False
    if is_admin(user):
        return True
    for side in ("provider", "beneficiary"):
        actor_id = agreement.actor_id_of(side)
        if (
            actor_id is None
            and user.role in TERRITORY_STAFF
            and user.territory_id == agreement.territory_id_of(side)
        ):
            return True
        if actor_id is not None and user.role == ACTOR and user.id == actor_id:
            return True
    return False


def can_create_agreement(user: Any, _obj: Any = None) -> bool:
    return bool(user is not None and user.is_active and user.role in (*TERRITORY_STAFF, ACTOR))


register("agreements:read", can_read_agreement)
register("agreements:create", can_create_agreement)


# Building the pure state ---------------------------------------------------------------------
def actor_of(user: User | None) -> lifecycle.Actor:
    if user is None:
        return lifecycle.SYSTEM
    return lifecycle.Actor(user_id=user.id, role=user.role, territory_code=user.territory.code)


def party_of(agreement: Agreement, side: str) -> lifecycle.Party:
    actor_id = agreement.actor_id_of(side)
    return lifecycle.Party(
        side=Side(side),
        kind=lifecycle.PartyKind.ACTOR if actor_id is not None else lifecycle.PartyKind.TERRITORY,
        territory_code=agreement.territory_of(side).code,
        actor_user_id=actor_id,
    )


def state_of(agreement: Agreement) -> lifecycle.AgreementState:
    return lifecycle.AgreementState(
        status=Status(agreement.status),
        agreement_kind=agreement.kind,
        parties=(party_of(agreement, "provider"), party_of(agreement, "beneficiary")),
        author_side=agreement.author_side,
        last_proposer_side=agreement.last_proposer_side,
        terms_version=agreement.terms_version,
        approvals=frozenset(a.territory.code for a in agreement.approvals if a.decision == "approve"),
        signatures=frozenset(s.side for s in agreement.signatures),
        evaluations=frozenset(e.side for e in agreement.evaluations),
        extension_pending=agreement.extension_requested_by is not None,
        extension_requested_by=agreement.extension_requested_by,
        extension_beyond_approval=agreement.extension_beyond_approval,
    )


def allowed_actions(agreement: Agreement, user: User | None) -> list[str]:
    if user is None:
        return []
    return [str(a) for a in lifecycle.allowed_actions(state_of(agreement), actor_of(user))]


def side_of_user(agreement: Agreement, user: User | None) -> str | None:
    if user is None:
        return None
    sides = lifecycle.party_sides_of(actor_of(user), state_of(agreement))
    return str(next(iter(sides))) if sides else None


# Terms ---------------------------------------------------------------------------------------
def _date(value: Any, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors[name] = [N_("Enter a valid date.")]
        return None


def _number(value: Any, name: str, errors: dict[str, list[str]]) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors[name] = [N_("Enter a number.")]
        return None
    if isinstance(value, bool) or not math.isfinite(number):
        errors[name] = [N_("Enter a number.")]
        return None
    if number < 0:
        errors[name] = [N_("This cannot be negative.")]
        return None
    return number


def normalise_terms(raw: Mapping[str, Any] | None, base: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `raw` onto `base` (the previous version) and check every business rule of terms."""
    raw = dict(raw or {})
    merged = {**base, **{k: v for k, v in raw.items() if k in base or k == "lines"}}
    errors: dict[str, list[str]] = {}
    lines = []
    raw_lines = merged.get("lines") or []
    if not isinstance(raw_lines, list):
        errors["lines"] = [N_("The terms are not valid.")]
        raw_lines = []
    for i, line in enumerate(raw_lines):
        if not isinstance(line, Mapping):
            errors[f"lines.{i}"] = [N_("The terms are not valid.")]
            continue
        description = str(line.get("description") or "").strip()
        if not description:
            errors[f"lines.{i}.description"] = [N_("Describe the resource.")]
        quantity = _number(line.get("quantity"), f"lines.{i}.quantity", errors)
        unit = str(line.get("unit") or "").strip() or None
        lines.append({"description": description, "quantity": quantity, "unit": unit})
    if not lines and "lines" not in errors:
        errors["lines"] = [N_("List at least one resource.")]
    starts_on = _date(merged.get("starts_on"), "starts_on", errors)
    ends_on = _date(merged.get("ends_on"), "ends_on", errors)
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [N_("The end date cannot be before the start date.")]
    deposit = _number(merged.get("deposit_eur"), "deposit_eur", errors)
    logistics = merged.get("logistics") or None
    if logistics is not None and logistics not in LOGISTICS:
        errors["logistics"] = [N_("Choose pickup, delivery or both.")]
    conditions = merged.get("conditions") or None
    if conditions is not None and conditions not in CONDITIONS:
        errors["conditions"] = [N_("Choose free, loan, exchange or cost sharing.")]
    kind = merged.get("kind")
    if kind not in KINDS:
        errors["kind"] = [N_("Choose a loan, a service or a transfer of know-how.")]
    if errors:
        raise RuleViolation(N_("Please correct the highlighted fields."), fields=errors)
    return {
        "lines": lines,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "logistics": logistics,
        "conditions": conditions,
        "deposit_eur": deposit,
        "insurance_required": bool(merged.get("insurance_required")),
        "kind": kind,
    }


def _terms_base(terms: AgreementTerms | None) -> dict[str, Any]:
    if terms is None:
        return {
            "lines": [],
            "starts_on": None,
            "ends_on": None,
            "logistics": None,
            "conditions": None,
            "deposit_eur": None,
            "insurance_required": False,
            "kind": None,
        }
    data = terms.as_dict()
    data.pop("version")
    data.pop("proposed_by_side")
    return data


def terms_diff(old: AgreementTerms | None, new: AgreementTerms) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each field that changed between two versions."""
    before, after = _terms_base(old), _terms_base(new)
    return [(name, before[name], after[name]) for name in after if before[name] != after[name]]


# Who to tell ---------------------------------------------------------------------------------
def party_users(session: Session, agreement: Agreement, side: str) -> list[User]:
    actor = agreement.actor_of(side)
    if actor is not None:
        return [actor] if actor.is_active else []
    return list(
        session.scalars(
            select(User)
            .where(
                User.territory_id == agreement.territory_id_of(side),
                User.role.in_(TERRITORY_STAFF),
                User.is_active.is_(True),
            )
            .order_by(User.id)
        )
    )


def _officials(session: Session, territory_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.territory_id == territory_id, User.role == OFFICIAL, User.is_active.is_(True))
            .order_by(User.id)
        )
    )


def _admins(session: Session) -> list[User]:
    return list(
        session.scalars(select(User).where(User.role == ADMIN, User.is_active.is_(True)).order_by(User.id))
    )


def _tell(
    session: Session,
    users: Iterable[User],
    agreement: Agreement,
    kind: str,
    subject: str,
    body: str = "",
    skip: User | None = None,
) -> None:
    seen: set[int] = set()
    for user in users:
        if user.id in seen or (skip is not None and user.id == skip.id):
            continue
        seen.add(user.id)
        notify(
            session,
            user,
            kind,
            subject,
            body,
            object_type="agreement",
            object_id=agreement.id,
            link=f"/agreements/{agreement.id}",
            title=agreement.title,
        )


def _tell_parties(
    session: Session, agreement: Agreement, kind: str, subject: str, body: str = "", skip: User | None = None
) -> None:
    users = party_users(session, agreement, "provider") + party_users(session, agreement, "beneficiary")
    _tell(session, users, agreement, kind, subject, body, skip=skip)


# Impact factors ------------------------------------------------------------------------------
@cache
def impact_factors() -> ImpactFactors:
    with (resource_dir("config") / "impact_factors.toml").open("rb") as fh:
        return load_factors(tomllib.load(fh))


# Reading -------------------------------------------------------------------------------------
def get(session: Session, user: User | None, agreement_id: int) -> Agreement:
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFound(N_("This agreement does not exist."))
    require(user, "agreements:read", agreement, N_("Only the parties to an agreement can read it."))
    return agreement


def _readable_filter(user: User):
    if is_admin(user):
        return None
    if user.role == ACTOR:
        return or_(Agreement.provider_actor_id == user.id, Agreement.beneficiary_actor_id == user.id)
    if user.role in TERRITORY_STAFF:
        return or_(
            and_(Agreement.provider_actor_id.is_(None), Agreement.provider_territory_id == user.territory_id),
            and_(
                Agreement.beneficiary_actor_id.is_(None),
                Agreement.beneficiary_territory_id == user.territory_id,
            ),
        )
    return Agreement.id.is_(None)


def list_for(
    session: Session, user: User, *, statuses: Iterable[str] | None = None, limit: int = 20, offset: int = 0
) -> tuple[list[Agreement], int]:
    """The agreements `user` may read, most recently changed first."""
    if user is None or not user.is_active:
        raise PermissionDenied(N_("You are not allowed to do this."))
    conditions = []
    where = _readable_filter(user)
    if where is not None:
        conditions.append(where)
    statuses = [s for s in (statuses or []) if s]
    if statuses:
        conditions.append(Agreement.status.in_(statuses))
    total = session.scalar(select(func.count(Agreement.id)).where(*conditions)) or 0
    items = session.scalars(
        select(Agreement)
        .where(*conditions)
        .order_by(Agreement.updated_at.desc(), Agreement.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(items.unique()), total


def approval_queue(session: Session, user: User) -> list[Agreement]:
    """Agreements awaiting this official's territory, oldest first."""
    if user is None or user.role != OFFICIAL:
        return []
    already = select(Approval.agreement_id).where(Approval.territory_id == user.territory_id)
    stmt = (
        select(Agreement)
        .where(
            Agreement.status == Status.PENDING_APPROVAL,
            or_(
                and_(
                    Agreement.provider_actor_id.is_(None),
                    Agreement.provider_territory_id == user.territory_id,
                ),
                and_(
                    Agreement.beneficiary_actor_id.is_(None),
                    Agreement.beneficiary_territory_id == user.territory_id,
                ),
            ),
            Agreement.id.not_in(already),
        )
        .order_by(Agreement.status_changed_at.asc(), Agreement.id.asc())
    )
    return list(session.scalars(stmt).unique())


def history(session: Session, user: User | None, agreement_id: int) -> list[AgreementEvent]:
    agreement = get(session, user, agreement_id)
    return list(
        session.scalars(
            select(AgreementEvent)
            .where(AgreementEvent.agreement_id == agreement.id)
            .order_by(AgreementEvent.id)
        )
    )


def photo_file(
    session: Session, user: User | None, agreement_id: int, name: str, upload_root: Path
) -> tuple[Path, str]:
    """The file and media type of a report photo, for users who may read the agreement only."""
    agreement = get(session, user, agreement_id)
    path = photos.path_of(upload_root, agreement.id, name)
    if path is None:
        raise NotFound(N_("This photo does not exist."))
    return path, photos.MEDIA_TYPES[path.suffix.lstrip(".")]


# Creating ------------------------------------------------------------------------------------
def _listing_party(listing: Listing) -> tuple[int, int | None]:
    """(territory id, actor user id): a listing owned by an actor makes the actor the party."""
    if listing.owner.role == ACTOR:
        return listing.territory_id, listing.owner_id
    return listing.territory_id, None


def _caller_party(user: User) -> tuple[int, int | None]:
    if user.role == ACTOR:
        return user.territory_id, user.id
    return user.territory_id, None


def _kind_for(listing: Listing | None) -> str:
    category = listing.category if listing is not None else None
    return {"equipment": "loan", "know_how": "know_how"}.get(category or "", "service")


def _load_listing(session: Session, listing_id: int | None, kind: str, field: str) -> Listing | None:
    if listing_id is None:
        return None
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise NotFound(N_("This listing does not exist."))
    errors = {}
    if listing.kind != kind:
        errors[field] = [
            N_("This listing is not an offer.") if kind == "offer" else N_("This listing is not a need.")
        ]
    elif listing.status != "published":
        errors[field] = [N_("This listing is not open to agreements.")]
    if errors:
        raise RuleViolation(N_("Please correct the highlighted fields."), fields=errors)
    return listing


def create(
    session: Session,
    user: User,
    *,
    offer_id: int | None = None,
    need_id: int | None = None,
    terms: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Agreement:
    """A draft answering an offer and/or a need; the caller's party is its author. Commits once."""
    with transaction(session):
        agreement = add_draft(session, user, offer_id=offer_id, need_id=need_id, terms=terms, now=now)
    session.refresh(agreement)
    return agreement


def add_draft(
    session: Session,
    user: User,
    *,
    offer_id: int | None = None,
    need_id: int | None = None,
    terms: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Agreement:
    """The draft of `create`, added to the caller's open transaction without committing.

    Matching's "accept a suggestion" uses it so that the draft and the accepted suggestion
    commit together: two acceptances can never leave two agreements.
    """
    require(
        user,
        "agreements:create",
        None,
        N_("Only a technician, an official or a local actor can start an agreement."),
    )
    if offer_id is None and need_id is None:
        raise RuleViolation(
            N_("Choose an offer or a need."), fields={"offer_id": [N_("Choose an offer or a need.")]}
        )
    now = now or utcnow()
    offer = _load_listing(session, offer_id, "offer", "offer_id")
    need = _load_listing(session, need_id, "need", "need_id")
    caller = _caller_party(user)
    if offer is not None and need is not None:
        provider, beneficiary = _listing_party(offer), _listing_party(need)
        if caller not in (provider, beneficiary):
            raise PermissionDenied(N_("You can only link an offer and a need when one of them is yours."))
        author_side = "provider" if caller == provider else "beneficiary"
    elif offer is not None:
        provider, beneficiary, author_side = _listing_party(offer), caller, "beneficiary"
    else:
        assert need is not None
        provider, beneficiary, author_side = caller, _listing_party(need), "provider"
    if provider == beneficiary:
        raise RuleViolation(
            N_("You cannot make an agreement with yourself."),
            fields={
                "offer_id" if offer is not None else "need_id": [
                    N_("You cannot make an agreement with yourself.")
                ]
            },
        )
    main = offer or need
    assert main is not None
    base = _terms_base(None)
    base.update(
        lines=[{"description": main.title, "quantity": main.quantity, "unit": main.unit}],
        starts_on=main.available_from,
        ends_on=main.available_until,
        logistics=main.logistics,
        conditions=main.conditions,
        deposit_eur=main.deposit_eur,
        insurance_required=main.insurance_required,
        kind=_kind_for(offer or need),
    )
    if base["starts_on"] and base["starts_on"] < now.date():
        base["starts_on"] = None  # a window that opened in the past is no start date
    if base["ends_on"] and base["starts_on"] is None and base["ends_on"] < now.date():
        base["ends_on"] = None
    clean = normalise_terms(terms, base)
    agreement = Agreement(
        kind=clean["kind"],
        status=Status.DRAFT,
        offer_id=offer.id if offer else None,
        need_id=need.id if need else None,
        provider_territory_id=provider[0],
        provider_actor_id=provider[1],
        beneficiary_territory_id=beneficiary[0],
        beneficiary_actor_id=beneficiary[1],
        author_side=author_side,
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
            proposed_by_side=author_side,
            created_by_id=user.id,
            created_at=now,
            **clean,
        )
    )
    _event(session, agreement, user, "create", None, Status.DRAFT, now)
    record(
        session,
        user.id,
        "agreement.create",
        "agreement",
        agreement.id,
        offer_id=offer_id,
        need_id=need_id,
    )
    return agreement


# Transitions ---------------------------------------------------------------------------------
def _event(
    session: Session,
    agreement: Agreement,
    user: User | None,
    action: str,
    from_status: str | None,
    to_status: str,
    at: dt.datetime,
    comment: str | None = None,
    **data: Any,
) -> None:
    session.add(
        AgreementEvent(
            agreement_id=agreement.id,
            at=at,
            actor_id=user.id if user is not None else None,
            actor_role=user.role if user is not None else lifecycle.Role.SYSTEM,
            action=action,
            from_status=from_status,
            to_status=str(to_status),
            terms_version=agreement.terms_version,
            comment=comment,
            data={k: _jsonable(v) for k, v in data.items() if v is not None},
        )
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def _lock(session: Session, agreement_id: int) -> Agreement:
    """Load under a row lock (PostgreSQL: SELECT … FOR UPDATE; SQLite serialises writers itself).

    populate_existing and the expiry of the collections make sure the decision is taken on what
    the database holds now, not on what this session read earlier.
    """
    stmt = (
        select(Agreement)
        .where(Agreement.id == agreement_id)
        .with_for_update(of=Agreement)
        .execution_options(populate_existing=True)
    )
    agreement = session.scalars(stmt).unique().one_or_none()
    if agreement is None:
        raise NotFound(N_("This agreement does not exist."))
    session.expire(agreement, ["terms", "approvals", "signatures", "evaluations", "reports"])
    return agreement


def _payload(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    payload = {k: v for k, v in dict(raw or {}).items() if v is not None}
    for name in lifecycle.TEXT_FIELDS:
        if isinstance(payload.get(name), str) and not payload[name].strip():
            payload.pop(name)
    if isinstance(payload.get("ends_on"), str):
        try:
            payload["ends_on"] = dt.date.fromisoformat(payload["ends_on"])
        except ValueError:
            raise RuleViolation(
                N_("Please correct the highlighted fields."), fields={"ends_on": [N_("Enter a valid date.")]}
            ) from None
    return payload


def transition(
    session: Session,
    user: User | None,
    agreement_id: int,
    action: str,
    payload: Mapping[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
    report_photos: Sequence[photos.Photo] = (),
    upload_root: Path | None = None,
) -> Agreement:
    """Perform `action` for `user` (None: the scheduler). One transaction, one commit.

    `report_photos` (already checked by `photos.check`) are stored under `upload_root` once the
    lifecycle has accepted the action, and removed again if the transaction does not commit.
    """
    payload = _payload(payload)
    now = now or utcnow()
    stored: list[str] = []
    try:
        return _transition(
            session, user, agreement_id, action, payload, now, report_photos, upload_root, stored
        )
    except BaseException:
        listing_hooks.discard_pending(session)  # listing changes rolled back with the agreement's
        if stored and upload_root is not None:
            photos.discard(upload_root, agreement_id, stored)
        raise


def _transition(
    session: Session,
    user: User | None,
    agreement_id: int,
    action: str,
    payload: dict[str, Any],
    now: dt.datetime,
    report_photos: Sequence[photos.Photo],
    upload_root: Path | None,
    stored: list[str],
) -> Agreement:
    if report_photos and (action not in photos.PHOTO_ACTIONS or upload_root is None):
        raise RuleViolation(
            N_("Please correct the highlighted fields."),
            fields={"photos": [N_("Photos can only be attached to a report.")]},
        )
    with transaction(session):
        agreement = _lock(session, agreement_id)
        if user is not None:
            require(user, "agreements:read", agreement, N_("You are not a party to this agreement."))
        if action == Action.REQUEST_EXTENSION and isinstance(payload.get("ends_on"), dt.date):
            payload["beyond_approved_period"] = _beyond_approval(agreement, payload["ends_on"])
        state = state_of(agreement)
        decision = lifecycle.decide(state, actor_of(user), action, payload)
        before = agreement.status
        comment = payload.get("comment")
        data: dict[str, Any] = {}
        for effect in decision.effects:
            _apply(session, agreement, user, decision, effect, payload, now, data)
        for photo in report_photos:
            assert upload_root is not None
            stored.append(photos.store(upload_root, agreement.id, photo))
        if stored:
            data["photos"] = list(stored)
        steps = [e.status for e in decision.effects if isinstance(e, lifecycle.PassedThrough)]
        current = before
        for step in steps:
            _event(
                session,
                agreement,
                user,
                action,
                current,
                step,
                now,
                comment,
                side=decision.acting_side,
                **data,
            )
            current = step
        target = decision.target_status
        _event(
            session,
            agreement,
            user,
            action,
            current,
            target,
            now,
            comment if not steps else None,
            side=decision.acting_side,
            **data,
        )
        if target != before:
            agreement.status = target
            agreement.status_changed_at = now
            _on_status_entered(session, agreement, user, target, now)
        agreement.updated_at = now
        record(
            session,
            user.id if user is not None else None,
            f"agreement.{action}",
            "agreement",
            agreement.id,
            from_status=before,
            to_status=str(target),
            terms_version=agreement.terms_version,
        )
    # Rows added through their foreign keys (approval, signature, evaluation, report) are not in
    # the collections loaded before: reload them, so that the caller's answer is complete.
    session.expire(agreement, ["terms", "approvals", "signatures", "evaluations", "reports"])
    # Listing changes made inside the transaction are announced only now that it has committed.
    listing_hooks.run_pending(session)
    return agreement


def _beyond_approval(agreement: Agreement, ends_on: dt.date) -> bool:
    approved = agreement.terms_at(agreement.approved_terms_version)
    limit = agreement.extended_ends_on or (approved.ends_on if approved else None)
    return limit is not None and ends_on > limit


def _territory_id_for_code(agreement: Agreement, code: str) -> int:
    for side in ("provider", "beneficiary"):
        if agreement.actor_id_of(side) is None and agreement.territory_of(side).code == code:
            return agreement.territory_id_of(side)
    raise AssertionError("approval for a territory that is not a party")  # pragma: no cover


def _apply(
    session: Session,
    agreement: Agreement,
    user: User | None,
    decision: lifecycle.Decision,
    effect: lifecycle.Effect,
    payload: Mapping[str, Any],
    now: dt.datetime,
    data: dict[str, Any],
) -> None:
    """Store one effect of the decision. `data` collects what the history row should show."""
    user_id = user.id if user is not None else None
    listings = [agreement.offer, agreement.need]
    match effect:
        case lifecycle.TermsVersionCreated(version=version, proposer_side=side, terms=terms):
            clean = normalise_terms(terms, _terms_base(agreement.current_terms()))
            session.add(
                AgreementTerms(
                    agreement_id=agreement.id,
                    version=version,
                    proposed_by_side=str(side),
                    created_by_id=user_id,
                    created_at=now,
                    **clean,
                )
            )
            agreement.terms_version = version
            agreement.last_proposer_side = str(side)
            agreement.kind = clean["kind"]
            session.flush()
            session.expire(agreement, ["terms"])
            _tell(
                session,
                party_users(session, agreement, str(side.other)),
                agreement,
                "agreement.proposal_received",
                N_("New terms proposed: %(title)s"),
                N_('The other party proposed terms for the agreement "%(title)s". Please answer them.'),
            )
        case lifecycle.ListingsReserved():
            listing_effects.apply(session, user_id, listings, "reserve", agreement.id)
        case lifecycle.ListingsReleased():
            listing_effects.apply(session, user_id, listings, "release", agreement.id)
        case lifecycle.ListingsFulfilled():
            listing_effects.apply(session, user_id, listings, "fulfil", agreement.id)
        case lifecycle.ApprovalsRequested(territory_codes=codes):
            for code in sorted(codes):
                _tell(
                    session,
                    _officials(session, _territory_id_for_code(agreement, code)),
                    agreement,
                    "agreement.approval_requested",
                    N_("Approval requested: %(title)s"),
                    N_('Both parties agreed on the terms of "%(title)s". Your approval is awaited.'),
                )
        case lifecycle.ApprovalRecorded(territory_code=code, decision_reference=ref):
            session.add(
                Approval(
                    agreement_id=agreement.id,
                    territory_id=_territory_id_for_code(agreement, code),
                    decision="approve",
                    official_id=user_id,
                    terms_version=agreement.terms_version,
                    decision_reference=ref,
                    at=now,
                )
            )
            data.update(territory=code, decision_reference=ref)
        case lifecycle.RefusalRecorded(territory_code=code, reason=reason, decision_reference=ref):
            session.add(
                Approval(
                    agreement_id=agreement.id,
                    territory_id=_territory_id_for_code(agreement, code),
                    decision="refuse",
                    official_id=user_id,
                    terms_version=agreement.terms_version,
                    reason=reason,
                    decision_reference=ref,
                    at=now,
                )
            )
            data.update(territory=code, reason=reason, decision_reference=ref)
            _tell_parties(
                session,
                agreement,
                "agreement.refused",
                N_("Agreement refused: %(title)s"),
                N_('An elected official refused the agreement "%(title)s".'),
            )
        case lifecycle.ConventionDocumentRequested():
            agreement.approved_terms_version = agreement.terms_version
            agreement.convention_generated_at = now
            _tell_parties(
                session,
                agreement,
                "agreement.approved",
                N_("Agreement approved: %(title)s"),
                N_('The agreement "%(title)s" is approved. The convention is ready to print and sign.'),
            )
        case lifecycle.SignatureRecorded(side=side):
            session.add(Signature(agreement_id=agreement.id, side=str(side), user_id=user_id, at=now))
            if decision.target_status == Status.SIGNED:
                _tell_parties(
                    session,
                    agreement,
                    "agreement.signed",
                    N_("Agreement signed: %(title)s"),
                    N_('Both parties signed the agreement "%(title)s".'),
                )
        case lifecycle.ReportRecorded(kind=kind, text=text):
            side = decision.acting_side
            session.add(
                Report(
                    agreement_id=agreement.id,
                    kind=kind,
                    side=str(side) if side else None,
                    user_id=user_id,
                    text=(text or "").strip() or None,
                    at=now,
                )
            )
            data.update(report=(text or "").strip() or None)
        case lifecycle.MediationRequested():
            _tell(
                session,
                _admins(session)
                + party_users(session, agreement, "provider")
                + party_users(session, agreement, "beneficiary"),
                agreement,
                "agreement.incident",
                N_("Incident reported: %(title)s"),
                N_('An incident was reported on the agreement "%(title)s".'),
                skip=user,
            )
        case lifecycle.ExtensionRequested(side=side, ends_on=ends_on, beyond_approval=beyond):
            agreement.extension_requested_by = str(side)
            agreement.extension_ends_on = ends_on
            agreement.extension_beyond_approval = beyond
            data.update(ends_on=ends_on, beyond_approval=beyond)
            _tell(
                session,
                party_users(session, agreement, str(side.other)),
                agreement,
                "agreement.extension_requested",
                N_("Extension requested: %(title)s"),
                N_('The other party asks to extend the agreement "%(title)s".'),
            )
        case lifecycle.ExtensionDecided(approved=approved):
            if approved:
                agreement.extended_ends_on = agreement.extension_ends_on
            data.update(approved=approved, ends_on=agreement.extension_ends_on)
            agreement.extension_requested_by = None
            agreement.extension_ends_on = None
            agreement.extension_beyond_approval = False
        case lifecycle.EvaluationRecorded(side=side, fields=fields):
            listing = agreement.offer or agreement.need
            impact = co2e_avoided(
                ImpactEvaluation.from_fields(
                    agreement.kind,
                    listing.category if listing else None,
                    listing.subcategory if listing else None,
                    fields,
                ),
                impact_factors(),
            )
            session.add(
                Evaluation(
                    agreement_id=agreement.id,
                    side=str(side),
                    user_id=user_id,
                    satisfaction=fields["satisfaction"],
                    money_saved_eur=impact.money_saved_eur,
                    kg_diverted=fields.get("kg_diverted"),
                    km_travelled=fields.get("km_travelled"),
                    vehicle=fields.get("vehicle"),
                    lessons_learned=(fields.get("lessons_learned") or "").strip() or None,
                    co2e_method=fields.get("co2e_method") or "avoided_purchase",
                    lifetime_share=fields.get("lifetime_share"),
                    co2e_avoided_kg=impact.avoided_kg,
                    co2e_transport_kg=impact.transport_kg,
                    co2e_net_kg=impact.net_kg,
                    method_fr=impact.method_fr,
                    method_en=impact.method_en,
                    at=now,
                )
            )
            data.update(co2e_net_kg=round(impact.net_kg, 3))
        case lifecycle.ReasonGiven(reason=reason):
            data.update(reason=reason)
        case lifecycle.PassedThrough():
            pass  # the history writes the intermediate step
        case _:  # pragma: no cover - a new effect must be handled here
            raise AssertionError(f"unhandled effect {effect!r}")


def _on_status_entered(
    session: Session, agreement: Agreement, user: User | None, status: Status, now: dt.datetime
) -> None:
    if status == Status.COMPLETED:
        request_evaluation(session, agreement, now)


def request_evaluation(session: Session, agreement: Agreement, now: dt.datetime) -> None:
    """Ask both parties for their evaluation, once (completion or the scheduler, whichever comes first)."""
    if agreement.evaluation_requested_at is not None:
        return
    agreement.evaluation_requested_at = now
    _tell_parties(
        session,
        agreement,
        "agreement.evaluation_due",
        N_("Evaluation due: %(title)s"),
        N_('The agreement "%(title)s" is complete. Please file your evaluation and lessons learned.'),
    )
