"""Experience sheets ("fiches retour d'expérience"): the sheet, its revisions, its links to the
agreements it draws on, and the peers' reactions.

A sheet is the network's shared "source code" of the transition: every edit keeps the previous
text as a revision, and a peer's contradiction is kept beside the text rather than edited away.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..territories.models import Territory
from .sheet_rules import SECTIONS

SHEET_STATUSES = ("draft", "published")
REACTION_KINDS = ("reuse", "comment", "contradiction")
DEFAULT_LICENCE = "CC-BY-SA-4.0"


class Sheet(Base):
    __tablename__ = "sheets"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published')", name="status"),
        Index("ix_sheets_status_published", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    category: Mapped[str | None] = mapped_column(String(30))
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft", server_default="draft")
    # The text version: 1 at creation, one more per edit; a PATCH names the version it read.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    licence: Mapped[str] = mapped_column(String(40), default=DEFAULT_LICENCE, server_default=DEFAULT_LICENCE)
    population: Mapped[int | None] = mapped_column(Integer)
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    context: Mapped[str] = mapped_column(Text, default="", server_default="")
    what_shared: Mapped[str] = mapped_column(Text, default="", server_default="")
    method: Mapped[str] = mapped_column(Text, default="", server_default="")
    success_conditions: Mapped[str] = mapped_column(Text, default="", server_default="")
    pitfalls: Mapped[str] = mapped_column(Text, default="", server_default="")
    results_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    contacts: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Title and sections in one text, what the full-text search reads (see mutualisation/fulltext.py).
    search_document: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    territory: Mapped[Territory] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    revisions: Mapped[list[SheetRevision]] = relationship(
        order_by="SheetRevision.version", cascade="all, delete-orphan", back_populates="sheet"
    )
    reactions: Mapped[list[SheetReaction]] = relationship(
        order_by="SheetReaction.created_at", cascade="all, delete-orphan"
    )
    agreement_links: Mapped[list[SheetAgreement]] = relationship(cascade="all, delete-orphan")

    @property
    def agreement_ids(self) -> list[int]:
        return sorted(link.agreement_id for link in self.agreement_links)

    def content(self) -> dict[str, Any]:
        """What a revision keeps: everything a person edits."""
        return {
            "title": self.title,
            "themes": list(self.themes or []),
            "category": self.category,
            "population": self.population,
            "started_on": self.started_on.isoformat() if self.started_on else None,
            "ended_on": self.ended_on.isoformat() if self.ended_on else None,
            "licence": self.licence,
            **{name: getattr(self, name) or "" for name in SECTIONS},
        }


class SheetRevision(Base):
    """One version of a sheet's content, never updated: an edit adds a revision."""

    __tablename__ = "sheet_revisions"
    __table_args__ = (UniqueConstraint("sheet_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("sheets.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The author's role and territory at the time, shown publicly instead of their name.
    author_role: Mapped[str] = mapped_column(String(20), default="", server_default="")
    author_territory_id: Mapped[int | None] = mapped_column(ForeignKey("territories.id"))
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sheet: Mapped[Sheet] = relationship(back_populates="revisions")
    author_territory: Mapped[Territory | None] = relationship(lazy="joined")


class SheetReaction(Base):
    """A peer's reuse ("nous l'avons reprise"), comment or documented contradiction."""

    __tablename__ = "sheet_reactions"
    __table_args__ = (CheckConstraint("kind IN ('reuse', 'comment', 'contradiction')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("sheets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(15))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_role: Mapped[str] = mapped_column(String(20))
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"))
    sheet_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    territory: Mapped[Territory] = relationship(lazy="joined")


class SheetAgreement(Base):
    """An agreement whose evaluations the sheet's results draw on."""

    __tablename__ = "sheet_agreements"

    sheet_id: Mapped[int] = mapped_column(ForeignKey("sheets.id", ondelete="CASCADE"), primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True, index=True
    )
