"""What the lifecycle needs to know about an agreement and about who acts on it.

Pure (no Flask, no SQLAlchemy). The service builds these values from stored rows
(`state.state_of`, `state.actor_of`); `lifecycle.decide` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .vocabulary import AgreementKind, PartyKind, Role, Side, Status


@dataclass(frozen=True)
class Party:
    """One side of an agreement: a territory, or a local actor (who still belongs to a territory)."""

    side: Side
    kind: PartyKind
    territory_code: str
    actor_user_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", Side(self.side))
        object.__setattr__(self, "kind", PartyKind(self.kind))
        if not self.territory_code:
            raise ValueError("a party needs a territory code")
        if (self.kind is PartyKind.ACTOR) != (self.actor_user_id is not None):
            raise ValueError("an actor party needs its user id, and only an actor party has one")


@dataclass(frozen=True)
class Actor:
    """The user who acts, as far as the lifecycle needs to know them."""

    user_id: int | None
    role: str
    territory_code: str | None


SYSTEM: Final = Actor(user_id=None, role=Role.SYSTEM, territory_code=None)


@dataclass(frozen=True)
class AgreementState:
    """What the lifecycle needs to know about an agreement, and nothing more.

    `__post_init__` also accepts the plain strings of stored columns and turns them into enum
    members, then checks the invariants.
    """

    status: Status
    agreement_kind: AgreementKind
    parties: tuple[Party, ...]
    author_side: Side
    last_proposer_side: Side | None = None
    terms_version: int = 0
    approvals: frozenset[str] = frozenset()
    signatures: frozenset[Side] = frozenset()
    evaluations: frozenset[Side] = frozenset()
    extension_pending: bool = False
    # Who asked for the pending extension: the other side decides on it.
    extension_requested_by: Side | None = None
    # Set when the pending extension goes beyond the approved period (computed by the service).
    extension_beyond_approval: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "status", Status(self.status))
        set_(self, "agreement_kind", AgreementKind(self.agreement_kind))
        set_(self, "parties", tuple(self.parties))
        set_(self, "author_side", Side(self.author_side))
        if self.last_proposer_side is not None:
            set_(self, "last_proposer_side", Side(self.last_proposer_side))
        if self.extension_requested_by is not None:
            set_(self, "extension_requested_by", Side(self.extension_requested_by))
        set_(self, "approvals", frozenset(self.approvals))
        set_(self, "signatures", frozenset(Side(s) for s in self.signatures))
        set_(self, "evaluations", frozenset(Side(s) for s in self.evaluations))
        self._check_parties()
        if self.extension_pending != (self.extension_requested_by is not None):
            raise ValueError("a pending extension needs the side that requested it")

    def _check_parties(self) -> None:
        if sorted(p.side for p in self.parties) != sorted(Side):
            raise ValueError("an agreement has exactly one provider and one beneficiary")
        provider, beneficiary = self.party(Side.PROVIDER), self.party(Side.BENEFICIARY)
        if (provider.kind, provider.territory_code, provider.actor_user_id) == (
            beneficiary.kind,
            beneficiary.territory_code,
            beneficiary.actor_user_id,
        ):
            raise ValueError("a party cannot make an agreement with itself")

    def party(self, side: Side) -> Party:
        return next(p for p in self.parties if p.side == side)

    @property
    def territories_to_approve(self) -> frozenset[str]:
        return frozenset(p.territory_code for p in self.parties if p.kind is PartyKind.TERRITORY)

    @property
    def respondent_side(self) -> Side | None:
        """The side that must answer the latest terms (the one that did not propose them)."""
        return None if self.last_proposer_side is None else self.last_proposer_side.other


def party_sides_of(actor: Actor, state: AgreementState) -> frozenset[Side]:
    """The sides this user may act for: their territory's party, or their own actor party.

    Admins and the scheduler act for no side; an actor never acts for a territory, and a
    technician or an official never acts for a local actor, even one of their territory.
    """
    if actor.role in (Role.TECHNICIAN, Role.OFFICIAL) and actor.territory_code:
        return frozenset(
            p.side
            for p in state.parties
            if p.kind is PartyKind.TERRITORY and p.territory_code == actor.territory_code
        )
    if actor.role == Role.ACTOR and actor.user_id is not None:
        return frozenset(
            p.side for p in state.parties if p.kind is PartyKind.ACTOR and p.actor_user_id == actor.user_id
        )
    return frozenset()


@dataclass(frozen=True)
class Awaited:
    """Who the agreement waits for at the steps every party takes in turn: a page names them, so
    that a party who has approved, signed or evaluated is not left reading "nothing to do"."""

    approvals: tuple[str, ...] = ()  # territory codes whose official has not approved yet
    signatures: tuple[Side, ...] = ()
    evaluations: tuple[Side, ...] = ()


def awaited(state: AgreementState) -> Awaited:
    """The approvals, signatures or evaluations the agreement's current status still waits for."""
    if state.status is Status.PENDING_APPROVAL:
        return Awaited(approvals=tuple(sorted(state.territories_to_approve - state.approvals)))
    if state.status is Status.APPROVED:
        return Awaited(signatures=tuple(s for s in Side if s not in state.signatures))
    if state.status is Status.COMPLETED:
        return Awaited(evaluations=tuple(s for s in Side if s not in state.evaluations))
    return Awaited()
