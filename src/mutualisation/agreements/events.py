"""The append-only history: one `AgreementEvent` row per step, with what the step recorded.

Rows are only ever added (a test checks that no module of this package updates or deletes them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ..accounts.models import User
from .models import Agreement, AgreementEvent
from .vocabulary import Role


def add_event(
    session: Session,
    agreement: Agreement,
    user: User | None,
    action: str,
    from_status: str | None,
    to_status: str,
    at: dt.datetime,
    comment: str | None = None,
    **data: Any,
) -> None:
    session.add(
        AgreementEvent(
            agreement_id=agreement.id,
            at=at,
            actor_id=user.id if user is not None else None,
            actor_role=user.role if user is not None else Role.SYSTEM,
            action=action,
            from_status=from_status,
            to_status=str(to_status),
            terms_version=agreement.terms_version,
            comment=comment,
            data={k: _jsonable(v) for k, v in data.items() if v is not None},
        )
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value
