"""What a lifecycle decision says: the target status and the effects besides it.

Pure (no Flask, no SQLAlchemy). Effects are plain values so that tests can compare them and the
service can look their handler up by type (`effects.HANDLERS`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .vocabulary import Side, Status


@dataclass(frozen=True)
class Effect:
    pass


@dataclass(frozen=True)
class TermsVersionCreated(Effect):
    """Store the new terms version; `proposer_side` becomes the last proposer."""

    version: int
    proposer_side: Side
    terms: Mapping[str, Any] | None


@dataclass(frozen=True)
class PassedThrough(Effect):
    """The agreement went through this status on the way: the history records both steps."""

    status: Status


@dataclass(frozen=True)
class ListingsReserved(Effect):
    pass


@dataclass(frozen=True)
class ListingsReleased(Effect):
    """An accepted agreement ended early: its listings are available again."""


@dataclass(frozen=True)
class ListingsFulfilled(Effect):
    pass


@dataclass(frozen=True)
class ApprovalsRequested(Effect):
    """Tell the officials of these territories that their approval is awaited."""

    territory_codes: frozenset[str]


@dataclass(frozen=True)
class DecisionAct:
    """The act that carries a territory's decision: its kind and date (its number is the
    approval's `decision_reference`)."""

    kind: str | None = None  # a DecisionKind
    date: dt.date | None = None


@dataclass(frozen=True)
class ApprovalRecorded(Effect):
    territory_code: str
    decision_reference: str | None
    act: DecisionAct = DecisionAct()


@dataclass(frozen=True)
class RefusalRecorded(Effect):
    territory_code: str
    reason: str
    decision_reference: str | None
    act: DecisionAct = DecisionAct()


@dataclass(frozen=True)
class ConventionDocumentRequested(Effect):
    """Generate the printable convention, which the domain rules tie to the approval."""


@dataclass(frozen=True)
class SignatureRecorded(Effect):
    side: Side
    method: str = "in_app"  # a SignatureMethod


@dataclass(frozen=True)
class AmendmentStarted(Effect):
    """A signed convention is amended: a new avenant, approved and signed again."""


@dataclass(frozen=True)
class ReportRecorded(Effect):
    kind: str  # a ReportKind: "handover", "incident" or "return"
    text: str | None


@dataclass(frozen=True)
class MediationRequested(Effect):
    """Tell the admins, who mediate incidents."""


@dataclass(frozen=True)
class ExtensionRequested(Effect):
    side: Side
    ends_on: dt.date
    beyond_approval: bool


@dataclass(frozen=True)
class ExtensionDecided(Effect):
    side: Side
    approved: bool


@dataclass(frozen=True)
class EvaluationRecorded(Effect):
    side: Side
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class ReasonGiven(Effect):
    reason: str


@dataclass(frozen=True)
class Decision:
    target_status: Status
    effects: tuple[Effect, ...] = ()
    # The side the actor acted for; None for the scheduler.
    acting_side: Side | None = None
