"""A synthetic network of offers and needs over real communes, for benchmarks.

Listings land on communes drawn at random, weighted by population (people, and so
listings, gather in towns), and are written with bulk inserts: 100,000 rows take seconds.
Each commune used gets its own owner, an inactive technician account that cannot log in
(`SYNTH_EMAIL_DOMAIN`, an unusable password hash), so that the engine pairs listings of
different communes as it would in a real network (it never pairs one owner's listings).
The matching benchmark and `mutualisation demo synth` both call `synthesise`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from ..accounts.models import User, new_session_token
from ..db import transaction, utcnow
from ..errors import RuleViolation
from ..i18n import N_
from ..territories.models import Territory
from ..territories.search import normalize
from .categories import taxonomy
from .lifecycle import ListingStatus
from .models import Listing

# `.invalid` is reserved (RFC 2606): no mail to a synthetic owner can ever be delivered.
SYNTH_EMAIL_DOMAIN = "synthetic.mutualisation.invalid"
# Not an argon2 hash: verification always fails, so nobody can log in as a synthetic owner.
UNUSABLE_PASSWORD = "!synthetic"  # noqa: S105 - deliberately not a password
CHUNK = 10_000
WORDS = (
    "mutualisation",
    "prêt",
    "commune",
    "transition",
    "printemps",
    "été",
    "automne",
    "hiver",
    "association",
    "école",
    "cantine",
    "chantier",
    "festival",
    "marché",
    "jardin",
)
# Roughly what a live network holds: mostly published, some in the other statuses.
STATUS_WEIGHTS = {
    ListingStatus.PUBLISHED.value: 0.8,
    ListingStatus.DRAFT.value: 0.05,
    ListingStatus.RESERVED.value: 0.05,
    ListingStatus.FULFILLED.value: 0.04,
    ListingStatus.EXPIRED.value: 0.03,
    ListingStatus.WITHDRAWN.value: 0.03,
}


KIND_WORD = {"offer": "offre", "need": "besoin"}
DISTANCES = (50.0, 100.0, 200.0, 500.0)


@cache
def norm(text: str) -> str:
    return normalize(text)


@dataclass(frozen=True)
class SynthReport:
    offers: int
    needs: int
    seconds: float


def synth_email(commune_code: str) -> str:
    """The synthetic owner's address for one commune."""
    return f"commune-{commune_code}@{SYNTH_EMAIL_DOMAIN}"


class _Owners:
    """One inactive technician per commune used, created in bulk on first use, reused afterwards."""

    def __init__(self, session: Session) -> None:
        self.session = session
        pattern = f"%@{SYNTH_EMAIL_DOMAIN}"
        rows = session.execute(select(User.territory_id, User.id).where(User.email.like(pattern)))
        self.by_commune: dict[int, int] = {int(t): int(u) for t, u in rows}

    def ensure(self, communes: list[Any]) -> None:
        missing = {c.id: c for c in communes if c.id not in self.by_commune}
        if not missing:
            return
        now = utcnow()
        rows = [
            {
                "email": synth_email(c.code),
                "name": f"Réseau synthétique — {c.name}",
                "organisation": "Banc d'essai",
                "role": "technician",
                "territory_id": c.id,
                "password_hash": UNUSABLE_PASSWORD,
                "is_active": False,  # nobody logs in as a synthetic owner
                "session_token": new_session_token(),
                "created_at": now,
            }
            for c in missing.values()
        ]
        self.session.execute(insert(cast(Table, User.__table__)), rows)
        emails = [r["email"] for r in rows]
        for start in range(0, len(emails), 5000):
            stmt = select(User.territory_id, User.id).where(User.email.in_(emails[start : start + 5000]))
            self.by_commune.update({int(t): int(u) for t, u in self.session.execute(stmt)})

    def __getitem__(self, commune_id: int) -> int:
        return self.by_commune[commune_id]


@dataclass(frozen=True)
class _Pool:
    """What synthetic listings are drawn from: communes weighted by population, subcategories,
    statuses weighted as in a live network."""

    communes: list[Any]
    weights: np.ndarray
    subcategories: list[tuple[str, str, str]]
    statuses: list[str]
    status_p: np.ndarray


def _pool(session: Session) -> _Pool:
    communes = list(
        session.execute(
            select(
                Territory.id,
                Territory.code,
                Territory.name,
                Territory.latitude,
                Territory.longitude,
                Territory.population,
            )
            .where(Territory.kind == "commune", Territory.latitude.is_not(None))
            # The draws pick communes by position: without an order, PostgreSQL returns them in
            # its heap's order, which an update changes, so one seed gave another network there
            # than on SQLite (72,000 of 200,000 listings in other communes).
            .order_by(Territory.id)
        ).all()
    )
    if not communes:
        raise RuleViolation(N_("Load the communes gazetteer first."))
    population = np.array([max(c.population or 0, 1) for c in communes], dtype=np.float64)
    subcategories = [(c.code, s.code, s.label_fr) for c in taxonomy().categories for s in c.subcategories]
    status_p = np.array(list(STATUS_WEIGHTS.values()))
    status_p /= status_p.sum()
    return _Pool(communes, population / population.sum(), subcategories, list(STATUS_WEIGHTS), status_p)


@dataclass(frozen=True)
class _Draw:
    """The random choices of one synthetic listing."""

    n: int
    commune: Any
    subcategory: tuple[str, str, str]
    status: str
    words: tuple[str, str]
    jitter: tuple[float, float]


def _row(draw: _Draw, *, offers: int, first_id: int, owner_id: int, created: datetime) -> dict[str, Any]:
    """One listing row (the database indexes its search text by itself)."""
    n, commune = draw.n, draw.commune
    category, subcategory, label = draw.subcategory
    kind = "offer" if n < offers else "need"
    word_a, word_b = draw.words
    # normalize() is the slow part at this volume: assemble from cached pieces.
    parts = (KIND_WORD[kind], norm(label), norm(commune.name), norm(label), norm(word_a), norm(word_b))
    shareable = category in ("skill", "know_how")
    return {
        "id": first_id + n,
        "kind": kind,
        "category": category,
        "subcategory": subcategory,
        "title": f"{'Offre' if kind == 'offer' else 'Besoin'} : {label} ({commune.name})",
        "description": f"{label} — {word_a}, {word_b}. Annonce synthétique n° {n}.",
        "search_text": " ".join(parts) + f" annonce synthetique n {n}",
        "inexhaustible": shareable and bool(n % 2),
        "remote_possible": shareable and n % 3 == 0,
        "max_distance_km": DISTANCES[n % len(DISTANCES)],
        "latitude": float(commune.latitude + draw.jitter[0]),
        "longitude": float(commune.longitude + draw.jitter[1]),
        "territory_id": commune.id,
        "owner_id": owner_id,
        "status": draw.status,
        "created_at": created,
        "updated_at": created,
        "published_at": created,
    }


def _draws(rng: np.random.Generator, pool: _Pool, start: int, size: int) -> list[_Draw]:
    """One chunk's random choices (drawn in this order, so a seed always gives the same network)."""
    picks = rng.choice(len(pool.communes), size=size, p=pool.weights)
    subs = rng.integers(0, len(pool.subcategories), size=size)
    status_idx = rng.choice(len(pool.statuses), size=size, p=pool.status_p)
    jitter = rng.normal(0, 0.01, size=(size, 2))
    words = rng.integers(0, len(WORDS), size=(size, 2))
    return [
        _Draw(
            start + i,
            pool.communes[int(picks[i])],
            pool.subcategories[int(subs[i])],
            pool.statuses[int(status_idx[i])],
            (WORDS[words[i, 0]], WORDS[words[i, 1]]),
            (float(jitter[i, 0]), float(jitter[i, 1])),
        )
        for i in range(size)
    ]


def synthesise(session: Session, offers: int, needs: int, *, seed: int = 0) -> SynthReport:
    started = time.perf_counter()
    pool = _pool(session)
    rng = np.random.default_rng(seed)
    now = utcnow()
    with transaction(session):
        owners = _Owners(session)
        # Explicit ids, and ages falling as they grow: the newest listings have the highest ids,
        # as in a live network.
        first_id = (session.scalar(select(func.max(Listing.id))) or 0) + 1
        total = offers + needs
        ages = np.sort(rng.integers(0, 365 * 24 * 60, size=total))[::-1]
        for start in range(0, total, CHUNK):
            rows = []
            draws = _draws(rng, pool, start, min(CHUNK, total - start))
            owners.ensure([d.commune for d in draws])
            for draw in draws:
                owner_id = owners[draw.commune.id]
                created = now - timedelta(minutes=int(ages[draw.n]))
                row = _row(draw, offers=offers, first_id=first_id, owner_id=owner_id, created=created)
                rows.append(row)
            session.execute(insert(cast(Table, Listing.__table__)), rows)
        if session.get_bind().dialect.name == "postgresql":
            session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('listings', 'id'), (SELECT max(id) FROM listings))"
                )
            )
    return SynthReport(offers, needs, time.perf_counter() - started)
