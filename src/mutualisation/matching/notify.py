"""One in-app notification per active owner and run, for the new suggestions worth telling."""

from __future__ import annotations

import numpy as np
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, lazyload

from ..accounts.models import User
from ..i18n import N_, NP_
from ..notifications.services import notify
from .arrays import Array
from .config import MatchingConfig
from .diff import PairScores
from .reading import owners as read_owners
from .rows import Fingerprints
from .snapshots import Snapshot
from .writers import CHUNK

NOTIFY_KIND = "matching.new_suggestion"
# Built once (an incremental update with new pairs asks it): building it cost more than running it.
# Without the territory a user otherwise loads joined: a notice needs the id and the language only.
_ACTIVE_USERS = (
    select(User)
    .options(lazyload(User.territory))
    .where(User.id.in_(bindparam("ids", expanding=True)), User.is_active.is_(True))
)


def _owners(
    session: Session, listing_ids: set[int], snapshot: Snapshot | None, fingerprints: Fingerprints | None
) -> dict[int, int]:
    # Owners are known from the listings already in memory; the database is asked for the rest.
    found = snapshot.owners(listing_ids) if snapshot is not None else {}
    if fingerprints is not None:
        for i in listing_ids:
            owner = fingerprints.owner(i)
            if owner is not None:
                found[i] = owner
    missing = sorted(listing_ids - set(found))
    for start in range(0, len(missing), CHUNK):
        found.update(read_owners(session, missing[start : start + CHUNK]))
    return found


def _per_owner(listing_ids: Array, owners: dict[int, int]) -> tuple[list[int], list[int], list[int]]:
    """(owner ids, how many of the listings each owns, one of them), owners sorted."""
    owner = np.asarray([owners[i] for i in listing_ids.tolist()], dtype=np.int64)
    order = np.argsort(owner, kind="stable")
    found, first, count = np.unique(owner[order], return_index=True, return_counts=True)
    return found.tolist(), count.tolist(), listing_ids[order][first].tolist()


def notify_new(
    session: Session,
    new_pairs: PairScores,
    cfg: MatchingConfig,
    snapshot: Snapshot | None = None,
    fingerprints: Fingerprints | None = None,
) -> None:
    """One in-app notification per owner and run, for new pairs scoring at least `notify_score`.

    Vectorised: a first full recompute has over a million new pairs.
    """
    worthy = new_pairs.score >= cfg.notify_score
    if not worthy.any():
        return
    listing_ids = np.unique(np.concatenate([new_pairs.offer_id[worthy], new_pairs.need_id[worthy]]))
    owners = _owners(session, set(listing_ids.tolist()), snapshot, fingerprints)
    owner_ids, counts, firsts = _per_owner(listing_ids, owners)
    users = {}
    for start in range(0, len(owner_ids), CHUNK):
        chunk = owner_ids[start : start + CHUNK]
        # An inactive account cannot log in: a notice would never be read (synthetic networks give
        # thousands of such owners, and one notice costs a flush).
        users.update({u.id: u for u in session.scalars(_ACTIVE_USERS, {"ids": chunk})})
    for owner_id, count, first in zip(owner_ids, counts, firsts, strict=True):
        user = users.get(owner_id)
        if user is None:
            continue
        one = first if count == 1 else None
        notify(
            session,
            user,
            NOTIFY_KIND,
            N_("New matching suggestions"),
            NP_(
                "One of your listings has new suggestions.",
                "%(count)s of your listings have new suggestions.",
            ),
            object_type="listing" if one else None,
            object_id=one,
            link=f"/listings/{one}/suggestions" if one else "/",
            count=count,
        )
