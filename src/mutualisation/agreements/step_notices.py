"""Every step reaches the other party: the steps that had no notice of their own.

Proposals, approvals, refusals, signatures and extensions already tell someone from their effect
(`effects.py`); accepting the terms, the handover and the return did not, so the other side
learnt about them only by opening the agreement. One table, read after each decision.
"""

from __future__ import annotations

from typing import Final

from flask_babel import lazy_gettext as _l

from ..i18n import N_
from ..notifications import kinds
from .effects import Applying
from .vocabulary import Action

TERMS_ACCEPTED, HANDOVER, RETURNED = "agreement.terms_accepted", "agreement.handover", "agreement.returned"

# Declared by agreements/domain.py; create_app adds them to the notification kinds.
NOTIFICATION_KINDS = (
    kinds.Kind(TERMS_ACCEPTED, _l("The other party accepted the terms"), kinds.DAILY, False),
    kinds.Kind(HANDOVER, _l("A handover was recorded"), kinds.DAILY, False),
    kinds.Kind(RETURNED, _l("A return was recorded"), kinds.DAILY, False),
)

STEP_NOTICES: Final[dict[str, tuple[str, str, str]]] = {
    Action.ACCEPT: (
        TERMS_ACCEPTED,
        N_("Terms accepted: %(title)s"),
        N_('The other party accepted the terms of the agreement "%(title)s".'),
    ),
    Action.START: (
        HANDOVER,
        N_("Handover recorded: %(title)s"),
        N_('The handover of the agreement "%(title)s" was recorded. The report is on the agreement page.'),
    ),
    Action.RETURN: (
        RETURNED,
        N_("Return recorded: %(title)s"),
        N_('The return of the agreement "%(title)s" was recorded. The report is on the agreement page.'),
    ),
}


def tell_other_side(step: Applying, action: str) -> None:
    """Notify the side that did not act, when `action` is one of the steps above."""
    notice = STEP_NOTICES.get(action)
    side = step.decision.acting_side
    if notice is None or side is None:
        return
    kind, subject, body = notice
    step.tell_side(str(side.other), kind, subject, body)
