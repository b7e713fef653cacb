"""Use cases around suggestions: list them, accept one (an agreement draft), dismiss one with a reason,
take a dismissal back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from ..accounts.permissions import allowed, can_manage_listing, can_read_network, require
from ..audit.services import record
from ..db import transaction
from ..errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from ..i18n import N_
from ..listings.models import Listing
from ..listings.permissions import get_visible_listing
from . import engine
from .models import DISMISS_REASONS, Suggestion
from .scoring import MatchingConfig


def can_read_listing(user, listing) -> bool:
    if listing is None:
        return False
    if listing.status == "published" and can_read_network(user):
        return True
    return can_manage_listing(user, listing)


def can_decide_suggestion(user, pair) -> bool:
    """Accepting or dismissing belongs to whoever manages the offer or the need."""
    offer, need = pair
    return can_manage_listing(user, offer) or can_manage_listing(user, need)


def config_from(settings: Mapping[str, Any] | None) -> MatchingConfig:
    return MatchingConfig.from_mapping(dict(settings or {}))


@dataclass(frozen=True)
class SuggestionView:
    """A suggestion seen from one of its listings: the other party and its territory, and the
    user's own listing where a page lists suggestions of several (the dashboard)."""

    suggestion: Suggestion
    other: Listing
    can_decide: bool
    mine: Listing | None = None


def run_full_recompute(session: Session, cfg: MatchingConfig, *, notify: bool = True) -> engine.Counts:
    return engine.full_recompute(session, cfg, notify=notify)


# Built once: aliasing the wide listings table builds a proxy of every column, which cost the
# dashboard tens of milliseconds per request when done per call (bench/bench_pages.py).
_OTHER = aliased(Listing, name="other")
_OFFER, _NEED = aliased(Listing, name="offer"), aliased(Listing, name="need")


def suggestions_for_listing(session: Session, user, listing_id: int) -> list[SuggestionView]:
    # A listing the user may not see (another territory's draft) is a 404, never a 403 (no leak).
    listing = get_visible_listing(session, user, listing_id)
    require(user, "matching:read_listing", listing)
    other_id = Suggestion.need_id if listing.kind == "offer" else Suggestion.offer_id
    mine = Suggestion.offer_id if listing.kind == "offer" else Suggestion.need_id
    other = _OTHER
    rows = session.execute(
        select(Suggestion, other)
        .join(other, other.id == other_id)
        .where(
            mine == listing_id,
            or_(
                Suggestion.offer_rank.is_not(None),
                Suggestion.need_rank.is_not(None),
                Suggestion.status.in_(("accepted", "stale")),
            ),
        )
        .order_by(Suggestion.score.desc(), Suggestion.id)
    ).all()
    return [SuggestionView(s, o, allowed(user, "suggestions:decide", _pair(s, listing, o))) for s, o in rows]


def suggestions_for_user(session: Session, user, limit: int = 5) -> list[SuggestionView]:
    """The best active suggestions of the listings the user manages (dashboard)."""
    if user is None:
        return []
    offer, need = _OFFER, _NEED
    stmt = (
        select(Suggestion, offer, need)
        .join(offer, offer.id == Suggestion.offer_id)
        .join(need, need.id == Suggestion.need_id)
        .where(
            Suggestion.status == "active",
            or_(Suggestion.offer_rank.is_not(None), Suggestion.need_rank.is_not(None)),
            or_(offer.owner_id == user.id, need.owner_id == user.id)
            if user.role == "actor"
            else or_(offer.territory_id == user.territory_id, need.territory_id == user.territory_id),
        )
        .order_by(Suggestion.score.desc(), Suggestion.id)
        .limit(limit)
    )
    views = []
    for s, o, n in session.execute(stmt):
        mine_is_offer = can_manage_listing(user, o)
        views.append(SuggestionView(s, n if mine_is_offer else o, True, mine=o if mine_is_offer else n))
    return views


def _pair(suggestion: Suggestion, a: Listing, b: Listing) -> tuple[Listing, Listing]:
    return (a, b) if a.id == suggestion.offer_id else (b, a)


def _load_for_decision(
    session: Session, user, suggestion_id: int, lock: bool = True
) -> tuple[Suggestion, Listing, Listing]:
    suggestion = session.get(Suggestion, suggestion_id, with_for_update=lock, populate_existing=lock)
    if suggestion is None:
        raise NotFound(N_("This suggestion does not exist."))
    offer, need = session.get(Listing, suggestion.offer_id), session.get(Listing, suggestion.need_id)
    if offer is None or need is None:  # the foreign keys cascade: only a concurrent delete gets here
        raise NotFound(N_("This suggestion does not exist."))
    if not allowed(user, "suggestions:decide", (offer, need)):
        raise PermissionDenied(N_("Only the people in charge of the offer or the need can decide on it."))
    return suggestion, offer, need


def get_suggestion(session: Session, user, suggestion_id: int) -> Suggestion:
    suggestion = session.get(Suggestion, suggestion_id)
    if suggestion is None:
        raise NotFound(N_("This suggestion does not exist."))
    offer, need = session.get(Listing, suggestion.offer_id), session.get(Listing, suggestion.need_id)
    if not (can_read_listing(user, offer) or can_read_listing(user, need)):
        raise PermissionDenied(N_("You are not allowed to do this."))
    return suggestion


def dismiss(session: Session, user, suggestion_id: int, reason: str, text: str = "") -> Suggestion:
    if reason not in DISMISS_REASONS:
        raise ValidationFailed(N_("Choose a reason."), fields={"reason": [N_("Choose a reason.")]})
    if reason == "other" and not (text or "").strip():
        raise ValidationFailed(
            N_("Tell us why in a few words."), fields={"text": [N_("Tell us why in a few words.")]}
        )
    with transaction(session):
        suggestion, _offer, _need = _load_for_decision(session, user, suggestion_id)
        if suggestion.status == "accepted":
            raise InvalidTransition(N_("This suggestion was already accepted."))
        suggestion.status = "dismissed"
        suggestion.dismiss_reason = reason
        suggestion.dismiss_text = (text or "").strip()[:1000] or None
        record(session, user.id, "suggestion.dismissed", "suggestion", suggestion.id, reason=reason)
    return suggestion


def restore(session: Session, user, suggestion_id: int) -> Suggestion:
    """Take a dismissal back (a click too fast, a reason that no longer holds): the suggestion is
    active again, and its reason leaves the counts the facilitator tunes the engine with.

    Restoring an active suggestion changes nothing. A dismissed pair that neither listing ranks any
    more (it left both top-k lists, and stays stored only to remain dismissed) is refused: the next
    recompute would remove it as soon as it were active."""
    with transaction(session):
        suggestion, _offer, _need = _load_for_decision(session, user, suggestion_id)
        if suggestion.status == "active":
            return suggestion
        if suggestion.status != "dismissed":
            raise InvalidTransition(N_("Only a dismissed suggestion can be restored."))
        if not suggestion.restorable:
            raise InvalidTransition(
                N_("This pairing is no longer among the best suggestions of either listing.")
            )
        suggestion.status = "active"
        suggestion.dismiss_reason = suggestion.dismiss_text = None
        record(session, user.id, "suggestion.restored", "suggestion", suggestion.id)
    return suggestion


def accept(session: Session, user, suggestion_id: int):
    """Accept a suggestion: the agreement draft and the accepted suggestion commit together.

    Idempotent: accepting an accepted suggestion returns the agreement the first acceptance
    created. The suggestion row is locked first (FOR UPDATE on PostgreSQL; SQLite serialises
    writers), so two concurrent acceptances cannot both create a draft.
    Returns `(suggestion, agreement)`.
    """
    from ..agreements.models import Agreement
    from ..agreements.services import add_draft

    with transaction(session):
        suggestion, _offer, _need = _load_for_decision(session, user, suggestion_id)
        if suggestion.status == "accepted":
            agreement = session.get(Agreement, suggestion.agreement_id) if suggestion.agreement_id else None
            return suggestion, agreement
        agreement = add_draft(session, user, offer_id=suggestion.offer_id, need_id=suggestion.need_id)
        suggestion.status = "accepted"
        suggestion.agreement_id = agreement.id
        suggestion.dismiss_reason = suggestion.dismiss_text = None
        record(
            session,
            user.id,
            "suggestion.accepted",
            "suggestion",
            suggestion.id,
            agreement_id=agreement.id,
        )
    return suggestion, agreement


def dismissal_counts(session: Session, user) -> dict[str, int]:
    require(user, "matching:admin")
    rows = session.execute(
        select(Suggestion.dismiss_reason, func.count())
        .where(Suggestion.dismiss_reason.is_not(None))
        .group_by(Suggestion.dismiss_reason)
    ).all()
    counts = dict.fromkeys(DISMISS_REASONS, 0)
    counts.update({reason: n for reason, n in rows if reason is not None})
    return counts


def status_counts(session: Session, user) -> dict[str, int]:
    require(user, "matching:admin")
    return dict(session.execute(select(Suggestion.status, func.count()).group_by(Suggestion.status)).all())
