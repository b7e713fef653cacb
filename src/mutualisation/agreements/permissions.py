"""Who may read and start agreements: the named permissions `agreements:read` and `agreements:create`.

Acting on an agreement is decided by the pure lifecycle (`lifecycle.decide`), not here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..accounts.permissions import ACTOR, TERRITORY_STAFF, is_admin
from .vocabulary import Side


def can_read_agreement(user: Any, agreement: Any) -> bool:
    """Parties read their agreements: the staff of a territory party, the actor of an actor party.

    The admin reads everything (to mediate). Local actors of a territory do not read their town
    hall's agreements: they are not the party.
    """
    if user is None or not user.is_active:
        return False
    if is_admin(user):
        return True
    return any(_is_party(user, agreement, side) for side in Side)


def _is_party(user: Any, agreement: Any, side: str) -> bool:
    actor_id = agreement.actor_id_of(side)
    if actor_id is None:
        return bool(user.role in TERRITORY_STAFF and user.territory_id == agreement.territory_id_of(side))
    return bool(user.role == ACTOR and user.id == actor_id)


def can_create_agreement(user: Any, _obj: Any = None) -> bool:
    return bool(user is not None and user.is_active and user.role in (*TERRITORY_STAFF, ACTOR))


POLICIES: Mapping[str, Callable[[Any, Any], bool]] = {
    "agreements:read": can_read_agreement,
    "agreements:create": can_create_agreement,
}
