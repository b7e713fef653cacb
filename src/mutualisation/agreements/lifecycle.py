"""The agreement lifecycle as data: statuses, actions, the transition table and its guards.

This module is pure (no Flask, no SQLAlchemy) so that every rule is tested without a database.
A service loads the agreement, builds an `AgreementState` and an `Actor`, calls `decide`, then,
inside its single transaction, stores `Decision.target_status`, applies `Decision.effects` and
writes the history row. The same guards feed `allowed_actions`, so the buttons a user sees and the
checks a service enforces cannot disagree.

Choices made where the domain rules are silent (each one is tested):
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from mutualisation.agreements.evaluation import EVALUATION_FIELDS, validate_evaluation
from mutualisation.errors import Conflict, DomainError, InvalidTransition, PermissionDenied, RuleViolation
from mutualisation.i18n import N_

from .lifecycle_state import SYSTEM, Actor, AgreementState, Party, party_sides_of
from .outcomes import (
    AmendmentStarted,
    ApprovalRecorded,
    ApprovalsRequested,
    ConventionDocumentRequested,
    Decision,
    DecisionAct,
    Effect,
    EvaluationRecorded,
    ExtensionDecided,
    ExtensionRequested,
    ListingsFulfilled,
    ListingsReleased,
    ListingsReserved,
    MediationRequested,
    PassedThrough,
    ReasonGiven,
    RefusalRecorded,
    ReportRecorded,
    SignatureRecorded,
    TermsVersionCreated,
)
from .transitions import TRANSITIONS, Collective, Transition, Who
from .vocabulary import (
    ALL_KINDS,
    SYSTEM_ACTIONS,
    TERMINAL_STATUSES,
    Action,
    AgreementKind,
    DecisionKind,
    PartyKind,
    ReportKind,
    Role,
    Side,
    SignatureMethod,
    Status,
)

# The names below are the lifecycle's public vocabulary: importers may keep using `lifecycle.X`.
__all__ = [
    "ALL_KINDS",
    "SYSTEM",
    "SYSTEM_ACTIONS",
    "TERMINAL_STATUSES",
    "TEXT_FIELDS",
    "TRANSITIONS",
    "Action",
    "Actor",
    "AgreementKind",
    "AgreementState",
    "AmendmentStarted",
    "ApprovalRecorded",
    "ApprovalsRequested",
    "Collective",
    "ConventionDocumentRequested",
    "Decision",
    "DecisionAct",
    "Effect",
    "EvaluationRecorded",
    "ExtensionDecided",
    "ExtensionRequested",
    "ListingsFulfilled",
    "ListingsReleased",
    "ListingsReserved",
    "MediationRequested",
    "Party",
    "PartyKind",
    "PassedThrough",
    "ReasonGiven",
    "RefusalRecorded",
    "ReportRecorded",
    "Role",
    "Side",
    "SignatureRecorded",
    "Status",
    "TermsVersionCreated",
    "Transition",
    "Who",
    "allowed_actions",
    "decide",
    "party_sides_of",
]


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
    return _RESOLVERS[action](_Step(state, transition, side, payload))


# Who may act -------------------------------------------------------------------------------------
def _authorise(
    state: AgreementState, actor: Actor, action: Action | str, payload: Mapping[str, Any] | None = None
) -> tuple[Action, Transition, Side | None]:
    action, transition = _cell(state, action)
    side = _acting_side(state, actor, transition)
    # The scheduler acts on the latest state, so only people can act on stale terms.
    seen_version = (payload or {}).get("version")
    if action not in SYSTEM_ACTIONS and seen_version is not None and seen_version != state.terms_version:
        raise Conflict(N_("The terms have changed since you read them. Please reload the agreement."))
    _check_not_done_yet(state, actor, action, side)
    return action, transition, side


def _cell(state: AgreementState, action: Action | str) -> tuple[Action, Transition]:
    """The table's cell for this action, or why there is none (the kind, a pending extension)."""
    try:
        action = Action(action)
    except ValueError:
        raise InvalidTransition(N_("This action does not exist.")) from None
    transition = TRANSITIONS.get((state.status, action))
    if transition is None:
        raise InvalidTransition(N_("This action is not possible in the agreement's current status."))
    if state.agreement_kind not in transition.kinds:
        if action is Action.RETURN:
            raise InvalidTransition(N_("Only a loan can be returned."))
        raise InvalidTransition(N_("A loan must be returned before it is completed."))
    if action is Action.REQUEST_EXTENSION and state.extension_pending:
        raise InvalidTransition(N_("An extension request is already pending."))
    if action is Action.DECIDE_EXTENSION and not state.extension_pending:
        raise InvalidTransition(N_("No extension request is pending."))
    return action, transition


def _acting_side(state: AgreementState, actor: Actor, transition: Transition) -> Side | None:
    if transition.who is Who.SYSTEM:
        if actor.role != Role.SYSTEM:
            raise PermissionDenied(N_("Only the scheduler does this."))
        return None
    if actor.role == Role.SYSTEM:
        raise PermissionDenied(N_("The scheduler cannot do this."))
    if transition.who is Who.APPROVER and actor.role != Role.OFFICIAL:
        raise PermissionDenied(N_("Only an elected official can approve or refuse an agreement."))
    sides = party_sides_of(actor, state)
    if not sides:
        if transition.who is Who.APPROVER:
            raise PermissionDenied(N_("You can only decide on behalf of your own territory."))
        raise PermissionDenied(N_("You are not a party to this agreement."))
    # A user acts for at most one side: AgreementState forbids a party from facing itself.
    (side,) = sides
    refusal = _role_refusal(state, actor, transition.who, side)
    if refusal is not None:
        raise PermissionDenied(refusal)
    return side


def _role_refusal(state: AgreementState, actor: Actor, who: Who, side: Side) -> str | None:
    """Why this side (and this user's role) may not play the cell's part, or None if they may."""
    is_territory = state.party(side).kind is PartyKind.TERRITORY
    not_official = actor.role != Role.OFFICIAL
    match who:
        case Who.AUTHOR if side != state.author_side:
            return N_("Only the author of the agreement can do this.")
        case Who.RESPONDENT if side != state.respondent_side:
            return N_("It is up to the other party to answer these terms.")
        case Who.PROVIDER if side is not Side.PROVIDER:
            return N_("Only the provider can record the return.")
        case Who.SIGNATORY if is_territory and not_official:
            return N_("Only an elected official can sign on behalf of a territory.")
        case Who.EXTENSION_DECIDER if side == state.extension_requested_by:
            return N_("The other party decides on this extension.")
        case Who.EXTENSION_DECIDER if state.extension_beyond_approval and is_territory and not_official:
            return N_("An extension beyond the approved period needs an elected official.")
    return None


def _check_not_done_yet(state: AgreementState, actor: Actor, action: Action, side: Side | None) -> None:
    if action is Action.APPROVE and actor.territory_code in state.approvals:
        raise InvalidTransition(N_("Your territory has already approved this agreement."))
    if action is Action.REFUSE and actor.territory_code in state.approvals:
        # An approval is a recorded decision; undoing it goes through a reasoned cancellation.
        raise InvalidTransition(N_("Your territory has already approved this agreement."))
    if action is Action.SIGN and side in state.signatures:
        raise InvalidTransition(N_("This party has already signed."))
    if action is Action.EVALUATE and side in state.evaluations:
        raise InvalidTransition(N_("This party has already evaluated the agreement."))


# The payload -------------------------------------------------------------------------------------
def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == {}


# Free-text transition fields: the schema should already hand over strings, but `.strip()` must
# never meet anything else.
TEXT_FIELDS: Final = ("reason", "report", "decision_reference", "comment")


def _optional_text(value: Any) -> str | None:
    return None if _is_blank(value) else str(value).strip()


def _text(value: Any) -> str:
    """A required text field, already checked as present and a string by `_check_payload`."""
    return str(value).strip()


_REQUIRED_MESSAGES: Final = {
    "reason": N_("A reason is required."),
    "terms": N_("New terms are required."),
    "report": N_("A report is required."),
    "ends_on": N_("The new end date is required."),
    "decision": N_("Choose to approve or refuse."),
}

Errors = dict[str, list[str]]


def _check_payload(
    state: AgreementState, action: Action, transition: Transition, payload: Mapping[str, Any]
) -> None:
    errors: Errors = {}
    for name in TEXT_FIELDS:
        if payload.get(name) is not None and not isinstance(payload[name], str):
            errors[name] = [N_("Enter some text.")]
    for name in transition.requires:
        if name not in errors and _is_blank(payload.get(name)):
            errors[name] = [_REQUIRED_MESSAGES[name]]
    check = _ACTION_CHECKS.get(action)
    if check is not None:
        check(state, payload, errors)
    if errors:
        raise RuleViolation(N_("Please correct the highlighted fields."), fields=errors)


def _check_extension_date(_state: AgreementState, payload: Mapping[str, Any], errors: Errors) -> None:
    ends_on = payload.get("ends_on")
    if ends_on is not None and not isinstance(ends_on, dt.date):
        errors["ends_on"] = [N_("Enter a valid date.")]


def _check_handover(state: AgreementState, payload: Mapping[str, Any], errors: Errors) -> None:
    if state.agreement_kind is AgreementKind.LOAN and _is_blank(payload.get("report")):
        # French practice: a loan's handover comes with a condition report, the basis for any damage claim.
        errors["report"] = [N_("A handover report is required for a loan.")]


def _check_extension_decision(_state: AgreementState, payload: Mapping[str, Any], errors: Errors) -> None:
    if "decision" not in errors and payload.get("decision") not in ("approve", "refuse"):
        errors["decision"] = [_REQUIRED_MESSAGES["decision"]]


def _check_terms(_state: AgreementState, payload: Mapping[str, Any], errors: Errors) -> None:
    terms = payload.get("terms")
    if "terms" in errors or terms is None:
        return
    if not isinstance(terms, Mapping):
        errors["terms"] = [N_("The terms are not valid.")]
    elif "kind" in terms and terms["kind"] not in set(AgreementKind):
        errors["terms"] = [N_("Choose a loan, a service or a transfer of know-how.")]


# `agreements.evaluation.validate_evaluation` answers in plain English: its messages are marked here
# so that they are extracted and translated when the error is shown.
_EVALUATION_MESSAGES: Final = (
    N_("Satisfaction is required."),
    N_("Satisfaction must be a whole number from 1 to 5."),
    N_("Choose a vehicle from the list."),
    N_("Choose the vehicle used for the kilometres travelled."),
)


def _check_decision_act(_state: AgreementState, payload: Mapping[str, Any], errors: Errors) -> None:
    """The act of an approval: a known kind, a real date, not after today (given by the service)."""
    kind, date, today = payload.get("decision_kind"), payload.get("decision_date"), payload.get("today")
    if kind is not None and kind not in set(DecisionKind):
        errors["decision_kind"] = [N_("Choose a délibération, an arrêté or a decision by delegation.")]
    if date is not None and not isinstance(date, dt.date):
        errors["decision_date"] = [N_("Enter a valid date.")]
    elif date is None and kind is not None:
        errors["decision_date"] = [N_("The date of the decision is required.")]
    elif isinstance(date, dt.date) and isinstance(today, dt.date) and date > today:
        errors["decision_date"] = [N_("The decision cannot be dated in the future.")]


def _check_signature(_state: AgreementState, payload: Mapping[str, Any], errors: Errors) -> None:
    if payload.get("method", SignatureMethod.IN_APP) not in set(SignatureMethod):
        errors["method"] = [N_("Choose to sign in the app or to upload the signed scan.")]


def _check_evaluation(_state: AgreementState, payload: Mapping[str, Any], errors: Errors) -> None:
    errors.update(validate_evaluation(payload))


_ACTION_CHECKS: Final[Mapping[Action, Callable[[AgreementState, Mapping[str, Any], Errors], None]]] = {
    Action.REQUEST_EXTENSION: _check_extension_date,
    Action.START: _check_handover,
    Action.DECIDE_EXTENSION: _check_extension_decision,
    Action.PROPOSE: _check_terms,
    Action.COUNTER_PROPOSE: _check_terms,
    Action.AMEND: _check_terms,
    Action.APPROVE: _check_decision_act,
    Action.REFUSE: _check_decision_act,
    Action.SIGN: _check_signature,
    Action.EVALUATE: _check_evaluation,
}


# What follows: one resolver per action -----------------------------------------------------------
@dataclass(frozen=True)
class _Step:
    """An authorised, checked action: what the resolvers need to say what follows."""

    state: AgreementState
    transition: Transition
    side: Side | None
    payload: Mapping[str, Any]

    @property
    def acting(self) -> Side:
        """The acting side, for the actions only a party performs (`_acting_side` set it)."""
        assert self.side is not None
        return self.side

    def to_target(self, *effects: Effect) -> Decision:
        return Decision(self.transition.target, effects, self.side)


def _propose(step: _Step) -> Decision:
    version = step.state.terms_version + 1
    return step.to_target(TermsVersionCreated(version, step.acting, step.payload.get("terms")))


def _accept(step: _Step) -> Decision:
    """Both parties agree: go on to approval, or skip it when no territory is a party."""
    effects: list[Effect] = [PassedThrough(Status.ACCEPTED), ListingsReserved()]
    territories = step.state.territories_to_approve
    if territories:
        effects.append(ApprovalsRequested(territories))
        return Decision(Status.PENDING_APPROVAL, tuple(effects), step.side)
    effects.append(ConventionDocumentRequested())
    return Decision(Status.APPROVED, tuple(effects), step.side)


def _approve(step: _Step) -> Decision:
    state = step.state
    code = state.party(step.acting).territory_code
    act = DecisionAct(step.payload.get("decision_kind"), step.payload.get("decision_date"))
    recorded = ApprovalRecorded(code, _optional_text(step.payload.get("decision_reference")), act)
    if state.approvals | {code} >= state.territories_to_approve:
        return Decision(Status.APPROVED, (recorded, ConventionDocumentRequested()), step.side)
    return Decision(Status.PENDING_APPROVAL, (recorded,), step.side)


def _refuse(step: _Step) -> Decision:
    code = step.state.party(step.acting).territory_code
    reference = _optional_text(step.payload.get("decision_reference"))
    act = DecisionAct(step.payload.get("decision_kind"), step.payload.get("decision_date"))
    refusal = RefusalRecorded(code, _text(step.payload["reason"]), reference, act)
    return step.to_target(refusal, ListingsReleased())


def _collective(step: _Step, done_by: frozenset[Side], effect: Effect) -> Decision:
    """A sign or an evaluation: the status moves on once both sides have acted."""
    done = done_by | {step.acting} == set(Side)
    target = step.transition.target if done else step.state.status
    return Decision(target, (effect,), step.side)


def _sign(step: _Step) -> Decision:
    method = str(step.payload.get("method", SignatureMethod.IN_APP))
    return _collective(step, step.state.signatures, SignatureRecorded(step.acting, method))


def _amend(step: _Step) -> Decision:
    """An avenant: new terms, then the approvals and signatures of a new round (see `_accept`)."""
    version = step.state.terms_version + 1
    effects: list[Effect] = [
        AmendmentStarted(),
        TermsVersionCreated(version, step.acting, step.payload.get("terms")),
    ]
    territories = step.state.territories_to_approve
    if territories:
        effects.append(ApprovalsRequested(territories))
        return Decision(Status.PENDING_APPROVAL, tuple(effects), step.side)
    effects.append(ConventionDocumentRequested())
    return Decision(Status.APPROVED, tuple(effects), step.side)


def _evaluate(step: _Step) -> Decision:
    fields = {k: step.payload[k] for k in EVALUATION_FIELDS if k in step.payload}
    return _collective(step, step.state.evaluations, EvaluationRecorded(step.acting, fields))


def _start(step: _Step) -> Decision:
    return step.to_target(ReportRecorded(ReportKind.HANDOVER, step.payload.get("report")))


def _report_incident(step: _Step) -> Decision:
    return step.to_target(ReportRecorded(ReportKind.INCIDENT, step.payload["report"]), MediationRequested())


def _request_extension(step: _Step) -> Decision:
    beyond = bool(step.payload.get("beyond_approved_period", False))
    return step.to_target(ExtensionRequested(step.acting, step.payload["ends_on"], beyond))


def _decide_extension(step: _Step) -> Decision:
    return step.to_target(ExtensionDecided(step.acting, step.payload["decision"] == "approve"))


def _return(step: _Step) -> Decision:
    return step.to_target(ReportRecorded(ReportKind.RETURN, step.payload["report"]))


def _complete(step: _Step) -> Decision:
    return step.to_target(ListingsFulfilled())


def _withdraw(step: _Step) -> Decision:
    reason = _optional_text(step.payload.get("reason"))
    return step.to_target(*((ReasonGiven(reason),) if reason is not None else ()))


def _cancel(step: _Step) -> Decision:
    return step.to_target(ReasonGiven(_text(step.payload["reason"])), ListingsReleased())


def _expire(step: _Step) -> Decision:
    return step.to_target()


# Every action has its resolver (a test checks the table is complete).
_RESOLVERS: Final[Mapping[Action, Callable[[_Step], Decision]]] = {
    Action.PROPOSE: _propose,
    Action.COUNTER_PROPOSE: _propose,
    Action.ACCEPT: _accept,
    Action.APPROVE: _approve,
    Action.REFUSE: _refuse,
    Action.SIGN: _sign,
    Action.START: _start,
    Action.REPORT_INCIDENT: _report_incident,
    Action.REQUEST_EXTENSION: _request_extension,
    Action.DECIDE_EXTENSION: _decide_extension,
    Action.RETURN: _return,
    Action.COMPLETE: _complete,
    Action.AUTO_COMPLETE: _complete,
    Action.EVALUATE: _evaluate,
    Action.WITHDRAW: _withdraw,
    Action.CANCEL: _cancel,
    Action.AMEND: _amend,
    Action.EXPIRE: _expire,
}
