"""Execution that warns: a handover before the agreed start, or a return after the agreed end.

Neither is forbidden (a loan may start a day early by arrangement), but both are usually a
mistake of date or of agreement, so the page asks for confirmation before recording them.
Pure: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt

from mutualisation.i18n import N_

from .vocabulary import Action

EARLY_HANDOVER = N_(
    "The agreed period starts on %(date)s: you are recording the handover before it. "
    "Tick the box to record it anyway."
)
LATE_RETURN = N_(
    "The agreed period ended on %(date)s: you are recording the return after it. "
    "Tick the box to record it anyway."
)


def execution_warning(
    action: str, starts_on: dt.date | None, ends_on: dt.date | None, today: dt.date
) -> tuple[str, dt.date] | None:
    """(message, date) when `action` today falls outside the agreed period; None when it fits.

    `ends_on` is the end in force: the extended one when an extension was granted.
    """
    if action == Action.START and starts_on is not None and today < starts_on:
        return EARLY_HANDOVER, starts_on
    if action == Action.RETURN and ends_on is not None and today > ends_on:
        return LATE_RETURN, ends_on
    return None
