"""The agreement lifecycle as data: statuses, actions, the transition table and its guards.

This module is pure (no Flask, no SQLAlchemy) so that every rule is tested without a database.
A service loads the agreement, builds an `AgreementState` and an `Actor`, calls `decide`, then,
inside its single transaction, stores `Decision.target_status`, applies `Decision.effects` and
writes the history row. The same guards feed `allowed_actions`, so the buttons a user sees and the
checks a service enforces cannot disagree.

Choices made where DOMAIN.md is silent (each one is tested):
- `accepted` is never at rest. `accept` moves on at once to `pending_approval` when any party is a
  territory, or straight to `approved` when both parties are local actors (approval only exists on
  behalf of territories). The `PassedThrough(ACCEPTED)` effect tells the history to record both steps.
- An admin acts for nobody: they read everything and are told about incidents so that they can
  mediate, but the state machine only moves on a party's (or the scheduler's) action.
- A territory's signature is an official's: French practice has the mayor or a delegate sign.
- The provider records the return, because the provider gets the item back and checks its condition.
- A loan is completed only after its return; a service or a transfer of know-how is completed
  straight from `in_progress`.
- An extension beyond the approved period is flagged when requested (the service compares dates);
  when the deciding party is a territory, only its official may then decide.
- Cancelling is possible from acceptance until the handover; once the resource has changed hands
  the agreement ends through return and completion (with incidents mediated by an admin).
- An official whose territory has approved can no longer refuse: the approval is a recorded
  decision, and undoing it goes through a cancellation with its reason.
- A loan's handover needs a condition report (the basis for billing damage); a service's does not.
- Effects describe what changes besides the status (new terms version, approval, signature,
  extension decided, …); the service stores them, for example clearing the pending extension on
  `ExtensionDecided`, so that the next `AgreementState` it builds is up to date.

Checks run in a fixed order, so that the answer never depends on luck: the cell (status, action),
the agreement kind and the pending extension (`InvalidTransition`), then who acts
(`PermissionDenied`), then the terms version the caller saw (`Conflict`), then what this side
already did (`InvalidTransition`), and last the payload (`RuleViolation` with field messages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from mutualisation.errors import Conflict, DomainError, InvalidTransition, PermissionDenied, RuleViolation
from mutualisation.impact.calculations import EVALUATION_FIELDS, validate_evaluation


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
    # Only the scheduler performs these two.
    EXPIRE = "expire"
    AUTO_COMPLETE = "auto_complete"


SYSTEM_ACTIONS: Final = frozenset({Action.EXPIRE, Action.AUTO_COMPLETE})


class Role:
    """User roles as the plain strings stored on users (see DOMAIN.md, "People and roles")."""

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
    """What the lifecycle needs to know about an agreement, and nothing more."""

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
        if sorted(p.side for p in self.parties) != sorted(Side):
            raise ValueError("an agreement has exactly one provider and one beneficiary")
        provider, beneficiary = self.party(Side.PROVIDER), self.party(Side.BENEFICIARY)
        if (provider.kind, provider.territory_code, provider.actor_user_id) == (
            beneficiary.kind,
            beneficiary.territory_code,
            beneficiary.actor_user_id,
        ):
            raise ValueError("a party cannot make an agreement with itself")
        if self.extension_pending != (self.extension_requested_by is not None):
            raise ValueError("a pending extension needs the side that requested it")

    def party(self, side: Side) -> Party:
        return next(p for p in self.parties if p.side == side)

    @property
    def territories_to_approve(self) -> frozenset[str]:
        return frozenset(p.territory_code for p in self.parties if p.kind is PartyKind.TERRITORY)

    @property
    def respondent_side(self) -> Side | None:
        """The side that must answer the latest terms (the one that did not propose them)."""
        return None if self.last_proposer_side is None else self.last_proposer_side.other


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
    `accept` passes through `accepted` on its way to approval (see the module docstring).
    """

    target: Status
    who: Who
    kinds: frozenset[AgreementKind] = ALL_KINDS
    requires: tuple[str, ...] = ()
    collective: Collective | None = None


_LOAN: Final = frozenset({AgreementKind.LOAN})
_NOT_LOAN: Final = ALL_KINDS - _LOAN

S, A = Status, Action
TRANSITIONS: Final[Mapping[tuple[Status, Action], Transition]] = MappingProxyType(
    {
        (S.DRAFT, A.PROPOSE): Transition(S.PROPOSED, Who.AUTHOR),
        (S.DRAFT, A.WITHDRAW): Transition(S.WITHDRAWN, Who.AUTHOR),
        (S.PROPOSED, A.COUNTER_PROPOSE): Transition(S.NEGOTIATING, Who.RESPONDENT, requires=("terms",)),
        (S.PROPOSED, A.ACCEPT): Transition(S.ACCEPTED, Who.RESPONDENT),
        (S.PROPOSED, A.WITHDRAW): Transition(S.WITHDRAWN, Who.AUTHOR),
        (S.PROPOSED, A.EXPIRE): Transition(S.EXPIRED, Who.SYSTEM),
        (S.NEGOTIATING, A.COUNTER_PROPOSE): Transition(S.NEGOTIATING, Who.RESPONDENT, requires=("terms",)),
        (S.NEGOTIATING, A.ACCEPT): Transition(S.ACCEPTED, Who.RESPONDENT),
        (S.NEGOTIATING, A.WITHDRAW): Transition(S.WITHDRAWN, Who.AUTHOR),
        (S.NEGOTIATING, A.EXPIRE): Transition(S.EXPIRED, Who.SYSTEM),
        (S.PENDING_APPROVAL, A.APPROVE): Transition(
            S.APPROVED, Who.APPROVER, collective=Collective.APPROVALS
        ),
        (S.PENDING_APPROVAL, A.REFUSE): Transition(S.REFUSED, Who.APPROVER, requires=("reason",)),
        (S.PENDING_APPROVAL, A.CANCEL): Transition(S.CANCELLED, Who.EITHER_PARTY, requires=("reason",)),
        (S.APPROVED, A.SIGN): Transition(S.SIGNED, Who.SIGNATORY, collective=Collective.SIGNATURES),
        (S.APPROVED, A.CANCEL): Transition(S.CANCELLED, Who.EITHER_PARTY, requires=("reason",)),
        (S.SIGNED, A.START): Transition(S.IN_PROGRESS, Who.EITHER_PARTY),
        (S.SIGNED, A.CANCEL): Transition(S.CANCELLED, Who.EITHER_PARTY, requires=("reason",)),
        (S.IN_PROGRESS, A.REPORT_INCIDENT): Transition(S.IN_PROGRESS, Who.EITHER_PARTY, requires=("report",)),
        (S.IN_PROGRESS, A.REQUEST_EXTENSION): Transition(
            S.IN_PROGRESS, Who.EITHER_PARTY, requires=("ends_on",)
        ),
        (S.IN_PROGRESS, A.DECIDE_EXTENSION): Transition(
            S.IN_PROGRESS, Who.EXTENSION_DECIDER, requires=("decision",)
        ),
        (S.IN_PROGRESS, A.RETURN): Transition(S.RETURNED, Who.PROVIDER, kinds=_LOAN, requires=("report",)),
        (S.IN_PROGRESS, A.COMPLETE): Transition(S.COMPLETED, Who.EITHER_PARTY, kinds=_NOT_LOAN),
        (S.RETURNED, A.COMPLETE): Transition(S.COMPLETED, Who.EITHER_PARTY),
        (S.RETURNED, A.AUTO_COMPLETE): Transition(S.COMPLETED, Who.SYSTEM),
        (S.COMPLETED, A.EVALUATE): Transition(
            S.EVALUATED, Who.EITHER_PARTY, collective=Collective.EVALUATIONS
        ),
    }
)
del S, A


# Effects: what the service must do besides storing the new status. They are plain values so that
# tests can compare them and the service can dispatch on their type.
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
class ApprovalRecorded(Effect):
    territory_code: str
    decision_reference: str | None


@dataclass(frozen=True)
class RefusalRecorded(Effect):
    territory_code: str
    reason: str
    decision_reference: str | None


@dataclass(frozen=True)
class ConventionDocumentRequested(Effect):
    """Generate the printable convention, which DOMAIN.md ties to the approval."""


@dataclass(frozen=True)
class SignatureRecorded(Effect):
    side: Side


@dataclass(frozen=True)
class ReportRecorded(Effect):
    kind: str  # "handover", "incident" or "return"
    text: str | None


@dataclass(frozen=True)
class MediationRequested(Effect):
    """Tell the admins, who mediate incidents."""


@dataclass(frozen=True)
class ExtensionRequested(Effect):
    side: Side
    ends_on: Any
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


def allowed_actions(state: AgreementState, actor: Actor) -> list[Action]:
    """The actions this user may attempt now (the payload is checked only when they do)."""
    allowed = []
    for action in Action:
        try:
            _authorise(state, actor, action)
        except DomainError:
            continue
        allowed.append(action)
    return allowed


def decide(
    state: AgreementState, actor: Actor, action: Action | str, payload: Mapping[str, Any] | None = None
) -> Decision:
    """Check that `actor` may perform `action` on `state` with `payload`, and say what follows.

    Raises InvalidTransition, PermissionDenied, Conflict or RuleViolation (see the module docstring
    for the order). Never mutates anything.
    """
    payload = payload or {}
    action, transition, side = _authorise(state, actor, action, payload)
    _check_payload(state, action, transition, payload)
    return _resolve(state, action, transition, side, payload)


def _authorise(
    state: AgreementState, actor: Actor, action: Action | str, payload: Mapping[str, Any] | None = None
) -> tuple[Action, Transition, Side | None]:
    try:
        action = Action(action)
    except ValueError:
        raise InvalidTransition("This action does not exist.") from None
    transition = TRANSITIONS.get((state.status, action))
    if transition is None:
        raise InvalidTransition("This action is not possible in the agreement's current status.")
    if state.agreement_kind not in transition.kinds:
        if action is Action.RETURN:
            raise InvalidTransition("Only a loan can be returned.")
        raise InvalidTransition("A loan must be returned before it is completed.")
    if action is Action.REQUEST_EXTENSION and state.extension_pending:
        raise InvalidTransition("An extension request is already pending.")
    if action is Action.DECIDE_EXTENSION and not state.extension_pending:
        raise InvalidTransition("No extension request is pending.")
    side = _acting_side(state, actor, transition)
    # The scheduler acts on the latest state, so only people can act on stale terms.
    seen_version = (payload or {}).get("version")
    if action not in SYSTEM_ACTIONS and seen_version is not None and seen_version != state.terms_version:
        raise Conflict("The terms have changed since you read them. Please reload the agreement.")
    _check_not_done_yet(state, actor, action, side)
    return action, transition, side


def _acting_side(state: AgreementState, actor: Actor, transition: Transition) -> Side | None:
    if transition.who is Who.SYSTEM:
        if actor.role != Role.SYSTEM:
            raise PermissionDenied("Only the scheduler does this.")
        return None
    if actor.role == Role.SYSTEM:
        raise PermissionDenied("The scheduler cannot do this.")
    if transition.who is Who.APPROVER and actor.role != Role.OFFICIAL:
        raise PermissionDenied("Only an elected official can approve or refuse an agreement.")
    sides = party_sides_of(actor, state)
    if not sides:
        if transition.who is Who.APPROVER:
            raise PermissionDenied("You can only decide on behalf of your own territory.")
        raise PermissionDenied("You are not a party to this agreement.")
    # A user acts for at most one side: AgreementState forbids a party from facing itself.
    (side,) = sides
    party = state.party(side)
    match transition.who:
        case Who.AUTHOR if side != state.author_side:
            raise PermissionDenied("Only the author of the agreement can do this.")
        case Who.RESPONDENT if side != state.respondent_side:
            raise PermissionDenied("It is up to the other party to answer these terms.")
        case Who.PROVIDER if side is not Side.PROVIDER:
            raise PermissionDenied("Only the provider can record the return.")
        case Who.SIGNATORY if party.kind is PartyKind.TERRITORY and actor.role != Role.OFFICIAL:
            raise PermissionDenied("Only an elected official can sign on behalf of a territory.")
        case Who.EXTENSION_DECIDER if side == state.extension_requested_by:
            raise PermissionDenied("The other party decides on this extension.")
        case Who.EXTENSION_DECIDER if (
            state.extension_beyond_approval
            and party.kind is PartyKind.TERRITORY
            and actor.role != Role.OFFICIAL
        ):
            raise PermissionDenied("An extension beyond the approved period needs an elected official.")
    return side


def _check_not_done_yet(state: AgreementState, actor: Actor, action: Action, side: Side | None) -> None:
    if action is Action.APPROVE and actor.territory_code in state.approvals:
        raise InvalidTransition("Your territory has already approved this agreement.")
    if action is Action.REFUSE and actor.territory_code in state.approvals:
        # An approval is a recorded decision; undoing it goes through a reasoned cancellation.
        raise InvalidTransition("Your territory has already approved this agreement.")
    if action is Action.SIGN and side in state.signatures:
        raise InvalidTransition("This party has already signed.")
    if action is Action.EVALUATE and side in state.evaluations:
        raise InvalidTransition("This party has already evaluated the agreement.")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == {}


# Free-text transition fields: the schema should already hand over strings, but `.strip()` must
# never meet anything else.
TEXT_FIELDS: Final = ("reason", "report", "decision_reference", "comment")


def _optional_text(value: str | None) -> str | None:
    return None if _is_blank(value) else value.strip()  # type: ignore[union-attr]


_REQUIRED_MESSAGES: Final = {
    "reason": "A reason is required.",
    "terms": "New terms are required.",
    "report": "A report is required.",
    "ends_on": "The new end date is required.",
    "decision": "Choose to approve or refuse.",
}


def _check_payload(
    state: AgreementState, action: Action, transition: Transition, payload: Mapping[str, Any]
) -> None:
    errors: dict[str, list[str]] = {}
    for name in TEXT_FIELDS:
        if payload.get(name) is not None and not isinstance(payload[name], str):
            errors[name] = ["Enter some text."]
    for name in transition.requires:
        if name not in errors and _is_blank(payload.get(name)):
            errors[name] = [_REQUIRED_MESSAGES[name]]
    ends_on = payload.get("ends_on")
    if action is Action.REQUEST_EXTENSION and ends_on is not None and not isinstance(ends_on, dt.date):
        errors["ends_on"] = ["Enter a valid date."]
    if (
        action is Action.START
        and state.agreement_kind is AgreementKind.LOAN
        and _is_blank(payload.get("report"))
    ):
        # French practice: a loan's handover comes with a condition report, the basis for any damage claim.
        errors["report"] = ["A handover report is required for a loan."]
    decision = payload.get("decision")
    if (
        action is Action.DECIDE_EXTENSION
        and "decision" not in errors
        and decision not in ("approve", "refuse")
    ):
        errors["decision"] = [_REQUIRED_MESSAGES["decision"]]
    if action in (Action.PROPOSE, Action.COUNTER_PROPOSE) and "terms" not in errors:
        terms = payload.get("terms")
        if terms is not None and not isinstance(terms, Mapping):
            errors["terms"] = ["The terms are not valid."]
        elif terms is not None and "kind" in terms and terms["kind"] not in set(AgreementKind):
            errors["terms"] = ["Choose a loan, a service or a transfer of know-how."]
    if action is Action.EVALUATE:
        errors.update(validate_evaluation(payload))
    if errors:
        raise RuleViolation("Please correct the highlighted fields.", fields=errors)


def _resolve(
    state: AgreementState,
    action: Action,
    transition: Transition,
    side: Side | None,
    payload: Mapping[str, Any],
) -> Decision:
    reason = payload.get("reason")
    match action:
        case Action.PROPOSE | Action.COUNTER_PROPOSE:
            assert side is not None
            effect = TermsVersionCreated(state.terms_version + 1, side, payload.get("terms"))
            return Decision(transition.target, (effect,), side)
        case Action.ACCEPT:
            return _settle_acceptance(state, side)
        case Action.APPROVE:
            code = state.party(side).territory_code  # type: ignore[arg-type]
            effects: tuple[Effect, ...] = (
                ApprovalRecorded(code, _optional_text(payload.get("decision_reference"))),
            )
            if state.approvals | {code} >= state.territories_to_approve:
                return Decision(Status.APPROVED, (*effects, ConventionDocumentRequested()), side)
            return Decision(Status.PENDING_APPROVAL, effects, side)
        case Action.REFUSE:
            code = state.party(side).territory_code  # type: ignore[arg-type]
            refusal = RefusalRecorded(code, reason.strip(), _optional_text(payload.get("decision_reference")))
            return Decision(transition.target, (refusal, ListingsReleased()), side)
        case Action.SIGN:
            assert side is not None
            done = state.signatures | {side} == set(Side)
            return Decision(Status.SIGNED if done else state.status, (SignatureRecorded(side),), side)
        case Action.START:
            return Decision(transition.target, (ReportRecorded("handover", payload.get("report")),), side)
        case Action.REPORT_INCIDENT:
            effects = (ReportRecorded("incident", payload["report"]), MediationRequested())
            return Decision(transition.target, effects, side)
        case Action.REQUEST_EXTENSION:
            assert side is not None
            beyond = bool(payload.get("beyond_approved_period", False))
            return Decision(transition.target, (ExtensionRequested(side, payload["ends_on"], beyond),), side)
        case Action.DECIDE_EXTENSION:
            assert side is not None
            effect = ExtensionDecided(side, payload["decision"] == "approve")
            return Decision(transition.target, (effect,), side)
        case Action.RETURN:
            return Decision(transition.target, (ReportRecorded("return", payload["report"]),), side)
        case Action.COMPLETE | Action.AUTO_COMPLETE:
            return Decision(transition.target, (ListingsFulfilled(),), side)
        case Action.EVALUATE:
            assert side is not None
            fields = {k: payload[k] for k in EVALUATION_FIELDS if k in payload}
            done = state.evaluations | {side} == set(Side)
            target = Status.EVALUATED if done else state.status
            return Decision(target, (EvaluationRecorded(side, fields),), side)
        case Action.WITHDRAW:
            effects = (ReasonGiven(reason.strip()),) if not _is_blank(reason) else ()
            return Decision(transition.target, effects, side)
        case Action.CANCEL:
            return Decision(transition.target, (ReasonGiven(reason.strip()), ListingsReleased()), side)
        case Action.EXPIRE:
            return Decision(transition.target, (), side)
    raise AssertionError(f"no resolution for {action}")  # pragma: no cover - the table is exhaustive


def _settle_acceptance(state: AgreementState, side: Side | None) -> Decision:
    """Both parties agree: go on to approval, or skip it when no territory is a party."""
    effects: list[Effect] = [PassedThrough(Status.ACCEPTED), ListingsReserved()]
    territories = state.territories_to_approve
    if territories:
        effects.append(ApprovalsRequested(territories))
        return Decision(Status.PENDING_APPROVAL, tuple(effects), side)
    effects.append(ConventionDocumentRequested())
    return Decision(Status.APPROVED, tuple(effects), side)
