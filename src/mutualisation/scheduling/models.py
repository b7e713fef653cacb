"""The job-run records. The table keeps its name `job_runs` from when it lived under notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime


class JobRun(Base):
    """One run of a scheduled job: what it did, or why it failed (shown to admins)."""

    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint("outcome IN ('running', 'ok', 'failed')", name="outcome"),
        Index("ix_job_runs_job_started", "job", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    runner: Mapped[str] = mapped_column(String(100), default="", server_default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(10), default="running", server_default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
