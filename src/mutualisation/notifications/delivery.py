"""Delivering the outbox after the commit: immediate e-mails and daily/weekly digests.

A worker *claims* due rows in a short transaction (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED;
SQLite: one atomic UPDATE, SQLite serialising writers), which leases them until
`next_attempt_at`; then it sends, outside any transaction, and marks each row sent. Two workers
never claim the same row. A worker that dies after claiming leaves the lease to expire and the
rows are claimed again: nothing is lost. The Message-ID is derived from the notification id so
the one remaining window (dying between the SMTP hand-over and the mark) cannot create a
different message. Refused or unreachable SMTP → retried with exponential backoff, then failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..db import transaction
from . import kinds
from .mail import DeliveryError, Mailer, MailSettings, build_message, unsubscribe_url
from .models import Notification

log = logging.getLogger(__name__)

Sender = Callable[[EmailMessage], None]


def backoff(settings: MailSettings, attempts: int) -> timedelta:
    """Delay before attempt `attempts + 1`: base, 2×base, 4×base… capped at one day."""
    return timedelta(seconds=min(settings.backoff_base_seconds * 2 ** max(attempts - 1, 0), 86_400))


# Immediate e-mails ------------------------------------------------------------------------------


def _due_immediate(now: datetime):
    return or_(
        and_(
            Notification.email_status == "pending",
            or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        ),
        # A worker died holding these: its lease has run out.
        and_(Notification.email_status == "sending", Notification.next_attempt_at <= now),
    )


def claim_due(
    session: Session, now: datetime, limit: int, lease_seconds: int, max_attempts: int | None = None
) -> list[int]:
    """Lease up to `limit` due notifications to this worker; returns their ids.

    The attempt is counted when it is claimed, not when it ends: a message that kills or hangs
    its worker (so that no end is ever recorded) still runs out of attempts. A lease that ran out
    on the last attempt is given up as failed here, so such a message cannot come back forever.
    """
    lease = now + timedelta(seconds=lease_seconds)
    claim = {
        "email_status": "sending",
        "next_attempt_at": lease,
        "email_attempts": Notification.email_attempts + 1,
    }
    with transaction(session):
        if max_attempts is not None:
            _give_up_interrupted(session, now, max_attempts)
        due = select(Notification.id).where(_due_immediate(now)).order_by(Notification.id).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            ids = list(session.scalars(due.with_for_update(skip_locked=True)))
            if ids:
                session.execute(update(Notification).where(Notification.id.in_(ids)).values(**claim))
        else:
            ids = list(
                session.scalars(
                    update(Notification)
                    .where(Notification.id.in_(due.scalar_subquery()))
                    .values(**claim)
                    .returning(Notification.id)
                )
            )
    return sorted(ids)


def _give_up_interrupted(session: Session, now: datetime, max_attempts: int) -> None:
    session.execute(
        update(Notification)
        .where(
            Notification.email_status == "sending",
            Notification.next_attempt_at <= now,
            Notification.email_attempts >= max_attempts,
        )
        .values(
            email_status="failed",
            next_attempt_at=None,
            last_error="Delivery interrupted on the last attempt (worker stopped or timed out).",
        )
    )


def _mark_sent(session: Session, ids: list[int], now: datetime, claimed: str) -> None:
    with transaction(session):
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.email_status == claimed)
            .values(
                email_status="sent",
                email_sent_at=now,
                next_attempt_at=None,
                last_error=None,
            )
        )


def _mark_failed_attempt(
    session: Session,
    settings: MailSettings,
    rows: list[Notification],
    now: datetime,
    error: str,
    claimed: str,
    retry: str,
) -> str:
    """Back off, or give up after max_attempts (counted by the claim). Returns the new status.

    Written with plain UPDATEs in a fresh transaction: SQLite cannot wait for a write lock in a
    transaction that has already read, so no read happens here.
    """
    status = retry
    with transaction(session):
        for row in rows:
            attempts = max(row.email_attempts, 1)
            if attempts >= settings.max_attempts:
                new_status, next_at, status = "failed", None, "failed"
            else:
                new_status, next_at = retry, now + backoff(settings, attempts)
            session.execute(
                update(Notification)
                .where(Notification.id == row.id, Notification.email_status == claimed)
                .values(
                    email_status=new_status,
                    email_attempts=attempts,
                    next_attempt_at=next_at,
                    last_error=error[:500],
                )
            )
    return status


def _describe(exc: Exception) -> str:
    """The error kept on the row: a refusal as the server said it, anything else with its type."""
    return str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"


def _link_for(notification: Notification, settings: MailSettings) -> str:
    return settings.absolute(notification.link)


def _message_for(settings: MailSettings, notification: Notification, user: User) -> EmailMessage:
    return build_message(
        settings,
        to=user.email,
        locale=notification.locale or "fr",
        subject=notification.subject,
        template="notification",
        message_id_key=f"notification-{notification.id}",
        unsubscribe=unsubscribe_url(settings, user.id, notification.kind),
        notification=notification,
        user=user,
        link=_link_for(notification, settings),
        kind_label=kinds.label(notification.kind),
    )


def deliver_outbox(
    session: Session, settings: MailSettings, now: datetime, max_batches: int = 20
) -> dict[str, int]:
    """Send every due immediate e-mail (in batches); returns counts for the job record."""
    counts = {"sent": 0, "retried": 0, "failed": 0, "skipped": 0}
    with Mailer(settings) as mailer:
        for _ in range(max_batches):
            ids = claim_due(session, now, settings.batch_size, settings.lease_seconds, settings.max_attempts)
            if not ids:
                break
            for notification_id in ids:
                _deliver_one(session, settings, notification_id, now, mailer.send, counts)
    return counts


def _deliver_one(
    session: Session,
    settings: MailSettings,
    notification_id: int,
    now: datetime,
    sender: Sender,
    counts: dict,
) -> None:
    notification = session.get(Notification, notification_id, populate_existing=True)
    user = session.get(User, notification.recipient_id) if notification else None
    if notification is None or user is None:
        return
    # End the read transaction before sending and writing (see _mark_failed_attempt).
    session.commit()
    if not user.is_active:
        with transaction(session):
            session.execute(
                update(Notification)
                .where(Notification.id == notification_id, Notification.email_status == "sending")
                .values(email_status="skipped", next_attempt_at=None)
            )
        counts["skipped"] += 1
        return
    try:
        message = _message_for(settings, notification, user)
        sender(message)
    except Exception as exc:  # one bad message must never stop the others
        error = _describe(exc)
        log.warning("e-mail for notification %s not delivered: %s", notification_id, error)
        status = _mark_failed_attempt(session, settings, [notification], now, error, "sending", "pending")
        counts["failed" if status == "failed" else "retried"] += 1
        return
    _mark_sent(session, [notification_id], now, "sending")
    counts["sent"] += 1


# Digests ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestGroup:
    object_type: str | None
    object_id: str | None
    link: str
    items: list[Notification]


def group_for_digest(items: list[Notification], settings: MailSettings) -> list[DigestGroup]:
    """Group by object (agreement, listing…), newest group first, newest item first in each group."""
    groups: dict[tuple, list[Notification]] = {}
    for item in sorted(items, key=lambda n: (n.created_at, n.id), reverse=True):
        key = (item.object_type, item.object_id) if item.object_type else ("notification", str(item.id))
        groups.setdefault(key, []).append(item)
    return [
        DigestGroup(
            key[0] if members[0].object_type else None, key[1], settings.absolute(members[0].link), members
        )
        for key, members in groups.items()
    ]


def _due_digest(frequency: str, now: datetime):
    return and_(
        Notification.email_frequency == frequency,
        or_(
            and_(Notification.email_status == "digest", Notification.created_at <= now),
            and_(
                Notification.email_status == "digesting",
                Notification.next_attempt_at <= now,
            ),
        ),
    )


def _claim_digest(
    session: Session, user_id: int, frequency: str, now: datetime, lease_seconds: int
) -> list[int]:
    # One UPDATE: on PostgreSQL a concurrent claimer blocks on the row locks, then re-reads the
    # condition and finds nothing left; on SQLite writers are serialised.
    with transaction(session):
        ids = list(
            session.scalars(
                update(Notification)
                .where(Notification.recipient_id == user_id, _due_digest(frequency, now))
                .values(
                    email_status="digesting",
                    next_attempt_at=now + timedelta(seconds=lease_seconds),
                    email_attempts=Notification.email_attempts + 1,
                )
                .returning(Notification.id)
            )
        )
    return sorted(ids)


def send_digests(session: Session, settings: MailSettings, frequency: str, now: datetime) -> dict[str, int]:
    """One e-mail per recipient gathering their pending `frequency` notifications. No items, no e-mail."""
    counts = {"digests": 0, "items": 0, "retried": 0, "failed": 0}
    recipients = list(
        session.scalars(select(Notification.recipient_id).where(_due_digest(frequency, now)).distinct())
    )
    session.rollback()  # end the read transaction before the claims
    with Mailer(settings) as mailer:
        for user_id in recipients:
            ids = _claim_digest(session, user_id, frequency, now, settings.lease_seconds)
            if not ids:  # another worker took them: an empty digest is never sent
                continue
            _send_one_digest(session, settings, user_id, ids, frequency, now, mailer.send, counts)
    return counts


def _send_one_digest(
    session: Session,
    settings: MailSettings,
    user_id: int,
    ids: list[int],
    frequency: str,
    now: datetime,
    sender: Sender,
    counts: dict,
) -> None:
    user = session.get(User, user_id)
    items = list(
        session.scalars(
            select(Notification).where(Notification.id.in_(ids)),
            execution_options={"populate_existing": True},
        )
    )
    session.commit()  # end the read transaction before sending and writing
    if user is None or not items:
        return
    try:
        sender(_digest_message(settings, user, ids, items, frequency))
    except Exception as exc:  # one bad digest must never stop the others
        error = _describe(exc)
        log.warning("digest for user %s not delivered: %s", user_id, error)
        status = _mark_failed_attempt(session, settings, items, now, error, "digesting", "digest")
        counts["failed" if status == "failed" else "retried"] += 1
        return
    _mark_sent(session, ids, now, "digesting")
    counts["digests"] += 1
    counts["items"] += len(ids)


def _digest_message(
    settings: MailSettings, user: User, ids: list[int], items: list[Notification], frequency: str
) -> EmailMessage:
    from flask_babel import force_locale, ngettext

    locale = user.locale or items[0].locale or "fr"
    kind_codes = sorted({i.kind for i in items})
    with force_locale(locale):
        subject = (
            ngettext(
                "Your daily summary: %(num)d notification",
                "Your daily summary: %(num)d notifications",
                len(items),
            )
            if frequency == kinds.DAILY
            else ngettext(
                "Your weekly summary: %(num)d notification",
                "Your weekly summary: %(num)d notifications",
                len(items),
            )
        )
    return build_message(
        settings,
        to=user.email,
        locale=locale,
        subject=subject,
        template="digest",
        message_id_key=f"digest-{frequency}-{user.id}-{ids[0]}-{ids[-1]}-{len(ids)}",
        unsubscribe=unsubscribe_url(settings, user.id, kind_codes[0]) if len(kind_codes) == 1 else None,
        user=user,
        groups=group_for_digest(items, settings),
        frequency=frequency,
        unsubscribe_links=[(kinds.label(k), unsubscribe_url(settings, user.id, k)) for k in kind_codes],
        notifications_url=settings.absolute("/notifications"),
        preferences_url=settings.absolute("/notifications/preferences"),
    )
