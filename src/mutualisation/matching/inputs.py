"""What a category's suggestions are computed from, hashed: a full recompute skips unchanged categories.

A category's top-k lists depend only on its published listings, the configuration, the
cooperations and the rules' code. `inputs_keys` hashes, per category, the category's data
version (`matching_state`, bumped by every ORM flush of its listings) together with the count,
sum of ids and latest `updated_at` of its published listings, which also catch bulk writes that
bypass the ORM (`demo synth`, imports). A full recompute stores each category's key once its
suggestions are written (`matching_state.computed_inputs`); the next one, finding the same key,
reads nothing else of that category and writes nothing for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..listings.models import Listing
from .config import MatchingConfig
from .models import MatchingState
from .snapshots import State

# The pure core's modules: a change to the rules recomputes every category.
_RULE_MODULES = ("arrays", "breakdown", "candidates", "config", "diff", "scoring", "search", "topk")


@cache
def rules_digest() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=16)
    for name in _RULE_MODULES:
        path = here / f"{name}.py"
        digest.update(path.read_bytes() if path.exists() else name.encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Aggregate:
    """Cheap facts about one category's published listings, read in one grouped query."""

    count: int
    id_sum: int
    last_update: str


def aggregates(session: Session) -> dict[str, Aggregate]:
    """Every category having published listings, with its `Aggregate` (one query)."""
    stmt = (
        select(Listing.category, func.count(), func.sum(Listing.id), func.max(Listing.updated_at))
        .where(Listing.status == "published")
        .group_by(Listing.category)
    )
    return {c: Aggregate(int(n), int(s or 0), str(u)) for c, n, s, u in session.execute(stmt)}


def inputs_key(
    category: str, state: State, aggregate: Aggregate, cfg: MatchingConfig, coop: Iterable[tuple[int, int]]
) -> str:
    material = "|".join(
        (
            rules_digest(),
            repr(sorted(vars(cfg).items())),
            repr(sorted((min(a, b), max(a, b)) for a, b in coop)),
            category,
            str(state.epoch),
            str(state.version),
            repr(aggregate),
        )
    )
    return hashlib.blake2b(material.encode(), digest_size=24).hexdigest()


def computed(session: Session) -> dict[str, str | None]:
    """Each category's stored key (None: never computed, or invalidated)."""
    rows = session.execute(select(MatchingState.category, MatchingState.computed_inputs))
    return {c: k for c, k in rows}


def store(session: Session, keys: dict[str, str | None]) -> None:
    """Record the keys the suggestions now reflect, in the recompute's transaction."""
    for category, key in sorted(keys.items()):
        session.execute(
            update(MatchingState).where(MatchingState.category == category).values(computed_inputs=key)
        )
