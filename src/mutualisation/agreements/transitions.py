"""The transition table as data: for each (status, action) cell, where it leads and who may act.

Pure (no Flask, no SQLAlchemy). `lifecycle.decide` reads it; the oracle test
(`tests/unit/agreements/test_lifecycle.py`) checks every cell against expectations written by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from .vocabulary import ALL_KINDS, Action, AgreementKind, Status


class Who(StrEnum):
    """Who may perform the action of a cell."""

    AUTHOR = "author"
    RESPONDENT = "respondent"  # the side that did not propose the latest terms
    EITHER_PARTY = "either_party"
    APPROVER = "approver"  # an official of a territory party, for that territory
    SIGNATORY = "signatory"  # an official for a territory party, the actor themselves otherwise
    EXTENSION_DECIDER = "extension_decider"  # the side that did not ask for the extension
    PROVIDER = "provider"
    SYSTEM = "system"


class Collective(StrEnum):
    """Actions each territory or side performs once; the status moves only when all have."""

    APPROVALS = "approvals"
    SIGNATURES = "signatures"
    EVALUATIONS = "evaluations"


@dataclass(frozen=True)
class Transition:
    """One cell of the table.

    `target` is where the agreement ends up, except that a collective action stays in its source
    status until every territory (approvals) or side (signatures, evaluations) has acted, and that
    `accept` passes through `accepted` on its way to approval (see `lifecycle`'s docstring).
    """

    target: Status
    who: Who
    kinds: frozenset[AgreementKind] = ALL_KINDS
    requires: tuple[str, ...] = ()
    collective: Collective | None = None


_LOAN: Final = frozenset({AgreementKind.LOAN})
_NOT_LOAN: Final = ALL_KINDS - _LOAN
_REASON: Final = ("reason",)
_REPORT: Final = ("report",)
_TERMS: Final = ("terms",)

S, A = Status, Action
TRANSITIONS: Final[Mapping[tuple[Status, Action], Transition]] = MappingProxyType(
    {
        (S.DRAFT, A.PROPOSE): Transition(S.PROPOSED, Who.AUTHOR),
        (S.DRAFT, A.WITHDRAW): Transition(S.WITHDRAWN, Who.AUTHOR),
        (S.PROPOSED, A.COUNTER_PROPOSE): Transition(S.NEGOTIATING, Who.RESPONDENT, requires=_TERMS),
        (S.PROPOSED, A.ACCEPT): Transition(S.ACCEPTED, Who.RESPONDENT),
        (S.PROPOSED, A.WITHDRAW): Transition(S.WITHDRAWN, Who.AUTHOR),
        (S.PROPOSED, A.EXPIRE): Transition(S.EXPIRED, Who.SYSTEM),
        (S.NEGOTIATING, A.COUNTER_PROPOSE): Transition(S.NEGOTIATING, Who.RESPONDENT, requires=_TERMS),
        (S.NEGOTIATING, A.ACCEPT): Transition(S.ACCEPTED, Who.RESPONDENT),
        (S.NEGOTIATING, A.WITHDRAW): Transition(S.WITHDRAWN, Who.AUTHOR),
        (S.NEGOTIATING, A.EXPIRE): Transition(S.EXPIRED, Who.SYSTEM),
        (S.PENDING_APPROVAL, A.APPROVE): Transition(
            S.APPROVED, Who.APPROVER, collective=Collective.APPROVALS
        ),
        (S.PENDING_APPROVAL, A.REFUSE): Transition(S.REFUSED, Who.APPROVER, requires=_REASON),
        (S.PENDING_APPROVAL, A.CANCEL): Transition(S.CANCELLED, Who.EITHER_PARTY, requires=_REASON),
        (S.APPROVED, A.SIGN): Transition(S.SIGNED, Who.SIGNATORY, collective=Collective.SIGNATURES),
        (S.APPROVED, A.CANCEL): Transition(S.CANCELLED, Who.EITHER_PARTY, requires=_REASON),
        (S.SIGNED, A.START): Transition(S.IN_PROGRESS, Who.EITHER_PARTY),
        (S.SIGNED, A.CANCEL): Transition(S.CANCELLED, Who.EITHER_PARTY, requires=_REASON),
        # The signed convention is frozen: changing it takes an avenant, approved again.
        (S.SIGNED, A.AMEND): Transition(S.PENDING_APPROVAL, Who.EITHER_PARTY, requires=_TERMS),
        (S.IN_PROGRESS, A.REPORT_INCIDENT): Transition(S.IN_PROGRESS, Who.EITHER_PARTY, requires=_REPORT),
        (S.IN_PROGRESS, A.REQUEST_EXTENSION): Transition(
            S.IN_PROGRESS, Who.EITHER_PARTY, requires=("ends_on",)
        ),
        (S.IN_PROGRESS, A.DECIDE_EXTENSION): Transition(
            S.IN_PROGRESS, Who.EXTENSION_DECIDER, requires=("decision",)
        ),
        (S.IN_PROGRESS, A.RETURN): Transition(S.RETURNED, Who.PROVIDER, kinds=_LOAN, requires=_REPORT),
        (S.IN_PROGRESS, A.COMPLETE): Transition(S.COMPLETED, Who.EITHER_PARTY, kinds=_NOT_LOAN),
        (S.RETURNED, A.COMPLETE): Transition(S.COMPLETED, Who.EITHER_PARTY),
        (S.RETURNED, A.AUTO_COMPLETE): Transition(S.COMPLETED, Who.SYSTEM),
        (S.COMPLETED, A.EVALUATE): Transition(
            S.EVALUATED, Who.EITHER_PARTY, collective=Collective.EVALUATIONS
        ),
    }
)
del S, A
