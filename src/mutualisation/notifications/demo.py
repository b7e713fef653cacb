"""Demo notifications, so the bell and the notification centre have something to show (idempotent)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..db import transaction
from ..i18n import N_
from .models import Notification
from .services import notify

DEMO = (
    (
        "official@loos-en-gohelle.demo",
        "agreement.approval_requested",
        N_("An agreement awaits your approval"),
    ),
    ("technician@loos-en-gohelle.demo", "matching.new_suggestion", N_("New matching suggestions")),
    ("technician@malaunay.demo", "agreement.proposal_received", N_("An agreement is proposed to you")),
)


def load(session: Session) -> str:
    created = 0
    with transaction(session):
        for email, kind, subject in DEMO:
            user = session.scalar(select(User).where(User.email == email))
            if user is None:
                continue
            already = session.scalar(
                select(func.count()).select_from(Notification).where(Notification.recipient_id == user.id)
            )
            if already:
                continue
            notification = notify(session, user, kind, subject, link="/notifications")
            # Demo notifications are for the centre only: no e-mail to demo addresses.
            notification.email_status = "skipped"
            created += 1
    return f"{created} notifications"
