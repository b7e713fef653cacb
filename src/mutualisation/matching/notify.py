"""One in-app notification per active owner and run, for the new suggestions worth telling."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import N_, NP_
from .config import MatchingConfig
from .reading import owners as read_owners
from .rows import Fingerprints
from .snapshots import Snapshot
from .writers import CHUNK

NOTIFY_KIND = "matching.new_suggestion"


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


def notify_new(
    session: Session,
    new_pairs: list[tuple[int, int, float]],
    cfg: MatchingConfig,
    snapshot: Snapshot | None = None,
    fingerprints: Fingerprints | None = None,
) -> None:
    """One in-app notification per owner and run, for new pairs scoring at least `notify_score`."""
    worthy = [(o, n) for o, n, s in new_pairs if s >= cfg.notify_score]
    if not worthy:
        return
    from ..accounts.models import User
    from ..notifications.services import notify

    owners = _owners(session, {i for pair in worthy for i in pair}, snapshot, fingerprints)
    per_owner: dict[int, set[int]] = defaultdict(set)
    for o, n in worthy:
        per_owner[owners[o]].add(o)
        per_owner[owners[n]].add(n)
    owner_ids = sorted(per_owner)
    users = {}
    for start in range(0, len(owner_ids), CHUNK):
        chunk = owner_ids[start : start + CHUNK]
        # An inactive account cannot log in: a notice would never be read (synthetic networks give
        # thousands of such owners, and one notice costs a flush).
        active = select(User).where(User.id.in_(chunk), User.is_active.is_(True))
        users.update({u.id: u for u in session.scalars(active)})
    for owner_id, listings in per_owner.items():
        user = users.get(owner_id)
        if user is None:
            continue
        one = next(iter(listings)) if len(listings) == 1 else None
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
            count=len(listings),
        )
