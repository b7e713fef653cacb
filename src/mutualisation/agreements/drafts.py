"""Drafts that start right and can be edited: the first terms, read from both listings, and the
author's edits before proposing (`PATCH /api/v1/agreements/{id}` and the draft form).

A draft answers what the need asks for within what the offer can give: the need's window and
quantity, and every requirement either side stated (insurance, a qualified operator, a deposit).
Taking only one listing's view (the offer's three-month availability for a two-week need, or
dropping the offer's "qualified operator") made drafts that had to be corrected by the other side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ..accounts.models import User
from ..accounts.permissions import require
from ..audit.services import record
from ..db import transaction, utcnow
from ..errors import Conflict, InvalidTransition, PermissionDenied
from ..i18n import N_
from ..listings.models import Listing
from . import effects, queries
from .events import add_event
from .models import Agreement, AgreementTerms
from .state import kind_for, side_of_user
from .terms import EMPTY_TERMS
from .vocabulary import Status

EDIT = "edit"  # the history's name for an edit of a draft (not a lifecycle action)


def initial_terms(offer: Listing | None, need: Listing | None, now: dt.datetime) -> dict[str, Any]:
    """The draft's first terms, from the offer and the need it links (either may be missing)."""
    main = offer or need
    assert main is not None
    window = need if need is not None and (need.available_from or need.available_until) else main
    base = dict(EMPTY_TERMS)
    base.update(
        lines=[_line(offer, need)],
        starts_on=window.available_from,
        ends_on=window.available_until,
        logistics=_logistics(offer, need),
        conditions=(offer or main).conditions,
        deposit_eur=_largest(*(listing.deposit_eur for listing in (offer, need) if listing is not None)),
        insurance_required=any(lst.insurance_required for lst in (offer, need) if lst is not None),
        qualified_operator_required=any(
            lst.qualified_operator_required for lst in (offer, need) if lst is not None
        ),
        kind=kind_for(main),
    )
    if base["starts_on"] and base["starts_on"] < now.date():
        base["starts_on"] = None  # a window that opened in the past is no start date
    if base["ends_on"] and base["starts_on"] is None and base["ends_on"] < now.date():
        base["ends_on"] = None
    return base


def _line(offer: Listing | None, need: Listing | None) -> dict[str, Any]:
    """What is lent: the offer's item, in the quantity the need asks for (at most what is offered)."""
    item = offer or need
    assert item is not None
    quantity, unit = item.quantity, item.unit
    if offer is not None and need is not None and need.quantity is not None:
        quantity, unit = need.quantity, need.unit or offer.unit
        if offer.quantity is not None and not offer.inexhaustible:
            quantity = min(need.quantity, offer.quantity)
    return {"description": item.title, "quantity": quantity, "unit": unit}


def _logistics(offer: Listing | None, need: Listing | None) -> str | None:
    """The way both sides accept: when one says "both", the other's choice decides."""
    choices = [lst.logistics for lst in (offer, need) if lst is not None and lst.logistics]
    specific = [c for c in choices if c != "both"]
    if not specific:
        return choices[0] if choices else None
    return specific[0]


def _largest(*amounts: float | None) -> float | None:
    known = [a for a in amounts if a is not None]
    return max(known) if known else None


def edit_draft(
    session: Session,
    user: User,
    agreement_id: int,
    *,
    version: int,
    terms: Mapping[str, Any] | None,
    comment: str | None = None,
    now: dt.datetime | None = None,
) -> Agreement:
    """The draft's author side changes its terms before proposing; a new terms version is kept.

    `version` is the terms version the caller saw: an older one is a 409 (someone on the same
    side edited the draft meanwhile), never a silent overwrite. One transaction.
    """
    now = now or utcnow()
    with transaction(session):
        agreement = queries.lock(session, agreement_id)
        require(user, "agreements:read", agreement, N_("Only the parties to an agreement can read it."))
        if agreement.status != Status.DRAFT:
            raise InvalidTransition(N_("Only a draft can be edited; counter-propose new terms instead."))
        if side_of_user(agreement, user) != agreement.author_side:
            raise PermissionDenied(N_("Only the side that wrote this draft can edit it."))
        if version != agreement.terms_version:
            raise Conflict(N_("The draft has changed since you read it. Reload it before editing."))
        _store_edit(session, user, agreement, terms, comment, now)
    session.expire(agreement, ["terms"])
    return agreement


def _store_edit(
    session: Session,
    user: User,
    agreement: Agreement,
    terms: Mapping[str, Any] | None,
    comment: str | None,
    now: dt.datetime,
) -> None:
    """The new terms version, the history row and the audit event of one edit."""
    clean = effects.clean_terms(terms, effects.current_terms_base(agreement))
    agreement.terms_version += 1
    session.add(
        AgreementTerms(
            agreement_id=agreement.id,
            version=agreement.terms_version,
            proposed_by_side=agreement.author_side,
            created_by_id=user.id,
            created_at=now,
            **clean,
        )
    )
    agreement.kind = clean["kind"]
    agreement.updated_at = now
    add_event(
        session, agreement, user, EDIT, Status.DRAFT, Status.DRAFT, now, (comment or "").strip() or None
    )
    record(
        session,
        user.id,
        "agreement.edit_draft",
        "agreement",
        agreement.id,
        terms_version=agreement.terms_version,
    )
