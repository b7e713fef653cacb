"""Recording audit events. Called inside a use case's transaction, so the trace commits with it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import AuditEvent


def record(
    session: Session, actor_id: int | None, action: str, object_type: str, object_id: object, **data: Any
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor_id, action=action, object_type=object_type, object_id=str(object_id), data=data
    )
    session.add(event)
    return event


def latest_event_id(session: Session) -> int | None:
    """The newest event's id: it changes with every state change, so it versions cached pages
    (page_cache.py). One lookup at the end of the primary key's index."""
    return session.scalar(select(func.max(AuditEvent.id)))
