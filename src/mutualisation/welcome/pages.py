"""Public territory pages and the network's figures on the home page; the presentation a
territory writes about itself; people's public profile (name, job title, organisation)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..agreements.models import Agreement, Evaluation
from ..audit.services import record
from ..db import transaction, utcnow
from ..errors import Conflict, PermissionDenied, RuleViolation
from ..i18n import N_
from ..impact import dashboards, sheets
from ..listings.models import Listing
from ..territories.models import Territory
from ..territories.services import get_by_code
from . import rules
from .models import TerritoryProfile

DONE = ("completed", "evaluated")
CONTACT_ROLES = ("official", "technician", "actor")
MAX_PRESENTATION = 8000

SHEETS_ON_PAGE = 10


def _published_sheets(session: Session, territory: Territory) -> list[Any]:
    return sheets.published_for_territory(session, territory.code, limit=SHEETS_ON_PAGE)


# Experience sheets (issue 13): (session, territory) -> its published sheets. welcome reads impact,
# never the reverse, so the packages keep one direction; a test may swap the provider.
SHEETS_PROVIDER: Callable[[Session, Territory], list[Any]] | None = _published_sheets


@dataclass
class Impact:
    agreements_completed: int = 0
    money_saved_eur: float = 0.0
    kg_diverted: float = 0.0
    co2e_kg: float = 0.0


@dataclass
class TerritoryPage:
    territory: Territory
    profile: TerritoryProfile | None
    offers: list[Listing]
    needs: list[Listing]
    agreements: list[Agreement]
    impact: Impact
    contacts: dict[str, list[User]]
    sheets: list[Any] | None = None
    can_edit: bool = False
    member: bool = field(default=False)


def public_listings_filter(viewer: User | None):
    """Published listings; a visitor does not see those their owner keeps to the network."""
    condition = Listing.status == "published"
    if viewer is None and hasattr(Listing, "network_only"):
        condition = condition & Listing.network_only.is_(False)
    return condition


def may_edit_presentation(user: User | None, territory: Territory) -> bool:
    return bool(
        user is not None
        and user.is_active
        and (user.role == rules.ADMIN or (user.role in rules.STAFF and user.territory_id == territory.id))
    )


def territory_page(session: Session, code: str, viewer: User | None, limit: int = 20) -> TerritoryPage:
    territory = get_by_code(session, code)
    listings = list(
        session.scalars(
            select(Listing)
            .where(Listing.territory_id == territory.id, public_listings_filter(viewer))
            .order_by(Listing.id.desc())
            .limit(limit * 2)
        )
    )
    contacts: dict[str, list[Any]] = {role: [] for role in CONTACT_ROLES}
    for user in session.scalars(
        select(User)
        .where(User.territory_id == territory.id, User.is_active.is_(True), User.role.in_(CONTACT_ROLES))
        .order_by(User.name)
    ):
        contacts[user.role].append(user)
    profile = session.get(TerritoryProfile, territory.id)
    return TerritoryPage(
        territory=territory,
        profile=profile,
        offers=[x for x in listings if x.kind == "offer"][:limit],
        needs=[x for x in listings if x.kind == "need"][:limit],
        agreements=_done_agreements(session, territory.id, limit),
        impact=_territory_impact(session, territory),
        contacts=contacts,
        sheets=SHEETS_PROVIDER(session, territory) if SHEETS_PROVIDER else None,
        can_edit=may_edit_presentation(viewer, territory),
        member=profile is not None or any(contacts.values()),
    )


def _territory_impact(session: Session, territory: Territory) -> Impact:
    """The territory's evaluated impact, computed by the impact dashboards (one definition)."""
    figures = dashboards.territory_impact(session, territory.code)
    return Impact(
        figures["agreements_completed"],
        figures["money_saved_eur"],
        figures["kg_diverted"],
        figures["co2e_kg"],
    )


def _party_of(territory_id: int):
    return or_(
        Agreement.provider_territory_id == territory_id, Agreement.beneficiary_territory_id == territory_id
    )


def _done_agreements(session: Session, territory_id: int, limit: int) -> list[Agreement]:
    return list(
        session.scalars(
            select(Agreement)
            .where(Agreement.status.in_(DONE), _party_of(territory_id))
            .order_by(Agreement.status_changed_at.desc())
            .limit(limit)
        )
    )


def impact_of(session: Session, territory_id: int | None = None) -> Impact:
    """Completed agreements and their evaluated impact, for one territory or the whole network."""
    done = select(Agreement.id).where(Agreement.status.in_(DONE))
    if territory_id is not None:
        done = done.where(_party_of(territory_id))
    count = session.scalar(select(func.count()).select_from(done.subquery())) or 0
    sums = session.execute(
        select(
            func.coalesce(func.sum(Evaluation.money_saved_eur), 0.0),
            func.coalesce(func.sum(Evaluation.kg_diverted), 0.0),
            func.coalesce(func.sum(Evaluation.co2e_net_kg), 0.0),
        ).where(Evaluation.agreement_id.in_(done))
    ).one()
    # COALESCE makes every sum a number; `or 0.0` only tells the type checker so.
    return Impact(count, float(sums[0] or 0.0), float(sums[1] or 0.0), float(sums[2] or 0.0))


@dataclass(frozen=True)
class NetworkFigures:
    territories: int
    offers: int
    needs: int
    impact: Impact


def network_figures(session: Session) -> NetworkFigures:
    """The home page's figures: member territories (with active staff), published listings, impact."""
    territories = session.scalar(
        select(func.count(func.distinct(User.territory_id))).where(
            User.is_active.is_(True), User.role.in_(rules.STAFF)
        )
    )
    by_kind = dict(
        session.execute(
            select(Listing.kind, func.count()).where(public_listings_filter(None)).group_by(Listing.kind)
        ).all()
    )
    return NetworkFigures(
        territories or 0, by_kind.get("offer", 0), by_kind.get("need", 0), impact_of(session)
    )


def update_presentation(
    session: Session, acting: User | None, code: str, text: str, version: int | None
) -> TerritoryProfile:
    """The territory's officials and technicians (or the facilitator) write its presentation."""
    territory = get_by_code(session, code)
    if not may_edit_presentation(acting, territory):
        raise PermissionDenied(N_("Only this territory's officials and technicians may edit its page."))
    assert acting is not None  # may_edit_presentation refused anyone anonymous
    text = (text or "").strip()
    if len(text) > MAX_PRESENTATION:
        raise RuleViolation(
            N_("The presentation is too long."), {"presentation": [N_("At most 8000 characters.")]}
        )
    profile = session.get(TerritoryProfile, territory.id)
    if profile is not None and version is not None and version != profile.version:
        raise Conflict(N_("Someone changed this presentation meanwhile: reload the page and try again."))
    with transaction(session):
        if profile is None:
            profile = TerritoryProfile(territory_id=territory.id, opened_at=utcnow())
            session.add(profile)
        profile.presentation = text
        profile.updated_at = utcnow()
        profile.updated_by_id = acting.id
        session.flush()
        record(session, acting.id, "territory.presentation", "territory", territory.id)
    return profile


def update_public_profile(
    session: Session, user: User, *, name: str, job_title: str, organisation: str, email_public: bool
) -> User:
    """A person's card on their territory's page; the e-mail shows only if they opt in."""
    if not (name or "").strip():
        raise RuleViolation(N_("Enter your name."), {"name": [N_("Enter your name.")]})
    with transaction(session):
        user.name = name.strip()[:200]
        user.job_title = (job_title or "").strip()[:200]
        user.organisation = (organisation or "").strip()[:200]
        user.email_public = bool(email_public)
        record(session, user.id, "user.profile", "user", user.id, email_public=user.email_public)
    return user


def actor_overview(session: Session, user: User) -> dict[str, int]:
    """What a local actor can do, with the figures that make it concrete."""
    needs = session.scalar(
        select(func.count()).select_from(Listing).where(Listing.status == "published", Listing.kind == "need")
    )
    mine = session.scalar(
        select(func.count())
        .select_from(Listing)
        .where(Listing.owner_id == user.id, Listing.status == "published")
    )
    following = session.scalar(
        select(func.count())
        .select_from(Agreement)
        .where(
            or_(Agreement.provider_actor_id == user.id, Agreement.beneficiary_actor_id == user.id),
            Agreement.status.not_in(("refused", "withdrawn", "expired", "cancelled", *DONE)),
        )
    )
    return {"needs": needs or 0, "mine": mine or 0, "agreements": following or 0}
