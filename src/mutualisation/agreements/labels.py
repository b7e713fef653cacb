"""What users read for each value of the agreements' vocabularies, in one place.

Keyed by the lifecycle's enums (`vocabulary`), so a status, action or kind without its label is
caught by a test rather than shown raw; the forms' choices and the pages derive from these.
"""

from __future__ import annotations

from typing import Final

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from .vocabulary import Action, AgreementKind, Side, Status

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
ACTION_LABELS: Final[dict[str, LazyString]] = {
    CREATE: _l("Draft created"),
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
    A.EXPIRE: _l("Expired without an answer"),
    A.AUTO_COMPLETE: _l("Closed automatically"),
}
# The history speaks in the past tense: what happened, not the button that did it.
EVENT_LABELS: Final[dict[str, LazyString]] = {
    CREATE: _l("Draft created"),
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
    A.EXPIRE: _l("Expired without an answer"),
    A.AUTO_COMPLETE: _l("Closed automatically"),
}
del S, A
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
    "kind": _l("Kind of agreement"),
}
