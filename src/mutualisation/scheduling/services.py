"""Use cases around job runs: the admin overview, and pruning old records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..accounts.permissions import is_admin, require
from ..db import transaction
from ..notifications.models import Notification
from .models import JobRun


def can_administer_scheduler(user: Any, _obj: Any = None) -> bool:
    return is_admin(user)


@dataclass(frozen=True)
class JobsOverview:
    runs: list[JobRun]
    failures: list[JobRun]
    failed_emails: list[Notification]
    pending_emails: int


def jobs_overview(session: Session, user: Any, limit: int = 50) -> JobsOverview:
    """What admins need to see that the scheduler and the e-mails work (403 for anyone else)."""
    require(user, "scheduler:admin")
    runs = session.scalars(
        select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    ).all()
    failures = session.scalars(
        select(JobRun).where(JobRun.outcome == "failed").order_by(JobRun.started_at.desc()).limit(20)
    ).all()
    # The outbox is the job admins watch most: its failures are shown on the same page.
    failed_emails = session.scalars(
        select(Notification)
        .where(Notification.email_status == "failed")
        .order_by(Notification.id.desc())
        .limit(limit)
    ).all()
    pending = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.email_status.in_(("pending", "sending")))
    )
    return JobsOverview(list(runs), list(failures), list(failed_emails), int(pending or 0))


def prune_runs(session: Session, now: datetime, keep_days: int) -> int:
    """Delete the records older than `keep_days`; returns how many went."""
    with transaction(session):
        result = session.execute(delete(JobRun).where(JobRun.started_at < now - timedelta(days=keep_days)))
    return int(getattr(result, "rowcount", 0) or 0)
