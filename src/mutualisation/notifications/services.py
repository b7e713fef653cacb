"""Writing notifications into the outbox, inside the caller's transaction.

Delivery (e-mail, digests) happens later, after the commit; see notifications/jobs.py.
"""

from __future__ import annotations

from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from ..accounts.models import User
from .models import Notification


def notify(
    session: Session,
    recipient: User,
    kind: str,
    subject: str,
    body: str = "",
    *,
    object_type: str | None = None,
    object_id: object = None,
    link: str | None = None,
    **params: object,
) -> Notification:
    """Queue a notification for `recipient`.

    `subject` and `body` are English msgids; they are translated here, in the recipient's
    language, with `params` interpolated, so a French official reads French whatever the
    language of the person who caused the event.
    """
    locale = recipient.locale or "fr"
    with force_locale(locale):
        subject_text = gettext(subject, **params)
        body_text = gettext(body, **params) if body else ""
    notification = Notification(
        recipient_id=recipient.id,
        kind=kind,
        subject=subject_text,
        body=body_text,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        link=link,
        locale=locale,
    )
    session.add(notification)
    return notification
