"""Suggestions: an offer ↔ need pair proposed by the engine, and what people did with it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

SUGGESTION_STATUSES = ("active", "accepted", "dismissed", "stale")
# Reasons offered when dismissing; the code is stored, the label is translated in the views.
DISMISS_REASONS = ("already_found", "too_far", "wrong_item", "dates_dont_fit", "other")


class Suggestion(Base):
    """One offer ↔ need pair.

    `offer_rank` is the need's place in the offer's top-k and `need_rank` the offer's place in
    the need's top-k (NULL when not in it): a pair is suggested when either is set. Keeping both
    lets an incremental update recompute one side's top-k without losing the other side's.
    Dismissed and accepted rows outlive their ranks so that a decision is never forgotten; the
    fingerprints tell whether a listing changed materially since (then a dismissal is lifted).
    """

    __tablename__ = "suggestions"
    __table_args__ = (
        UniqueConstraint("offer_id", "need_id", name="uq_suggestions_offer_need"),
        CheckConstraint("status IN ('active', 'accepted', 'dismissed', 'stale')", name="status"),
        Index("ix_suggestions_need_id", "need_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    need_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    distance_km: Mapped[float] = mapped_column(Float)
    offer_rank: Mapped[int | None] = mapped_column(Integer)
    need_rank: Mapped[int | None] = mapped_column(Integer)
    breakdown: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    dismiss_reason: Mapped[str | None] = mapped_column(String(30))
    dismiss_text: Mapped[str | None] = mapped_column(Text)
    offer_fingerprint: Mapped[str] = mapped_column(String(32), default="", server_default="")
    need_fingerprint: Mapped[str] = mapped_column(String(32), default="", server_default="")
    agreement_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def restorable(self) -> bool:
        """A dismissal that can be taken back: the pair is still in one listing's top-k. A dismissed
        pair neither ranks stays stored only to remain dismissed; active, the next recompute would
        remove it."""
        return self.status == "dismissed" and (self.offer_rank is not None or self.need_rank is not None)


class MatchingState(Base):
    """Data version of one category's listings, for the per-process caches of the incremental update.

    Every flush that adds, changes or deletes listings bumps `version` of their categories in the
    same transaction (`snapshots.bump_changed_categories`, attached to the app's sessions by
    `attach_flush_listener`). `last_listing_id` is the listing changed by the latest bumps and
    `run_start` the version before that run of changes began: a worker whose cache is at a
    version >= `run_start` only misses changes to that one listing, which it re-reads anyway, so
    it patches its cache instead of reloading the category. Otherwise it catches up from
    `MatchingChange`, which holds every change after `log_from`. `epoch` is random per row:
    a row created again (after a rollback) never matches an old cache.
    """

    __tablename__ = "matching_state"

    category: Mapped[str] = mapped_column(String(30), primary_key=True)
    epoch: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    run_start: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    last_listing_id: Mapped[int | None] = mapped_column(Integer)
    # What the category's stored suggestions were last fully computed from (`recompute.inputs_key`):
    # a full recompute whose inputs hash the same skips the category (nothing could change).
    computed_inputs: Mapped[str | None] = mapped_column(String(64))
    # Every bump after this version is in `matching_changes`; a cache older than it reloads.
    log_from: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class MatchingChange(Base):
    """Which listings a bump of a category's data version changed: their rows or their stored top-k.

    A worker whose cache of the category is at version v re-reads just the listings logged after v
    (`snapshots.category_snapshot`) instead of the whole category: with several workers, nearly
    every update lands on one whose cache another worker's updates made stale. Bumps of a category
    are serialised by its `matching_state` row lock, so versions grow in commit order. The full
    recompute prunes the oldest rows (`snapshots.prune_changes`), moving `log_from` past them.
    """

    __tablename__ = "matching_changes"

    category: Mapped[str] = mapped_column(String(30), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    listing_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The listing's own row changed (a flush); otherwise only its stored top-k list (an update).
    row_changed: Mapped[bool] = mapped_column(Boolean)


class MatchingPending(Base):
    """A listing whose row changed (a flush) and whose own incremental update has not run yet.

    The next update of the category, whichever worker runs it, first runs theirs, in its own
    transaction and in order (`incremental.update_for_listing`). The incremental update assumes
    that the stored lists are exact for every listing but the one it updates: with a second changed
    listing that another worker has not placed yet, lists written from its new state while others
    still rank it by its old one could end up inexact for good. A full recompute clears the rows
    of the versions it read (`version`: the bump of the listing's latest change).
    """

    __tablename__ = "matching_pending"

    category: Mapped[str] = mapped_column(String(30), primary_key=True)
    listing_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
