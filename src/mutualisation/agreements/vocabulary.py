"""The agreements' vocabularies: statuses, actions, roles, sides and kinds, each written once.

Pure (no Flask, no SQLAlchemy). The lifecycle, the models' CHECK constraints, the API schemas,
the forms, the labels and the demo all derive from these enums, so that a status cannot exist in
one place and be missing in another.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Status(StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    NEGOTIATING = "negotiating"
    ACCEPTED = "accepted"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    SIGNED = "signed"
    IN_PROGRESS = "in_progress"
    RETURNED = "returned"
    COMPLETED = "completed"
    EVALUATED = "evaluated"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


TERMINAL_STATUSES: Final = frozenset(
    {Status.EVALUATED, Status.REFUSED, Status.WITHDRAWN, Status.EXPIRED, Status.CANCELLED}
)


class Action(StrEnum):
    PROPOSE = "propose"
    COUNTER_PROPOSE = "counter_propose"
    ACCEPT = "accept"
    APPROVE = "approve"
    REFUSE = "refuse"
    SIGN = "sign"
    START = "start"
    REPORT_INCIDENT = "report_incident"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    RETURN = "return"
    COMPLETE = "complete"
    EVALUATE = "evaluate"
    WITHDRAW = "withdraw"
    CANCEL = "cancel"
    # An amendment (avenant) to a signed convention: new terms, approved and signed again.
    AMEND = "amend"
    # Only the scheduler performs these two.
    EXPIRE = "expire"
    AUTO_COMPLETE = "auto_complete"


SYSTEM_ACTIONS: Final = frozenset({Action.EXPIRE, Action.AUTO_COMPLETE})
HUMAN_ACTIONS: Final = tuple(a for a in Action if a not in SYSTEM_ACTIONS)


class Role:
    """User roles as the plain strings stored on users."""

    ADMIN: Final = "admin"
    TECHNICIAN: Final = "technician"
    OFFICIAL: Final = "official"
    ACTOR: Final = "actor"
    # No user holds this role: it is the scheduler's identity for system actions.
    SYSTEM: Final = "system"

    USER_ROLES: Final = (ADMIN, TECHNICIAN, OFFICIAL, ACTOR)


class Side(StrEnum):
    PROVIDER = "provider"
    BENEFICIARY = "beneficiary"

    @property
    def other(self) -> Side:
        return Side.BENEFICIARY if self is Side.PROVIDER else Side.PROVIDER


class PartyKind(StrEnum):
    TERRITORY = "territory"
    ACTOR = "actor"


class AgreementKind(StrEnum):
    LOAN = "loan"
    SERVICE = "service"
    KNOW_HOW = "know_how"


ALL_KINDS: Final = frozenset(AgreementKind)


class ReportKind(StrEnum):
    HANDOVER = "handover"
    INCIDENT = "incident"
    RETURN = "return"


class ApprovalDecision(StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"


class DecisionKind(StrEnum):
    """The act that authorises a territory's approval (French municipal law)."""

    DELIBERATION = "deliberation"  # délibération du conseil municipal
    ARRETE = "arrete"  # arrêté du maire
    DELEGATION = "delegation"  # décision du maire par délégation (art. L. 2122-22 CGCT)


class SignatureMethod(StrEnum):
    """How a party signed: a scan of the copy signed by hand, or an official's signature in the app."""

    UPLOAD = "upload"
    IN_APP = "in_app"


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The stored strings of an enum, in its order (for CHECK constraints and schema choices)."""
    return tuple(member.value for member in enum)
