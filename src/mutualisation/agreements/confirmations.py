"""What the agreement page says around an action: the confirmation once it is done, and the
warning that asks to confirm a handover or a return outside the agreed period; and the timeline,
which shows each action once.

One mechanism for every action (labels.DONE_MESSAGES), so that no action falls back to repeating
its button's label ("C'est fait : Valider") instead of saying what happened and for whom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext

from ..accounts.models import User
from ..declarations import now_paris
from ..formatting import day
from .labels import DONE_MESSAGES
from .models import Agreement, AgreementEvent
from .state import side_of_user
from .timing import execution_warning
from .vocabulary import Action, Side


def party_name(agreement: Agreement, side: str) -> str:
    actor = agreement.actor_of(side)
    if actor is not None:
        return actor.organisation or actor.display_name
    return agreement.territory_of(side).name


def done_message(agreement: Agreement, user: User, action: str) -> str:
    """The confirmation of `action`, e.g. "Convention validée pour Loos-en-Gohelle."."""
    side = side_of_user(agreement, user) or Side.PROVIDER
    other = Side.BENEFICIARY if side == Side.PROVIDER else Side.PROVIDER
    params = {
        "title": agreement.title,
        "territory": user.territory.name if user.territory is not None else "",
        "party": party_name(agreement, side),
        "other": party_name(agreement, other),
    }
    return str(DONE_MESSAGES[Action(action)]) % params


def warning_for(agreement: Agreement, action: str) -> str | None:
    """The question to ask before recording `action` today, if it falls outside the agreed period."""
    terms = agreement.current_terms()
    if terms is None:
        return None
    ends_on = agreement.extended_ends_on or terms.ends_on
    found = execution_warning(action, terms.starts_on, ends_on, now_paris().date())
    if found is None:
        return None
    message, date = found
    return gettext(message, date=day(date))


@dataclass(frozen=True)
class TimelineEntry:
    """One action as the page's timeline shows it: from the first status it left to the last."""

    first: AgreementEvent
    to_status: str
    data: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.first, name)


def timeline(events: list[AgreementEvent]) -> list[TimelineEntry]:
    """The history with each action once: an action that passed through several statuses
    (accepted, then pending approval) wrote one row per status, but it is one event to a reader."""
    entries: list[TimelineEntry] = []
    for event in events:
        last = entries[-1] if entries else None
        if last is not None and _same_action(last, event):
            entries[-1] = TimelineEntry(last.first, event.to_status, {**last.data, **(event.data or {})})
        else:
            entries.append(TimelineEntry(event, event.to_status, dict(event.data or {})))
    return entries


def _same_action(entry: TimelineEntry, event: AgreementEvent) -> bool:
    first = entry.first
    return (
        event.action == first.action
        and event.actor_id == first.actor_id
        and event.at == first.at
        and event.from_status == entry.to_status
    )
