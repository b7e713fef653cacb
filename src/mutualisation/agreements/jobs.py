"""Scheduled jobs of the agreements domain: plain functions `(session, now, **delays) -> counts`.

Each job is idempotent: it acts through the lifecycle (a second run finds nothing left to move) or
stamps the agreement when it sends a reminder, so running it twice never notifies twice. The
delays come from config/default.toml `[agreements]`; the scheduler passes them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import transaction
from ..declarations import ScheduledJob, cron
from ..errors import DomainError
from ..i18n import N_
from ..settings import settings_of
from . import notices, services
from .lifecycle import Action, Status
from .models import Agreement


def _ids(session: Session, *where) -> list[int]:
    return list(session.scalars(select(Agreement.id).where(*where).order_by(Agreement.id)))


def _system(session: Session, ids: list[int], action: Action, now: dt.datetime) -> int:
    done = 0
    for agreement_id in ids:
        try:
            services.transition(session, None, agreement_id, action, now=now)
        except DomainError:
            continue  # someone acted meanwhile: the lifecycle said no, nothing to do
        done += 1
    return done


def expire_proposals(session: Session, now: dt.datetime, *, proposal_expiry_days: int, **_: Any) -> dict:
    cutoff = now - dt.timedelta(days=proposal_expiry_days)
    ids = _ids(
        session,
        Agreement.status.in_((Status.PROPOSED, Status.NEGOTIATING)),
        Agreement.status_changed_at <= cutoff,
    )
    return {"expired": _system(session, ids, Action.EXPIRE, now)}


def auto_complete(session: Session, now: dt.datetime, *, auto_complete_days: int, **_: Any) -> dict:
    cutoff = now - dt.timedelta(days=auto_complete_days)
    ids = _ids(session, Agreement.status == Status.RETURNED, Agreement.status_changed_at <= cutoff)
    return {"completed": _system(session, ids, Action.AUTO_COMPLETE, now)}


def remind_approvers(session: Session, now: dt.datetime, *, approval_reminder_days: int, **_: Any) -> dict:
    cutoff = now - dt.timedelta(days=approval_reminder_days)
    sent = 0
    with transaction(session):
        for agreement in session.scalars(
            select(Agreement).where(
                Agreement.status == Status.PENDING_APPROVAL,
                Agreement.status_changed_at <= cutoff,
                Agreement.approval_reminded_at.is_(None),
            )
        ).unique():
            approved = {a.territory_id for a in agreement.approvals}
            for side in ("provider", "beneficiary"):
                territory_id = agreement.territory_id_of(side)
                if agreement.actor_id_of(side) is None and territory_id not in approved:
                    notices.tell(
                        session,
                        notices.officials(session, territory_id),
                        agreement,
                        "agreement.reminder",
                        N_("Reminder: approval awaited for %(title)s"),
                        N_('The agreement "%(title)s" still awaits your territory\'s approval.'),
                    )
                    sent += 1
            agreement.approval_reminded_at = now
    return {"approval_reminders": sent}


def _end_date(agreement: Agreement) -> dt.date | None:
    if agreement.extended_ends_on:
        return agreement.extended_ends_on
    terms = agreement.terms_at(agreement.approved_terms_version) or agreement.current_terms()
    return terms.ends_on if terms else None


def remind_borrowers(session: Session, now: dt.datetime, *, end_reminder_days: int, **_: Any) -> dict:
    """Before the end date: a reminder; after it: an overdue notice (loans only). Once each."""
    today = now.date()
    reminded = overdue = 0
    with transaction(session):
        for agreement in session.scalars(
            select(Agreement).where(Agreement.status == Status.IN_PROGRESS, Agreement.kind == "loan")
        ).unique():
            ends_on = _end_date(agreement)
            if ends_on is None:
                continue
            borrowers = notices.party_users(session, agreement, "beneficiary")
            if ends_on < today and agreement.overdue_notified_at is None:
                notices.tell(
                    session,
                    borrowers + notices.party_users(session, agreement, "provider"),
                    agreement,
                    "agreement.overdue",
                    N_("Overdue: %(title)s"),
                    N_(
                        'The end date of the agreement "%(title)s" has passed and the return is not recorded.'
                    ),
                )
                agreement.overdue_notified_at = now
                overdue += 1
            elif (
                today <= ends_on <= today + dt.timedelta(days=end_reminder_days)
                and agreement.end_reminded_at is None
            ):
                notices.tell(
                    session,
                    borrowers,
                    agreement,
                    "agreement.reminder",
                    N_("Reminder: %(title)s ends soon"),
                    N_('The agreement "%(title)s" ends soon. Please prepare the return.'),
                )
                agreement.end_reminded_at = now
                reminded += 1
    return {"end_reminders": reminded, "overdue_notices": overdue}


def request_evaluations(session: Session, now: dt.datetime, **_: Any) -> dict:
    """Completed agreements whose evaluation was never requested (for example, completed before)."""
    count = 0
    with transaction(session):
        for agreement in session.scalars(
            select(Agreement).where(
                Agreement.status == Status.COMPLETED, Agreement.evaluation_requested_at.is_(None)
            )
        ).unique():
            notices.request_evaluation(session, agreement, now)
            count += 1
    return {"evaluations_requested": count}


def _scheduled(func, **cron_fields: Any) -> ScheduledJob:
    """Wrap a `(session, now, **delays)` job for the scheduler: one session, delays from [agreements]."""

    def run(app: Flask, now: dt.datetime) -> dict:
        delays = dataclasses.asdict(settings_of(app).agreements)
        with app.extensions["mutualisation.sessions"]() as session:
            return func(session, now, **delays)

    return ScheduledJob(f"agreements.{func.__name__}", run, cron(**cron_fields))


JOBS = [
    _scheduled(expire_proposals, hour=6),
    _scheduled(auto_complete, hour=6, minute=30),
    _scheduled(remind_approvers, hour=7),
    _scheduled(remind_borrowers, hour=7, minute=15),
    _scheduled(request_evaluations, hour=7, minute=30),
]
