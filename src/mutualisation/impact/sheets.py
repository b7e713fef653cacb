"""Experience sheets: the use cases. Each checks permissions, applies the rules of
`sheet_rules.py`, writes, records an audit event and commits once.

Who may do what (named permissions, checked here so the web, the API and the CLI agree):
- anyone, visitors included, reads a published sheet, its revisions and its reactions;
- a draft is read and edited by its author, the staff (technicians and officials) of its
  territory and the admin;
- a technician, an official or an actor writes a sheet; a party drafts one from an evaluated agreement;
- only an official of the sheet's territory publishes it: the territory stands behind it;
- any active member reacts to a published sheet (reuse, comment, contradiction).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from .. import fulltext
from ..accounts.models import User
from ..accounts.permissions import ACTOR, OFFICIAL, TERRITORY_STAFF, is_admin, require
from ..agreements.models import Agreement
from ..agreements.permissions import can_read_agreement
from ..audit.services import record
from ..db import transaction, utcnow
from ..declarations import Policy
from ..errors import Conflict, NotFound, RuleViolation
from ..i18n import N_
from ..paths import resource_dir
from ..territories.models import Territory
from . import sheet_rules
from .dashboards import ImpactFilter, aggregate
from .models import Sheet, SheetAgreement, SheetReaction, SheetRevision

SHEET_INDEX = fulltext.TextIndex("sheets", Sheet.__table__.c.id, Sheet.__table__.c.search_document)
AUTHOR_ROLES = (*TERRITORY_STAFF, ACTOR)


@cache
def themes() -> tuple[sheet_rules.Theme, ...]:
    with (resource_dir("config") / "themes.toml").open("rb") as fh:
        return sheet_rules.load_themes(tomllib.load(fh))


def theme_codes() -> list[str]:
    return [t.code for t in themes()]


# Permissions ---------------------------------------------------------------------------------
def _active(user: Any) -> bool:
    return bool(user is not None and user.is_active)


def can_read_sheet(user: Any, sheet: Any) -> bool:
    return sheet.status == "published" or can_edit_sheet(user, sheet)


def can_edit_sheet(user: Any, sheet: Any) -> bool:
    if not _active(user):
        return False
    if is_admin(user) or user.id == sheet.author_id:
        return True
    return user.role in TERRITORY_STAFF and user.territory_id == sheet.territory_id


def can_create_sheet(user: Any, _obj: Any = None) -> bool:
    return _active(user) and user.role in AUTHOR_ROLES


def can_publish_sheet(user: Any, sheet: Any) -> bool:
    return _active(user) and user.role == OFFICIAL and user.territory_id == sheet.territory_id


def can_react_to_sheet(user: Any, sheet: Any) -> bool:
    return _active(user) and sheet.status == "published"


POLICIES: dict[str, Policy] = {
    "sheets:read": can_read_sheet,
    "sheets:edit": can_edit_sheet,
    "sheets:create": can_create_sheet,
    "sheets:publish": can_publish_sheet,
    "sheets:react": can_react_to_sheet,
}


# Reading -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SheetFilters:
    q: str | None = None
    theme: str | None = None
    territory: str | None = None  # INSEE code
    category: str | None = None


def search_published(
    session: Session, filters: SheetFilters, *, page: int = 1, per_page: int = 20
) -> tuple[list[Sheet], int]:
    """Published sheets matching the filters, the most relevant first when a text is searched,
    else the newest first, and their total."""
    query = select(Sheet).where(Sheet.status == "published")
    # A text without a word to look for (stopwords, punctuation) filters nothing, as on the listings'
    # browse page; both pages say so (templates/macros/search.html).
    text = fulltext.text_query(session, SHEET_INDEX, filters.q)
    order: list[Any] = [Sheet.published_at.desc(), Sheet.id.desc()]
    if text is not None:
        # The ranking's join selects the matching sheets: the word index is read once.
        ranked = text.ranked(session).subquery("ranked")
        query = query.join(ranked, ranked.c.id == Sheet.id)
        order.insert(0, ranked.c.relevance.desc())
    if filters.territory:
        query = query.join(Territory, Territory.id == Sheet.territory_id).where(
            Territory.code == filters.territory
        )
    if filters.category:
        query = query.where(Sheet.category == filters.category)
    if filters.theme:
        # Themes are a short JSON list of known codes (letters and "_"): matching the quoted code in
        # its text works the same on both databases.
        if filters.theme not in theme_codes():
            return [], 0
        quoted = filters.theme.replace("_", "\\_")
        query = query.where(cast(Sheet.themes, Text).like(f'%"{quoted}"%', escape="\\"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(*order)
    rows = session.scalars(ordered.offset((page - 1) * per_page).limit(per_page)).unique().all()
    return list(rows), total


def published_for_territory(session: Session, insee: str, limit: int = 10) -> list[Sheet]:
    """For a territory page: its published sheets, newest first."""
    items, _total = search_published(session, SheetFilters(territory=insee), per_page=limit)
    return items


def drafts_for(session: Session, user: User | None) -> list[Sheet]:
    """The drafts this user may edit (their own, and their territory's for staff)."""
    if not _active(user):
        return []
    assert user is not None  # an inactive or anonymous user has no drafts
    query = select(Sheet).where(Sheet.status == "draft")
    if not is_admin(user):
        if user.role in TERRITORY_STAFF:
            query = query.where((Sheet.territory_id == user.territory_id) | (Sheet.author_id == user.id))
        else:
            query = query.where(Sheet.author_id == user.id)
    return list(session.scalars(query.order_by(Sheet.updated_at.desc())).unique())


def get(session: Session, user: User | None, sheet_id: int) -> Sheet:
    sheet = session.get(Sheet, sheet_id)
    # A draft the caller may not read is answered as missing: its existence is not public.
    if sheet is None or not can_read_sheet(user, sheet):
        raise NotFound(N_("This sheet does not exist or is not published."))
    return sheet


def results(session: Session, sheet: Sheet) -> dict[str, Any] | None:
    """The figures of the agreements the sheet draws on (None when it draws on none)."""
    ids = sheet.agreement_ids
    if not ids:
        return None
    figures = aggregate(session, ImpactFilter(agreement_ids=tuple(ids)))
    figures.pop("by_month", None)
    return figures


def revisions(session: Session, user: User | None, sheet_id: int) -> list[SheetRevision]:
    return list(get(session, user, sheet_id).revisions)


def revision(session: Session, user: User | None, sheet_id: int, version: int) -> SheetRevision:
    found = next((r for r in revisions(session, user, sheet_id) if r.version == version), None)
    if found is None:
        raise NotFound(N_("This version does not exist."))
    return found


def diff(
    session: Session, user: User | None, sheet_id: int, old: int, new: int
) -> list[sheet_rules.FieldDiff]:
    before = revision(session, user, sheet_id, old)
    after = revision(session, user, sheet_id, new)
    return sheet_rules.diff_contents(before.content, after.content)


# Writing -------------------------------------------------------------------------------------
def _check(errors: dict[str, list[str]]) -> None:
    if errors:
        raise RuleViolation(N_("Please correct the fields marked."), errors)


def _refresh_document(session: Session, sheet: Sheet) -> None:
    labels = [t.fr for t in themes() if t.code in (sheet.themes or [])]
    sheet.search_document = sheet_rules.search_document(sheet.content(), labels)
    session.flush()
    fulltext.reindex(session, SHEET_INDEX, sheet.id, sheet.search_document)


def _add_revision(session: Session, sheet: Sheet, user: User, comment: str = "") -> None:
    session.add(
        SheetRevision(
            sheet=sheet,
            version=sheet.version,
            author_id=user.id,
            author_role=user.role,
            author_territory_id=user.territory_id,
            content=sheet.content(),
            comment=comment,
            created_at=utcnow(),
        )
    )


def _new_sheet(session: Session, user: User, content: dict[str, Any]) -> Sheet:
    now = utcnow()
    sheet = Sheet(
        territory_id=user.territory_id,
        author_id=user.id,
        status="draft",
        version=1,
        created_at=now,
        updated_at=now,
        population=content.get("population") or user.territory.population,
        **{k: v for k, v in content.items() if k != "population"},
    )
    session.add(sheet)
    session.flush()
    _add_revision(session, sheet, user, "created")
    _refresh_document(session, sheet)
    return sheet


def rule_errors(raw: dict[str, Any]) -> dict[str, list[str]]:
    """The sheet rules' field errors of a content, saving nothing (`web.show_rule_errors_too`)."""
    return sheet_rules.clean_sheet(raw, theme_codes())[1]


def create(session: Session, user: User | None, raw: dict[str, Any]) -> Sheet:
    require(user, "sheets:create", None, N_("Only technicians, officials and local actors write sheets."))
    assert user is not None  # require refused anyone anonymous
    content, errors = sheet_rules.clean_sheet(raw, theme_codes())
    _check(errors)
    with transaction(session):
        sheet = _new_sheet(session, user, content)
        record(session, user.id, "sheet.created", "sheet", sheet.id, version=1)
    return sheet


def _lock(session: Session, sheet_id: int) -> Sheet:
    stmt = (
        select(Sheet)
        .where(Sheet.id == sheet_id)
        .with_for_update(of=Sheet)
        .execution_options(populate_existing=True)
    )
    sheet = session.scalars(stmt).unique().one_or_none()
    if sheet is None:
        raise NotFound(N_("This sheet does not exist or is not published."))
    return sheet


def update(session: Session, user: User | None, sheet_id: int, raw: dict[str, Any], *, version: int) -> Sheet:
    """Edit a sheet: a new version with its author and date. A stale `version` is a 409."""
    with transaction(session):
        sheet = _lock(session, sheet_id)
        if not can_read_sheet(user, sheet):
            raise NotFound(N_("This sheet does not exist or is not published."))
        require(
            user, "sheets:edit", sheet, N_("Only the author and their territory's staff edit this sheet.")
        )
        assert user is not None  # require refused anyone anonymous
        if version != sheet.version:
            raise Conflict(N_("This sheet was changed by someone else meanwhile: reload it and edit again."))
        content, errors = sheet_rules.clean_sheet(raw, theme_codes(), partial=True)
        _check(errors)
        changed = {k: v for k, v in content.items() if getattr(sheet, k) != v}
        if not changed:
            return sheet
        for name, value in changed.items():
            setattr(sheet, name, value)
        sheet.version += 1
        sheet.updated_at = utcnow()
        _add_revision(session, sheet, user, str(raw.get("comment") or "")[:500])
        _refresh_document(session, sheet)
        record(
            session, user.id, "sheet.edited", "sheet", sheet.id, version=sheet.version, fields=sorted(changed)
        )
    return sheet


def publish(session: Session, user: User | None, sheet_id: int) -> Sheet:
    with transaction(session):
        sheet = _lock(session, sheet_id)
        if not can_read_sheet(user, sheet):
            raise NotFound(N_("This sheet does not exist or is not published."))
        require(user, "sheets:publish", sheet, N_("Only an official of the sheet's territory publishes it."))
        assert user is not None  # require refused anyone anonymous
        if sheet.status == "published":
            raise Conflict(N_("This sheet is already published."))
        sheet.status = "published"
        sheet.published_at = sheet.updated_at = utcnow()
        sheet.published_by_id = user.id
        record(session, user.id, "sheet.published", "sheet", sheet.id, version=sheet.version)
    return sheet


def react(session: Session, user: User | None, sheet_id: int, kind: Any, body: Any) -> SheetReaction:
    text, errors = sheet_rules.clean_reaction(kind, body)
    with transaction(session):
        sheet = get(session, user, sheet_id)
        require(user, "sheets:react", sheet, N_("Log in to react to a published sheet."))
        assert user is not None  # require refused anyone anonymous
        _check(errors)
        reaction = SheetReaction(
            sheet_id=sheet.id,
            kind=kind,
            body=text,
            author_id=user.id,
            author_role=user.role,
            territory_id=user.territory_id,
            sheet_version=sheet.version,
            created_at=utcnow(),
        )
        session.add(reaction)
        session.flush()
        record(session, user.id, f"sheet.{kind}", "sheet", sheet.id, reaction_id=reaction.id)
    return reaction


def draft_from_agreement(session: Session, user: User | None, agreement_id: int) -> Sheet:
    """A party of an evaluated agreement drafts a sheet prefilled with its evaluations and lessons."""
    agreement = session.get(Agreement, agreement_id)
    if agreement is None or not can_read_agreement(user, agreement):
        raise NotFound(N_("This agreement does not exist."))
    require(user, "sheets:create", None, N_("Only a party of the agreement drafts its sheet."))
    assert user is not None  # require refused anyone anonymous
    if agreement.status != "evaluated":
        # A party that has filed its own evaluation reads "once evaluated" as done: say that both are due.
        raise RuleViolation(
            N_("A sheet is drafted from an agreement once each party has filed its evaluation.")
        )
    content = sheet_rules.prefill_from_agreement(_agreement_facts(agreement), _evaluation_facts(agreement))
    content, errors = sheet_rules.clean_sheet(content, theme_codes())
    _check(errors)
    with transaction(session):
        sheet = _new_sheet(session, user, content)
        session.add(SheetAgreement(sheet_id=sheet.id, agreement_id=agreement.id))
        session.flush()
        record(session, user.id, "sheet.drafted_from_agreement", "sheet", sheet.id, agreement_id=agreement.id)
    session.refresh(sheet)
    return sheet


def _agreement_facts(agreement: Agreement) -> dict[str, Any]:
    terms = agreement.terms_at(agreement.approved_terms_version) or agreement.current_terms()
    listing = agreement.listing
    return {
        "title": agreement.title,
        "kind": agreement.kind,
        "provider": agreement.provider_territory.name,
        "beneficiary": agreement.beneficiary_territory.name,
        "lines": [line.get("description") for line in (terms.lines if terms else [])],
        "starts_on": terms.starts_on if terms else None,
        "ends_on": (agreement.extended_ends_on or terms.ends_on) if terms else None,
        "category": listing.category if listing else None,
    }


def _evaluation_facts(agreement: Agreement) -> list[dict[str, Any]]:
    return [{"side": e.side, "lessons_learned": e.lessons_learned} for e in agreement.evaluations]


def contradiction_count(session: Session, sheet_ids: list[int]) -> dict[int, int]:
    if not sheet_ids:
        return {}
    rows = session.execute(
        select(SheetReaction.sheet_id, func.count(SheetReaction.id))
        .where(SheetReaction.sheet_id.in_(sheet_ids), SheetReaction.kind == "contradiction")
        .group_by(SheetReaction.sheet_id)
    )
    return dict(rows.all())
