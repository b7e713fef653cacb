"""What users read for each value of the agreements' vocabularies, in one place.

Keyed by the lifecycle's enums (`vocabulary`), so a status, action or kind without its label is
caught by a test rather than shown raw; the forms' choices and the pages derive from these.
"""

from __future__ import annotations

from typing import Final

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from .vocabulary import Action, AgreementKind, DecisionKind, Side, SignatureMethod, Status

S, A = Status, Action

STATUS_LABELS: Final[dict[Status, LazyString]] = {
    S.DRAFT: _l("Draft"),
    S.PROPOSED: _l("Proposed"),
    S.NEGOTIATING: _l("Under discussion"),
    S.ACCEPTED: _l("Technical agreement"),
    S.PENDING_APPROVAL: _l("Awaiting approval"),
    S.APPROVED: _l("Approved"),
    S.SIGNED: _l("Signed"),
    S.IN_PROGRESS: _l("In progress"),
    S.RETURNED: _l("Returned"),
    S.COMPLETED: _l("Completed"),
    S.EVALUATED: _l("Evaluated"),
    S.REFUSED: _l("Refused"),
    S.WITHDRAWN: _l("Withdrawn"),
    S.EXPIRED: _l("Expired"),
    S.CANCELLED: _l("Cancelled"),
}
# "create" is no lifecycle action, but the history shows it: the first row of every agreement.
CREATE = "create"
EDIT = "edit"  # an edit of a draft by its author side (drafts.py): in the history too
ACTION_LABELS: Final[dict[str, LazyString]] = {
    CREATE: _l("Draft created"),
    EDIT: _l("Edit the draft"),
    A.PROPOSE: _l("Propose"),
    A.COUNTER_PROPOSE: _l("Counter-propose new terms"),
    A.ACCEPT: _l("Accept these terms"),
    A.APPROVE: _l("Approve on behalf of my territory"),
    A.REFUSE: _l("Refuse on behalf of my territory"),
    A.SIGN: _l("Sign the agreement"),
    A.START: _l("Record the handover"),
    A.REPORT_INCIDENT: _l("Report an incident"),
    A.REQUEST_EXTENSION: _l("Ask for an extension"),
    A.DECIDE_EXTENSION: _l("Decide on the extension"),
    A.RETURN: _l("Record the return"),
    A.COMPLETE: _l("Close the agreement"),
    A.EVALUATE: _l("File my evaluation"),
    A.WITHDRAW: _l("Withdraw"),
    A.CANCEL: _l("Cancel the agreement"),
    A.AMEND: _l("Propose an amendment (avenant)"),
    A.EXPIRE: _l("Expired without an answer"),
    A.AUTO_COMPLETE: _l("Closed automatically"),
}
# The history speaks in the past tense: what happened, not the button that did it.
EVENT_LABELS: Final[dict[str, LazyString]] = {
    CREATE: _l("Draft created"),
    EDIT: _l("Draft edited"),
    A.PROPOSE: _l("Terms proposed"),
    A.COUNTER_PROPOSE: _l("New terms counter-proposed"),
    A.ACCEPT: _l("Terms accepted"),
    A.APPROVE: _l("Approval on behalf of a territory"),
    A.REFUSE: _l("Refusal on behalf of a territory"),
    A.SIGN: _l("Agreement signed"),
    A.START: _l("Handover recorded"),
    A.REPORT_INCIDENT: _l("Incident reported"),
    A.REQUEST_EXTENSION: _l("Extension requested"),
    A.DECIDE_EXTENSION: _l("Extension decided"),
    A.RETURN: _l("Return recorded"),
    A.COMPLETE: _l("Agreement closed"),
    A.EVALUATE: _l("Evaluation filed"),
    A.WITHDRAW: _l("Withdrawn by its author"),
    A.CANCEL: _l("Agreement cancelled"),
    A.AMEND: _l("Amendment (avenant) proposed"),
    A.EXPIRE: _l("Expired without an answer"),
    A.AUTO_COMPLETE: _l("Closed automatically"),
}
# What the confirmation says once an action is done: what happened, in words, and for whom.
# Every message may use %(title)s (the agreement), %(territory)s (the territory the person acts
# for), %(party)s (their side's name) and %(other)s (the other side's name).
DONE_MESSAGES: Final[dict[Action, LazyString]] = {
    A.PROPOSE: _l("Terms proposed to %(other)s."),
    A.COUNTER_PROPOSE: _l("New terms proposed to %(other)s."),
    A.ACCEPT: _l("Terms accepted: the agreement with %(other)s goes on."),
    A.APPROVE: _l("Agreement approved for %(territory)s."),
    A.REFUSE: _l("Agreement refused for %(territory)s."),
    A.SIGN: _l("Agreement signed for %(party)s."),
    A.START: _l("Handover recorded; %(other)s is told."),
    A.REPORT_INCIDENT: _l("Incident reported to %(other)s."),
    A.REQUEST_EXTENSION: _l("Extension requested from %(other)s."),
    A.DECIDE_EXTENSION: _l("Your decision on the extension is recorded; %(other)s is told."),
    A.RETURN: _l("Return recorded; %(other)s is told."),
    A.COMPLETE: _l("Agreement with %(other)s closed."),
    A.EVALUATE: _l("Evaluation filed for %(party)s. Thank you."),
    A.WITHDRAW: _l("Agreement withdrawn: %(other)s will not be asked to answer it."),
    A.CANCEL: _l("Agreement cancelled; %(other)s is told."),
    A.EXPIRE: _l("Agreement expired without an answer."),
    A.AUTO_COMPLETE: _l("Agreement closed automatically."),
    A.AMEND: _l("Amendment proposed: the officials of both territories approve it again."),
}
# The actions that end an agreement or say no: red buttons, and a box to tick before acting.
DESTRUCTIVE_ACTIONS: Final[frozenset[Action]] = frozenset({A.REFUSE, A.CANCEL, A.WITHDRAW})
del S, A
DECISION_KIND_LABELS: Final[dict[DecisionKind, LazyString]] = {
    DecisionKind.DELIBERATION: _l("Délibération of the municipal council"),
    DecisionKind.ARRETE: _l("Arrêté of the mayor"),
    DecisionKind.DELEGATION: _l("Decision of the mayor by delegation"),
}
SIGNATURE_METHOD_LABELS: Final[dict[SignatureMethod, LazyString]] = {
    SignatureMethod.IN_APP: _l("Signature in the app"),
    SignatureMethod.UPLOAD: _l("Scan of the copy signed by hand"),
}
KIND_LABELS: Final[dict[AgreementKind, LazyString]] = {
    AgreementKind.LOAN: _l("Loan of equipment"),
    AgreementKind.SERVICE: _l("Provision of a service"),
    AgreementKind.KNOW_HOW: _l("Transfer of know-how"),
}
SIDE_LABELS: Final[dict[Side, LazyString]] = {
    Side.PROVIDER: _l("Provider"),
    Side.BENEFICIARY: _l("Beneficiary"),
}
FIELD_LABELS: Final[dict[str, LazyString]] = {
    "lines": _l("Resources"),
    "starts_on": _l("Start date"),
    "ends_on": _l("End date"),
    "logistics": _l("Logistics"),
    "conditions": _l("Conditions"),
    "deposit_eur": _l("Deposit (€)"),
    "insurance_required": _l("Insurance certificate required"),
    "qualified_operator_required": _l("Qualified operator required (e.g. CACES)"),
    "kind": _l("Kind of agreement"),
}
