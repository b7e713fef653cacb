"""The agreement lifecycle: every cell of status × action × who, then the key rules by name.

The expectations below are written out by hand from DOMAIN.md rather than derived from
`TRANSITIONS`, so that a change to the table has to be mirrored here on purpose.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from mutualisation.agreements.lifecycle import (
    SYSTEM,
    TERMINAL_STATUSES,
    TRANSITIONS,
    Action,
    Actor,
    AgreementKind,
    AgreementState,
    ApprovalRecorded,
    ApprovalsRequested,
    ConventionDocumentRequested,
    EvaluationRecorded,
    ExtensionDecided,
    ExtensionRequested,
    ListingsReleased,
    ListingsReserved,
    MediationRequested,
    Party,
    PartyKind,
    PassedThrough,
    ReasonGiven,
    RefusalRecorded,
    ReportRecorded,
    Role,
    Side,
    SignatureRecorded,
    Status,
    TermsVersionCreated,
    allowed_actions,
    decide,
    party_sides_of,
)
from mutualisation.agreements.lifecycle_state import Awaited, awaited
from mutualisation.errors import Conflict, InvalidTransition, PermissionDenied, RuleViolation

LOOS, MALAUNAY, LE_MENE = "62528", "76402", "22046"

USERS = {
    "provider_technician": Actor(1, Role.TECHNICIAN, LOOS),
    "provider_official": Actor(2, Role.OFFICIAL, LOOS),
    "beneficiary_technician": Actor(3, Role.TECHNICIAN, MALAUNAY),
    "beneficiary_official": Actor(4, Role.OFFICIAL, MALAUNAY),
    "beneficiary_actor": Actor(5, Role.ACTOR, MALAUNAY),
    "provider_territory_actor": Actor(6, Role.ACTOR, LOOS),
    "outsider_official": Actor(7, Role.OFFICIAL, LE_MENE),
    "admin": Actor(8, Role.ADMIN, LOOS),
    "system": SYSTEM,
}

TERRITORY_PROVIDER = Party(Side.PROVIDER, PartyKind.TERRITORY, LOOS)
TERRITORY_BENEFICIARY = Party(Side.BENEFICIARY, PartyKind.TERRITORY, MALAUNAY)
ACTOR_BENEFICIARY = Party(Side.BENEFICIARY, PartyKind.ACTOR, MALAUNAY, actor_user_id=5)

# Two scenarios: two territories, and a territory lending to a local actor of another territory.
SCENARIOS = {
    "two_territories": (TERRITORY_PROVIDER, TERRITORY_BENEFICIARY),
    "territory_and_actor": (TERRITORY_PROVIDER, ACTOR_BENEFICIARY),
}
PROVIDER_USERS = {"provider_technician", "provider_official"}
BENEFICIARY_USERS = {
    "two_territories": {"beneficiary_technician", "beneficiary_official"},
    "territory_and_actor": {"beneficiary_actor"},
}
# Officials approve for their territory; a local actor party never approves anything.
APPROVERS = {
    "two_territories": {"provider_official", "beneficiary_official"},
    "territory_and_actor": {"provider_official"},
}
# A territory signs through an official; a local actor signs for themselves.
SIGNATORIES = {
    "two_territories": {"provider_official", "beneficiary_official"},
    "territory_and_actor": {"provider_official", "beneficiary_actor"},
}

LOAN_ONLY = {(Status.IN_PROGRESS, Action.RETURN)}
NOT_FOR_LOANS = {(Status.IN_PROGRESS, Action.COMPLETE)}


def expected_cells(scenario: str) -> dict[tuple[Status, Action], tuple[set[str], Status]]:
    """(status, action) → (who may do it, where it leads) in the states built by `make_state`."""
    provider, beneficiary = PROVIDER_USERS, BENEFICIARY_USERS[scenario]
    parties = provider | beneficiary
    # With two territories, the first approval waits for the second; with one, it is enough.
    after_one_approval = Status.PENDING_APPROVAL if scenario == "two_territories" else Status.APPROVED
    return {
        (Status.DRAFT, Action.PROPOSE): (provider, Status.PROPOSED),
        (Status.DRAFT, Action.WITHDRAW): (provider, Status.WITHDRAWN),
        (Status.PROPOSED, Action.COUNTER_PROPOSE): (beneficiary, Status.NEGOTIATING),
        (Status.PROPOSED, Action.ACCEPT): (beneficiary, Status.PENDING_APPROVAL),
        (Status.PROPOSED, Action.WITHDRAW): (provider, Status.WITHDRAWN),
        (Status.PROPOSED, Action.EXPIRE): ({"system"}, Status.EXPIRED),
        # In `make_state`, the beneficiary made the latest counter-proposal.
        (Status.NEGOTIATING, Action.COUNTER_PROPOSE): (provider, Status.NEGOTIATING),
        (Status.NEGOTIATING, Action.ACCEPT): (provider, Status.PENDING_APPROVAL),
        (Status.NEGOTIATING, Action.WITHDRAW): (provider, Status.WITHDRAWN),
        (Status.NEGOTIATING, Action.EXPIRE): ({"system"}, Status.EXPIRED),
        (Status.PENDING_APPROVAL, Action.APPROVE): (APPROVERS[scenario], after_one_approval),
        (Status.PENDING_APPROVAL, Action.REFUSE): (APPROVERS[scenario], Status.REFUSED),
        (Status.PENDING_APPROVAL, Action.CANCEL): (parties, Status.CANCELLED),
        (Status.APPROVED, Action.SIGN): (SIGNATORIES[scenario], Status.APPROVED),
        (Status.APPROVED, Action.CANCEL): (parties, Status.CANCELLED),
        (Status.SIGNED, Action.START): (parties, Status.IN_PROGRESS),
        (Status.SIGNED, Action.CANCEL): (parties, Status.CANCELLED),
        # The signed convention is frozen: an avenant goes through approval again.
        (Status.SIGNED, Action.AMEND): (parties, Status.PENDING_APPROVAL),
        (Status.IN_PROGRESS, Action.REPORT_INCIDENT): (parties, Status.IN_PROGRESS),
        (Status.IN_PROGRESS, Action.REQUEST_EXTENSION): (parties, Status.IN_PROGRESS),
        # In `make_state`, the beneficiary asked for the extension.
        (Status.IN_PROGRESS, Action.DECIDE_EXTENSION): (provider, Status.IN_PROGRESS),
        (Status.IN_PROGRESS, Action.RETURN): (provider, Status.RETURNED),
        (Status.IN_PROGRESS, Action.COMPLETE): (parties, Status.COMPLETED),
        (Status.RETURNED, Action.COMPLETE): (parties, Status.COMPLETED),
        (Status.RETURNED, Action.AUTO_COMPLETE): ({"system"}, Status.COMPLETED),
        (Status.COMPLETED, Action.EVALUATE): (parties, Status.COMPLETED),
    }


def make_state(
    status: Status,
    *,
    scenario: str = "two_territories",
    kind: AgreementKind = AgreementKind.LOAN,
    action: Action | None = None,
    **changes,
) -> AgreementState:
    """A natural state for `status`: the provider wrote and proposed, nobody approved or signed yet."""
    defaults = {
        "status": status,
        "agreement_kind": kind,
        "parties": SCENARIOS[scenario],
        "author_side": Side.PROVIDER,
        "last_proposer_side": None if status is Status.DRAFT else Side.PROVIDER,
        "terms_version": 0 if status is Status.DRAFT else 1,
    }
    if status is Status.NEGOTIATING:
        defaults.update(last_proposer_side=Side.BENEFICIARY, terms_version=2)
    if status in (Status.SIGNED, Status.IN_PROGRESS, Status.RETURNED, Status.COMPLETED, Status.EVALUATED):
        defaults["signatures"] = set(Side)
    if status is Status.EVALUATED:
        defaults["evaluations"] = set(Side)
    if status is Status.IN_PROGRESS and action is Action.DECIDE_EXTENSION:
        defaults.update(extension_pending=True, extension_requested_by=Side.BENEFICIARY)
    defaults.update(changes)
    return AgreementState(**defaults)


def valid_payload(action: Action) -> dict:
    return {
        Action.PROPOSE: {"terms": {"kind": "loan", "lines": [{"description": "Podium", "quantity": 1}]}},
        Action.COUNTER_PROPOSE: {
            "terms": {"kind": "loan", "lines": [{"description": "Podium", "quantity": 2}]}
        },
        Action.AMEND: {"terms": {"kind": "loan", "lines": [{"description": "Podium", "quantity": 3}]}},
        Action.APPROVE: {
            "decision_kind": "deliberation",
            "decision_reference": "2026-42",
            "decision_date": dt.date(2026, 4, 12),
        },
        Action.REFUSE: {"reason": "Budget already committed", "decision_reference": "Arrêté 2026-014"},
        Action.CANCEL: {"reason": "The event was cancelled"},
        Action.START: {"report": "Handed over in good condition"},
        Action.REPORT_INCIDENT: {"report": "A barrier is bent"},
        Action.REQUEST_EXTENSION: {"ends_on": dt.date(2026, 7, 14)},
        Action.DECIDE_EXTENSION: {"decision": "approve"},
        Action.RETURN: {"report": "Returned complete"},
        Action.EVALUATE: {"satisfaction": 5, "kg_diverted": 120, "km_travelled": 80, "vehicle": "van"},
    }.get(action, {})


def expected_outcome(scenario: str, kind: AgreementKind, status: Status, action: Action, user: str):
    cells = expected_cells(scenario)
    cell = (status, action)
    if cell not in cells:
        return InvalidTransition
    if (cell in LOAN_ONLY and kind is not AgreementKind.LOAN) or (
        cell in NOT_FOR_LOANS and kind is AgreementKind.LOAN
    ):
        return InvalidTransition
    who, target = cells[cell]
    return target if user in who else PermissionDenied


# One test per (status, action) cell of the table; inside it, every scenario, agreement kind and
# user is checked, and every wrong outcome is listed, so that a one-cell change still fails.
CELLS = list(itertools.product(list(Status), list(Action)))
CASES = list(itertools.product(SCENARIOS, [AgreementKind.LOAN, AgreementKind.SERVICE], list(USERS)))


def test_transition_table_has_exactly_the_documented_cells():
    assert set(TRANSITIONS) == set(expected_cells("two_territories"))


def test_terminal_statuses_have_no_way_out():
    assert not [cell for cell in TRANSITIONS if cell[0] in TERMINAL_STATUSES]


def outcome_of(scenario, kind, status, action, user):
    """What `decide` and `allowed_actions` say for one user: a target status or an error class."""
    state = make_state(status, scenario=scenario, kind=kind, action=action)
    actor = USERS[user]
    try:
        decided = decide(state, actor, action, valid_payload(action)).target_status
    except (InvalidTransition, PermissionDenied, Conflict, RuleViolation) as exc:
        decided = type(exc)
    return decided, action in allowed_actions(state, actor)


def check_cell(status, action) -> list[tuple]:
    wrong = []
    for scenario, kind, user in CASES:
        expected = expected_outcome(scenario, kind, status, action, user)
        decided, allowed = outcome_of(scenario, kind, status, action, user)
        if decided is not expected or allowed != isinstance(expected, Status):
            wrong.append((scenario, str(kind), user, expected, decided, allowed))
    return wrong


@pytest.mark.parametrize(("status", "action"), CELLS, ids=[f"{s}-{a}" for s, a in CELLS])
def test_every_cell_of_the_lifecycle(status, action):
    assert check_cell(status, action) == []


def test_the_oracle_checks_every_scenario_kind_and_user_of_a_cell():
    assert len(CELLS) * len(CASES) == 9720  # 15 statuses × 18 actions × 36 cases


# --- Who acts for whom ---------------------------------------------------------------------------


def test_technician_and_official_act_for_their_territory_party():
    state = make_state(Status.PROPOSED)
    assert party_sides_of(USERS["provider_technician"], state) == {Side.PROVIDER}
    assert party_sides_of(USERS["beneficiary_official"], state) == {Side.BENEFICIARY}


def test_actor_acts_only_for_their_own_actor_party():
    state = make_state(Status.PROPOSED, scenario="territory_and_actor")
    assert party_sides_of(USERS["beneficiary_actor"], state) == {Side.BENEFICIARY}
    assert party_sides_of(USERS["beneficiary_technician"], state) == set()


def test_admin_acts_for_nobody():
    state = make_state(Status.IN_PROGRESS)
    assert party_sides_of(USERS["admin"], state) == set()
    assert allowed_actions(state, USERS["admin"]) == []


def test_actor_cannot_act_for_a_territory():
    state = make_state(Status.PROPOSED)  # the actor's own territory, Malaunay, is the beneficiary
    with pytest.raises(PermissionDenied):
        decide(state, USERS["beneficiary_actor"], Action.ACCEPT)


def test_technician_cannot_act_for_a_local_actor_of_their_territory():
    state = make_state(Status.PROPOSED, scenario="territory_and_actor")
    with pytest.raises(PermissionDenied):
        decide(state, USERS["beneficiary_technician"], Action.ACCEPT)


def test_non_party_cannot_act():
    with pytest.raises(PermissionDenied, match="not a party"):
        decide(make_state(Status.SIGNED), USERS["provider_territory_actor"], Action.START)


def test_scheduler_cannot_perform_a_human_action():
    with pytest.raises(PermissionDenied):
        decide(make_state(Status.PROPOSED), SYSTEM, Action.ACCEPT)


def test_a_person_cannot_perform_a_system_action():
    with pytest.raises(PermissionDenied):
        decide(make_state(Status.PROPOSED), USERS["provider_official"], Action.EXPIRE)


# --- Proposal and negotiation --------------------------------------------------------------------


def test_proposing_creates_the_first_terms_version():
    decision = decide(make_state(Status.DRAFT), USERS["provider_technician"], Action.PROPOSE)
    assert decision.effects == (TermsVersionCreated(1, Side.PROVIDER, None),)
    assert decision.acting_side is Side.PROVIDER


def test_only_the_author_proposes():
    with pytest.raises(PermissionDenied, match="author"):
        decide(make_state(Status.DRAFT), USERS["beneficiary_technician"], Action.PROPOSE)


def test_counter_proposal_creates_a_new_terms_version_and_flips_who_must_answer():
    terms = {"kind": "loan", "lines": [{"description": "Barriers", "quantity": 20}]}
    decision = decide(
        make_state(Status.PROPOSED), USERS["beneficiary_technician"], Action.COUNTER_PROPOSE, {"terms": terms}
    )
    assert decision.target_status is Status.NEGOTIATING
    assert decision.effects == (TermsVersionCreated(2, Side.BENEFICIARY, terms),)
    answered = make_state(Status.NEGOTIATING, last_proposer_side=Side.BENEFICIARY, terms_version=2)
    assert Action.ACCEPT in allowed_actions(answered, USERS["provider_technician"])
    assert Action.ACCEPT not in allowed_actions(answered, USERS["beneficiary_technician"])


def test_proposer_cannot_accept_their_own_terms():
    with pytest.raises(PermissionDenied, match="other party"):
        decide(make_state(Status.PROPOSED), USERS["provider_technician"], Action.ACCEPT)


def test_counter_proposal_requires_new_terms():
    with pytest.raises(RuleViolation) as caught:
        decide(make_state(Status.PROPOSED), USERS["beneficiary_technician"], Action.COUNTER_PROPOSE, {})
    assert list(caught.value.fields) == ["terms"]


def test_terms_with_an_unknown_kind_are_refused():
    payload = {"terms": {"kind": "gift"}}
    with pytest.raises(RuleViolation) as caught:
        decide(make_state(Status.PROPOSED), USERS["beneficiary_technician"], Action.COUNTER_PROPOSE, payload)
    assert "terms" in caught.value.fields


def test_terms_that_are_not_a_mapping_are_refused():
    with pytest.raises(RuleViolation):
        decide(make_state(Status.DRAFT), USERS["provider_technician"], Action.PROPOSE, {"terms": "podium"})


def test_acting_on_a_stale_terms_version_is_a_conflict():
    state = make_state(Status.NEGOTIATING)  # terms version 2
    with pytest.raises(Conflict):
        decide(state, USERS["provider_technician"], Action.ACCEPT, {"version": 1})


def test_acting_on_the_current_terms_version_succeeds():
    state = make_state(Status.NEGOTIATING)
    decision = decide(state, USERS["provider_technician"], Action.ACCEPT, {"version": 2})
    assert decision.target_status is Status.PENDING_APPROVAL


def test_author_may_withdraw_before_acceptance_with_an_optional_reason():
    decision = decide(
        make_state(Status.PROPOSED),
        USERS["provider_technician"],
        Action.WITHDRAW,
        {"reason": " Lent elsewhere "},
    )
    assert decision.target_status is Status.WITHDRAWN
    assert decision.effects == (ReasonGiven("Lent elsewhere"),)
    assert decide(make_state(Status.DRAFT), USERS["provider_technician"], Action.WITHDRAW).effects == ()


def test_nobody_can_withdraw_after_acceptance():
    with pytest.raises(InvalidTransition):
        decide(make_state(Status.PENDING_APPROVAL), USERS["provider_technician"], Action.WITHDRAW)


def test_an_unknown_action_is_an_invalid_transition():
    with pytest.raises(InvalidTransition):
        decide(make_state(Status.DRAFT), USERS["provider_technician"], "teleport")


def test_actions_may_be_given_as_plain_strings():
    decision = decide(make_state(Status.DRAFT), USERS["provider_technician"], "propose")
    assert decision.target_status is Status.PROPOSED


# --- Acceptance and approval ---------------------------------------------------------------------


def test_acceptance_with_a_territory_party_awaits_approval_and_reserves_the_listings():
    decision = decide(make_state(Status.PROPOSED), USERS["beneficiary_technician"], Action.ACCEPT)
    assert decision.target_status is Status.PENDING_APPROVAL
    assert decision.effects == (
        PassedThrough(Status.ACCEPTED),
        ListingsReserved(),
        ApprovalsRequested(frozenset({LOOS, MALAUNAY})),
    )


def test_acceptance_between_two_local_actors_is_approved_at_once():
    parties = (
        Party(Side.PROVIDER, PartyKind.ACTOR, LOOS, actor_user_id=6),
        Party(Side.BENEFICIARY, PartyKind.ACTOR, MALAUNAY, actor_user_id=5),
    )
    state = make_state(Status.PROPOSED, parties=parties)
    decision = decide(state, USERS["beneficiary_actor"], Action.ACCEPT)
    assert decision.target_status is Status.APPROVED
    assert PassedThrough(Status.ACCEPTED) in decision.effects
    assert ConventionDocumentRequested() in decision.effects


def test_accepted_is_never_a_resting_status():
    assert not [cell for cell in TRANSITIONS if cell[0] is Status.ACCEPTED]


def test_technician_cannot_approve():
    with pytest.raises(PermissionDenied, match="elected official"):
        decide(make_state(Status.PENDING_APPROVAL), USERS["provider_technician"], Action.APPROVE)


def test_official_cannot_approve_for_another_territory():
    with pytest.raises(PermissionDenied, match="your own territory"):
        decide(make_state(Status.PENDING_APPROVAL), USERS["outsider_official"], Action.APPROVE)


def test_official_cannot_approve_for_a_local_actor_of_their_territory():
    state = make_state(Status.PENDING_APPROVAL, scenario="territory_and_actor")
    with pytest.raises(PermissionDenied):
        decide(state, USERS["beneficiary_official"], Action.APPROVE)


def test_local_actor_party_cannot_approve():
    state = make_state(Status.PENDING_APPROVAL, scenario="territory_and_actor")
    with pytest.raises(PermissionDenied):
        decide(state, USERS["beneficiary_actor"], Action.APPROVE)


def test_approving_a_draft_is_an_invalid_transition():
    with pytest.raises(InvalidTransition):
        decide(make_state(Status.DRAFT), USERS["provider_official"], Action.APPROVE)


def test_first_approval_of_two_keeps_the_agreement_pending():
    decision = decide(
        make_state(Status.PENDING_APPROVAL),
        USERS["provider_official"],
        Action.APPROVE,
        {"decision_reference": "Délibération 2026-31"},
    )
    assert decision.target_status is Status.PENDING_APPROVAL
    assert decision.effects == (ApprovalRecorded(LOOS, "Délibération 2026-31"),)


def test_agreement_is_approved_once_every_territory_party_approved():
    state = make_state(Status.PENDING_APPROVAL, approvals={LOOS})
    decision = decide(state, USERS["beneficiary_official"], Action.APPROVE)
    assert decision.target_status is Status.APPROVED
    assert decision.effects == (ApprovalRecorded(MALAUNAY, None), ConventionDocumentRequested())


def test_approving_twice_for_the_same_territory_is_an_invalid_transition():
    state = make_state(Status.PENDING_APPROVAL, approvals={LOOS})
    with pytest.raises(InvalidTransition):
        decide(state, USERS["provider_official"], Action.APPROVE)
    assert Action.APPROVE not in allowed_actions(state, USERS["provider_official"])


def test_official_cannot_refuse_after_their_territory_approved():
    state = make_state(Status.PENDING_APPROVAL, approvals={LOOS})
    with pytest.raises(InvalidTransition):
        decide(state, USERS["provider_official"], Action.REFUSE, {"reason": "Changed our mind"})


def test_refusal_requires_a_reason():
    for reason in (None, "", "   "):
        with pytest.raises(RuleViolation) as caught:
            decide(
                make_state(Status.PENDING_APPROVAL),
                USERS["provider_official"],
                Action.REFUSE,
                {"reason": reason},
            )
        assert list(caught.value.fields) == ["reason"]


def test_refusal_keeps_its_reason_and_decision_reference_and_releases_the_listings():
    payload = {"reason": " Budget committed ", "decision_reference": "Arrêté 2026-014"}
    decision = decide(
        make_state(Status.PENDING_APPROVAL), USERS["beneficiary_official"], Action.REFUSE, payload
    )
    assert decision.target_status is Status.REFUSED
    assert decision.effects == (
        RefusalRecorded(MALAUNAY, "Budget committed", "Arrêté 2026-014"),
        ListingsReleased(),
    )


def test_technician_cannot_refuse():
    with pytest.raises(PermissionDenied):
        decide(
            make_state(Status.PENDING_APPROVAL), USERS["provider_technician"], Action.REFUSE, {"reason": "No"}
        )


# --- Signature -----------------------------------------------------------------------------------


def test_first_signature_keeps_the_agreement_approved():
    decision = decide(make_state(Status.APPROVED), USERS["provider_official"], Action.SIGN)
    assert decision.target_status is Status.APPROVED
    assert decision.effects == (SignatureRecorded(Side.PROVIDER),)


def test_agreement_is_signed_once_both_sides_signed():
    state = make_state(Status.APPROVED, signatures={Side.PROVIDER})
    assert decide(state, USERS["beneficiary_official"], Action.SIGN).target_status is Status.SIGNED


def test_signing_twice_for_the_same_side_is_an_invalid_transition():
    state = make_state(Status.APPROVED, signatures={Side.PROVIDER})
    with pytest.raises(InvalidTransition):
        decide(state, USERS["provider_official"], Action.SIGN)


def test_technician_cannot_sign_for_a_territory():
    with pytest.raises(PermissionDenied, match="sign"):
        decide(make_state(Status.APPROVED), USERS["provider_technician"], Action.SIGN)


def test_local_actor_signs_for_themselves():
    state = make_state(Status.APPROVED, scenario="territory_and_actor", signatures={Side.PROVIDER})
    assert decide(state, USERS["beneficiary_actor"], Action.SIGN).target_status is Status.SIGNED


# --- Execution -----------------------------------------------------------------------------------


def test_handover_of_a_loan_requires_a_report():
    with pytest.raises(RuleViolation) as caught:
        decide(make_state(Status.SIGNED), USERS["beneficiary_technician"], Action.START, {})
    assert list(caught.value.fields) == ["report"]


def test_start_of_a_service_needs_no_report():
    state = make_state(Status.SIGNED, kind=AgreementKind.SERVICE)
    decision = decide(state, USERS["beneficiary_technician"], Action.START)
    assert decision.target_status is Status.IN_PROGRESS
    assert decision.effects == (ReportRecorded("handover", None),)


def test_incident_asks_the_admins_to_mediate():
    decision = decide(
        make_state(Status.IN_PROGRESS),
        USERS["beneficiary_technician"],
        Action.REPORT_INCIDENT,
        {"report": "Bent"},
    )
    assert decision.effects == (ReportRecorded("incident", "Bent"), MediationRequested())


def test_incident_requires_a_report():
    with pytest.raises(RuleViolation):
        decide(make_state(Status.IN_PROGRESS), USERS["beneficiary_technician"], Action.REPORT_INCIDENT, {})


def test_extension_request_records_who_asked_and_whether_it_exceeds_the_approval():
    payload = {"ends_on": dt.date(2026, 8, 1), "beyond_approved_period": True}
    decision = decide(
        make_state(Status.IN_PROGRESS), USERS["beneficiary_technician"], Action.REQUEST_EXTENSION, payload
    )
    assert decision.effects == (ExtensionRequested(Side.BENEFICIARY, dt.date(2026, 8, 1), True),)


def test_extension_request_requires_an_end_date():
    with pytest.raises(RuleViolation) as caught:
        decide(make_state(Status.IN_PROGRESS), USERS["beneficiary_technician"], Action.REQUEST_EXTENSION, {})
    assert list(caught.value.fields) == ["ends_on"]


def test_second_extension_request_while_one_is_pending_is_an_invalid_transition():
    state = make_state(Status.IN_PROGRESS, extension_pending=True, extension_requested_by=Side.BENEFICIARY)
    with pytest.raises(InvalidTransition):
        decide(
            state, USERS["provider_technician"], Action.REQUEST_EXTENSION, {"ends_on": dt.date(2026, 8, 1)}
        )


def test_deciding_without_a_pending_extension_is_an_invalid_transition():
    with pytest.raises(InvalidTransition):
        decide(
            make_state(Status.IN_PROGRESS),
            USERS["provider_technician"],
            Action.DECIDE_EXTENSION,
            {"decision": "approve"},
        )


def test_requester_cannot_decide_on_their_own_extension():
    state = make_state(Status.IN_PROGRESS, action=Action.DECIDE_EXTENSION)
    with pytest.raises(PermissionDenied, match="other party"):
        decide(state, USERS["beneficiary_official"], Action.DECIDE_EXTENSION, {"decision": "approve"})


def test_other_party_refuses_an_extension():
    state = make_state(Status.IN_PROGRESS, action=Action.DECIDE_EXTENSION)
    decision = decide(state, USERS["provider_technician"], Action.DECIDE_EXTENSION, {"decision": "refuse"})
    assert decision.effects == (ExtensionDecided(Side.PROVIDER, False),)


def test_extension_decision_must_be_approve_or_refuse():
    state = make_state(Status.IN_PROGRESS, action=Action.DECIDE_EXTENSION)
    for decision in (None, "maybe"):
        with pytest.raises(RuleViolation) as caught:
            decide(state, USERS["provider_technician"], Action.DECIDE_EXTENSION, {"decision": decision})
        assert list(caught.value.fields) == ["decision"]


def test_extension_beyond_the_approved_period_needs_an_official_of_the_deciding_territory():
    state = make_state(
        Status.IN_PROGRESS,
        extension_pending=True,
        extension_requested_by=Side.BENEFICIARY,
        extension_beyond_approval=True,
    )
    with pytest.raises(PermissionDenied, match="elected official"):
        decide(state, USERS["provider_technician"], Action.DECIDE_EXTENSION, {"decision": "approve"})
    decision = decide(state, USERS["provider_official"], Action.DECIDE_EXTENSION, {"decision": "approve"})
    assert decision.effects == (ExtensionDecided(Side.PROVIDER, True),)


def test_local_actor_decides_on_an_extension_beyond_the_approved_period_for_themselves():
    state = make_state(
        Status.IN_PROGRESS,
        scenario="territory_and_actor",
        extension_pending=True,
        extension_requested_by=Side.PROVIDER,
        extension_beyond_approval=True,
    )
    decision = decide(state, USERS["beneficiary_actor"], Action.DECIDE_EXTENSION, {"decision": "approve"})
    assert decision.target_status is Status.IN_PROGRESS


@pytest.mark.parametrize("kind", [AgreementKind.SERVICE, AgreementKind.KNOW_HOW])
def test_returning_a_service_is_an_invalid_transition(kind):
    state = make_state(Status.IN_PROGRESS, kind=kind)
    with pytest.raises(InvalidTransition, match="loan"):
        decide(state, USERS["provider_technician"], Action.RETURN, {"report": "Done"})


def test_only_the_provider_records_the_return():
    with pytest.raises(PermissionDenied, match="provider"):
        decide(
            make_state(Status.IN_PROGRESS), USERS["beneficiary_technician"], Action.RETURN, {"report": "Back"}
        )


def test_return_requires_a_report():
    with pytest.raises(RuleViolation):
        decide(make_state(Status.IN_PROGRESS), USERS["provider_technician"], Action.RETURN, {"report": ""})


def test_a_loan_cannot_be_completed_before_its_return():
    with pytest.raises(InvalidTransition, match="returned"):
        decide(make_state(Status.IN_PROGRESS), USERS["provider_technician"], Action.COMPLETE)


@pytest.mark.parametrize("kind", [AgreementKind.SERVICE, AgreementKind.KNOW_HOW])
def test_a_service_or_know_how_is_completed_from_in_progress(kind):
    state = make_state(Status.IN_PROGRESS, kind=kind)
    assert decide(state, USERS["beneficiary_official"], Action.COMPLETE).target_status is Status.COMPLETED


def test_scheduler_completes_a_returned_loan():
    assert decide(make_state(Status.RETURNED), SYSTEM, Action.AUTO_COMPLETE).target_status is Status.COMPLETED


def test_expiry_is_never_a_conflict_even_with_a_version():
    decision = decide(make_state(Status.PROPOSED), SYSTEM, Action.EXPIRE, {"version": 0})
    assert decision.target_status is Status.EXPIRED
    assert decision.acting_side is None


def test_cancellation_requires_a_reason_and_releases_the_listings():
    with pytest.raises(RuleViolation) as caught:
        decide(make_state(Status.APPROVED), USERS["beneficiary_technician"], Action.CANCEL, {"reason": " "})
    assert list(caught.value.fields) == ["reason"]
    decision = decide(
        make_state(Status.APPROVED), USERS["beneficiary_technician"], Action.CANCEL, {"reason": "Storm"}
    )
    assert decision.effects == (ReasonGiven("Storm"), ListingsReleased())


def test_cannot_cancel_after_the_handover():
    with pytest.raises(InvalidTransition):
        decide(
            make_state(Status.IN_PROGRESS), USERS["provider_technician"], Action.CANCEL, {"reason": "Late"}
        )


# --- Evaluation ----------------------------------------------------------------------------------


def test_first_evaluation_keeps_the_agreement_completed():
    payload = {"satisfaction": 4, "kg_diverted": 300, "lessons_learned": "Book the truck early", "version": 1}
    decision = decide(make_state(Status.COMPLETED), USERS["provider_technician"], Action.EVALUATE, payload)
    assert decision.target_status is Status.COMPLETED
    fields = {"satisfaction": 4, "kg_diverted": 300, "lessons_learned": "Book the truck early"}
    assert decision.effects == (EvaluationRecorded(Side.PROVIDER, fields),)


def test_agreement_is_evaluated_once_both_parties_evaluated():
    state = make_state(Status.COMPLETED, evaluations={Side.PROVIDER})
    decision = decide(state, USERS["beneficiary_technician"], Action.EVALUATE, {"satisfaction": 5})
    assert decision.target_status is Status.EVALUATED


def test_evaluating_twice_is_an_invalid_transition():
    state = make_state(Status.COMPLETED, evaluations={Side.PROVIDER})
    with pytest.raises(InvalidTransition, match="already evaluated"):
        decide(state, USERS["provider_official"], Action.EVALUATE, {"satisfaction": 3})


def test_evaluation_fields_are_validated():
    payload = {"satisfaction": 6, "kg_diverted": -1, "vehicle": "rocket"}
    with pytest.raises(RuleViolation) as caught:
        decide(make_state(Status.COMPLETED), USERS["provider_technician"], Action.EVALUATE, payload)
    assert set(caught.value.fields) == {"satisfaction", "kg_diverted", "vehicle"}


# --- The state itself ----------------------------------------------------------------------------


def test_state_accepts_plain_strings_and_sets():
    state = AgreementState(
        status="approved",
        agreement_kind="service",
        parties=[TERRITORY_PROVIDER, TERRITORY_BENEFICIARY],
        author_side="provider",
        last_proposer_side="beneficiary",
        terms_version=3,
        signatures={"provider"},
    )
    assert state.status is Status.APPROVED
    assert state.signatures == frozenset({Side.PROVIDER})
    assert state.respondent_side is Side.PROVIDER


@pytest.mark.parametrize(
    "parties",
    [
        (TERRITORY_PROVIDER,),
        (TERRITORY_PROVIDER, Party(Side.PROVIDER, PartyKind.TERRITORY, MALAUNAY)),
        (TERRITORY_PROVIDER, Party(Side.BENEFICIARY, PartyKind.TERRITORY, LOOS)),
    ],
    ids=["one_party", "two_providers", "territory_facing_itself"],
)
def test_state_needs_two_distinct_parties_one_per_side(parties):
    with pytest.raises(ValueError):
        make_state(Status.DRAFT, parties=parties)


def test_pending_extension_needs_its_requester():
    with pytest.raises(ValueError):
        make_state(Status.IN_PROGRESS, extension_pending=True)


@pytest.mark.parametrize(
    ("kind", "user_id"),
    [(PartyKind.ACTOR, None), (PartyKind.TERRITORY, 5)],
    ids=["actor_without_id", "territory_with_id"],
)
def test_party_user_id_matches_its_kind(kind, user_id):
    with pytest.raises(ValueError):
        Party(Side.PROVIDER, kind, LOOS, actor_user_id=user_id)


def test_party_needs_a_territory_code():
    with pytest.raises(ValueError):
        Party(Side.PROVIDER, PartyKind.TERRITORY, "")


# --- Payload shapes ------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["reason", "decision_reference", "comment"])
def test_text_fields_must_be_text(field):
    payload = {"reason": "Budget", field: 42}
    with pytest.raises(RuleViolation) as caught:
        decide(make_state(Status.PENDING_APPROVAL), USERS["provider_official"], Action.REFUSE, payload)
    assert list(caught.value.fields) == [field]


def test_blank_decision_reference_is_dropped():
    payload = {"decision_reference": "  "}
    decision = decide(
        make_state(Status.PENDING_APPROVAL), USERS["provider_official"], Action.APPROVE, payload
    )
    assert decision.effects == (ApprovalRecorded(LOOS, None),)


def test_extension_end_date_must_be_a_date():
    payload = {"ends_on": "next summer"}
    with pytest.raises(RuleViolation) as caught:
        decide(
            make_state(Status.IN_PROGRESS), USERS["beneficiary_technician"], Action.REQUEST_EXTENSION, payload
        )
    assert list(caught.value.fields) == ["ends_on"]


def test_a_missing_version_is_not_a_conflict():
    state = make_state(Status.NEGOTIATING)
    decision = decide(state, USERS["provider_technician"], Action.ACCEPT, {"version": None})
    assert decision.target_status is Status.PENDING_APPROVAL


def test_the_steps_every_party_takes_name_who_is_still_awaited():
    assert awaited(make_state(Status.PENDING_APPROVAL, approvals={LOOS})).approvals == (MALAUNAY,)
    # A local actor's side is never approved: only the territory's official is awaited.
    assert awaited(make_state(Status.PENDING_APPROVAL, scenario="territory_and_actor")).approvals == (LOOS,)
    assert awaited(make_state(Status.APPROVED, signatures={Side.PROVIDER})).signatures == (Side.BENEFICIARY,)
    completed = make_state(Status.COMPLETED, evaluations={Side.BENEFICIARY})
    assert awaited(completed) == Awaited(evaluations=(Side.PROVIDER,))
    assert awaited(make_state(Status.IN_PROGRESS)) == Awaited()
    assert awaited(make_state(Status.EVALUATED)) == Awaited()
