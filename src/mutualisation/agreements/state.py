"""From stored rows to the pure lifecycle's values, and the parties of a new agreement.

`state_of` builds the `AgreementState` that `lifecycle.decide` reads; `allowed_actions` and
`side_of_user` answer the pages' questions with the same rules as the services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..accounts.models import User
from ..accounts.permissions import ACTOR
from ..listings.models import Listing
from ..territories.models import Territory
from . import lifecycle
from .lifecycle_state import awaited
from .models import Agreement
from .vocabulary import AgreementKind, PartyKind, Side, Status

# A party as stored on an agreement: (territory id, actor user id or None).
PartyKey = tuple[int, int | None]


def actor_of(user: User | None) -> lifecycle.Actor:
    if user is None:
        return lifecycle.SYSTEM
    return lifecycle.Actor(user_id=user.id, role=user.role, territory_code=user.territory.code)


def party_of(agreement: Agreement, side: str) -> lifecycle.Party:
    actor_id = agreement.actor_id_of(side)
    return lifecycle.Party(
        side=Side(side),
        kind=PartyKind.ACTOR if actor_id is not None else PartyKind.TERRITORY,
        territory_code=agreement.territory_of(side).code,
        actor_user_id=actor_id,
    )


def _side(value: str | None) -> Side | None:
    return None if value is None else Side(value)


def state_of(agreement: Agreement) -> lifecycle.AgreementState:
    return lifecycle.AgreementState(
        status=Status(agreement.status),
        agreement_kind=AgreementKind(agreement.kind),
        parties=(party_of(agreement, Side.PROVIDER), party_of(agreement, Side.BENEFICIARY)),
        author_side=Side(agreement.author_side),
        last_proposer_side=_side(agreement.last_proposer_side),
        terms_version=agreement.terms_version,
        approvals=frozenset(
            a.territory.code for a in agreement.current_approvals() if a.decision == "approve"
        ),
        signatures=frozenset(Side(s.side) for s in agreement.current_signatures()),
        evaluations=frozenset(Side(e.side) for e in agreement.evaluations),
        extension_pending=agreement.extension_requested_by is not None,
        extension_requested_by=_side(agreement.extension_requested_by),
        extension_beyond_approval=agreement.extension_beyond_approval,
    )


def allowed_actions(agreement: Agreement, user: User | None) -> list[str]:
    if user is None:
        return []
    return [str(a) for a in lifecycle.allowed_actions(state_of(agreement), actor_of(user))]


@dataclass(frozen=True)
class AwaitedParties:
    """`lifecycle_state.Awaited` for a page: the territories and sides it names."""

    approvals: list[Territory]
    signatures: list[str]
    evaluations: list[str]


def awaited_parties(agreement: Agreement) -> AwaitedParties:
    found = awaited(state_of(agreement))
    territories = [agreement.territory_of(side) for side in Side if agreement.actor_id_of(side) is None]
    return AwaitedParties(
        approvals=[t for t in territories if t.code in found.approvals],
        signatures=[str(side) for side in found.signatures],
        evaluations=[str(side) for side in found.evaluations],
    )


def side_of_user(agreement: Agreement, user: User | None) -> str | None:
    if user is None:
        return None
    sides = lifecycle.party_sides_of(actor_of(user), state_of(agreement))
    return str(next(iter(sides))) if sides else None


def territory_id_for_code(agreement: Agreement, code: str) -> int:
    for side in Side:
        if agreement.actor_id_of(side) is None and agreement.territory_of(side).code == code:
            return agreement.territory_id_of(side)
    raise AssertionError("approval for a territory that is not a party")  # pragma: no cover


def beyond_approval(agreement: Agreement, ends_on: dt.date) -> bool:
    """Whether an extension to `ends_on` goes beyond the approved (or already extended) period."""
    approved = agreement.terms_at(agreement.approved_terms_version)
    limit = agreement.extended_ends_on or (approved.ends_on if approved else None)
    return limit is not None and ends_on > limit


def listing_party(listing: Listing) -> PartyKey:
    """A listing owned by an actor makes the actor the party; otherwise its territory is."""
    if listing.owner.role == ACTOR:
        return listing.territory_id, listing.owner_id
    return listing.territory_id, None


def caller_party(user: User) -> PartyKey:
    if user.role == ACTOR:
        return user.territory_id, user.id
    return user.territory_id, None


def kind_for(listing: Listing | None) -> AgreementKind:
    """The usual kind of agreement for a listing's category."""
    category = listing.category if listing is not None else None
    kinds = {"equipment": AgreementKind.LOAN, "know_how": AgreementKind.KNOW_HOW}
    return kinds.get(category or "", AgreementKind.SERVICE)
