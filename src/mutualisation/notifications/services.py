"""Notifications use cases: writing into the outbox inside the caller's transaction, the in-app
centre (list, mark read) and the e-mail preferences.

Delivery (e-mail, digests) happens later, after the commit; see notifications/delivery.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from flask_babel import force_locale
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..audit.services import record
from ..db import transaction, utcnow
from ..errors import NotFound, ValidationFailed
from ..i18n import N_
from . import kinds, messages
from .models import Notification, NotificationPreference

# What the outbox does with a new notification, by the frequency the recipient chose for its kind.
_STATUS_FOR_FREQUENCY = {
    kinds.IMMEDIATE: "pending",
    kinds.DAILY: "digest",
    kinds.WEEKLY: "digest",
    kinds.NONE: "skipped",
}


def frequency_for(session: Session, user_id: int, kind: str) -> str:
    chosen = session.scalar(
        select(NotificationPreference.frequency).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
        )
    )
    return chosen or kinds.default_frequency(kind)


def notify(
    session: Session,
    recipient: User,
    kind: str,
    subject: str | tuple[str, str],
    body: str | tuple[str, str] = "",
    *,
    object_type: str | None = None,
    object_id: object = None,
    link: str | None = None,
    **params: object,
) -> Notification:
    """Queue a notification for `recipient` (in-app always; e-mail according to their preference).

    `subject` and `body` are English msgids; they are translated here, in the recipient's
    language, with `params` interpolated, so a French official reads French whatever the
    language of the person who caused the event. Nothing is sent here: the row is the outbox,
    and it only exists for the delivery worker once the caller's transaction commits.
    """
    locale = recipient.locale or "fr"
    with force_locale(locale):
        subject_text = messages.translate(subject, params)
        body_text = messages.translate(body, params) if body else ""
    frequency = frequency_for(session, recipient.id, kind)
    notification = Notification(
        recipient_id=recipient.id,
        kind=kind,
        subject=subject_text[:300],
        body=body_text,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        link=link,
        locale=locale,
        message=messages.stored(subject, body, params),
        email_frequency=frequency,
        email_status=_STATUS_FOR_FREQUENCY[frequency],
    )
    session.add(notification)
    return notification


# In-app centre ------------------------------------------------------------------------------


def list_notifications(
    session: Session, user: User, *, unread_only: bool = False, offset: int = 0, limit: int = 20
) -> tuple[list[Notification], int]:
    """The user's notifications, newest first, with the total for pagination."""
    where = [Notification.recipient_id == user.id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0
    items = session.scalars(
        select(Notification)
        .where(*where)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(items), total


def unread_count(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(
    session: Session, user: User, notification_id: int, now: datetime | None = None
) -> Notification:
    """Only the recipient may mark a notification; for anybody else it does not exist (404)."""
    with transaction(session):
        notification = session.get(Notification, notification_id)
        if notification is None or notification.recipient_id != user.id:
            raise NotFound(N_("Notification not found."))
        if notification.read_at is None:
            notification.read_at = now or utcnow()
    return notification


def mark_all_read(session: Session, user: User, now: datetime | None = None) -> int:
    with transaction(session):
        result = cast(
            CursorResult[Any],
            session.execute(
                update(Notification)
                .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
                .values(read_at=now or utcnow())
            ),
        )
    return int(result.rowcount or 0)


# Preferences --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: object
    is_action: bool
    frequency: str
    default_frequency: str


def preferences(session: Session, user: User) -> list[PreferenceRow]:
    chosen = dict(
        session.execute(
            select(NotificationPreference.kind, NotificationPreference.frequency).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return [
        PreferenceRow(
            k.code, k.label, k.is_action, chosen.get(k.code, k.default_frequency), k.default_frequency
        )
        for k in sorted(kinds.KINDS.values(), key=lambda k: (not k.is_action, k.code))
    ]


def _set_preference(session: Session, user_id: int, kind: str, frequency: str) -> bool:
    if frequency not in kinds.FREQUENCIES:
        raise ValidationFailed(N_("Invalid preferences."), {kind: [N_("Not a valid choice.")]})
    pref = session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
        )
    )
    if pref is None:
        session.add(NotificationPreference(user_id=user_id, kind=kind, frequency=frequency))
        return True
    if pref.frequency != frequency:
        pref.frequency = frequency
        return True
    return False


def update_preferences(session: Session, user: User, choices: dict[str, str]) -> int:
    """Save the user's chosen frequency per kind; returns how many changed."""
    unknown = [k for k in choices if k not in kinds.KINDS]
    if unknown:
        raise ValidationFailed(
            N_("Invalid preferences."), {k: [N_("Unknown notification kind.")] for k in unknown}
        )
    with transaction(session):
        changed = [kind for kind, freq in choices.items() if _set_preference(session, user.id, kind, freq)]
        if changed:
            record(session, user.id, "notifications.preferences_updated", "user", user.id, kinds=changed)
    return len(changed)


def unsubscribe(session: Session, user_id: int, kind: str) -> None:
    """The one-click unsubscribe of an e-mail: that kind's preference becomes "none"."""
    with transaction(session):
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(N_("This link is no longer valid."))
        _set_preference(session, user_id, kind, kinds.NONE)
        record(session, user_id, "notifications.unsubscribed", "user", user_id, kind=kind)
