"""Pure rules of the way in: who may invite whom, and link tokens. No Flask, no database."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

ADMIN, TECHNICIAN, OFFICIAL, ACTOR = "admin", "technician", "official", "actor"
STAFF = (TECHNICIAN, OFFICIAL)

RESET_LIFETIME = timedelta(hours=1)


def may_invite(inviter_role: str, inviter_territory_id: int, role: str, territory_id: int) -> bool:
    """Issue 14: the facilitator invites a territory's technicians and officials (its first ones
    included); a territory's technicians and officials invite colleagues and local actors of their
    own territory; only an official or the facilitator invites an official. Nobody invites a
    facilitator: that stays a command-line decision."""
    if role not in (TECHNICIAN, OFFICIAL, ACTOR):
        return False
    if inviter_role == ADMIN:
        return role in STAFF
    if inviter_role not in STAFF or inviter_territory_id != territory_id:
        return False
    if role == OFFICIAL:
        return inviter_role == OFFICIAL
    return True


def roles_invitable_by(inviter_role: str) -> tuple[str, ...]:
    """The roles a form offers to this inviter (the service still checks the territory)."""
    return tuple(r for r in (TECHNICIAN, OFFICIAL, ACTOR) if may_invite(inviter_role, 0, r, 0))


def new_link_token() -> tuple[str, str]:
    """A 256-bit random token for a link, and the SHA-256 that is the only thing stored."""
    clear = secrets.token_urlsafe(32)
    return clear, hash_token(clear)


def hash_token(clear: str) -> str:
    # Random 256-bit tokens: a fast hash is enough (nothing to brute-force), unlike passwords.
    return hashlib.sha256(clear.strip().encode()).hexdigest()


def is_usable(expires_at: datetime, used_at: datetime | None, now: datetime) -> bool:
    return used_at is None and now < expires_at


def join_role(territory_has_staff: bool) -> str:
    """A request for a territory already in the network is a local actor's; otherwise the
    contact becomes the new territory's first technician."""
    return ACTOR if territory_has_staff else TECHNICIAN
