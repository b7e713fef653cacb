"""Agreements ("conventions de mutualisation"): the agreement, its versioned terms, approvals,
signatures, reports, evaluations and the append-only history.

Each party is stored as two columns on the agreement: its territory (always set, because an actor
belongs to a territory too) and, for a local actor, the actor's user. The lifecycle's `Party` is
built from them (see state.state_of).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..listings.models import Listing
from ..territories.models import Territory
from .vocabulary import (
    AgreementKind,
    ApprovalDecision,
    DecisionKind,
    ReportKind,
    Side,
    SignatureMethod,
    Status,
    values,
)

# The stored vocabularies come from the lifecycle's enums: one list each, written once.
STATUSES = values(Status)
KINDS = values(AgreementKind)
SIDES = values(Side)
REPORT_KINDS = values(ReportKind)
DECISIONS = values(ApprovalDecision)
DECISION_KINDS = values(DecisionKind)
SIGNATURE_METHODS = values(SignatureMethod)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Agreement(Base):
    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("author_side", SIDES), name="author_side"),
        CheckConstraint("offer_id IS NOT NULL OR need_id IS NOT NULL", name="has_listing"),
        Index("ix_agreements_status_updated", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(
        String(20), default=Status.DRAFT.value, server_default=Status.DRAFT.value
    )
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="SET NULL"), index=True)
    need_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="SET NULL"), index=True)
    provider_territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True)
    provider_actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    beneficiary_territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True)
    beneficiary_actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    author_side: Mapped[str] = mapped_column(String(12))
    last_proposer_side: Mapped[str | None] = mapped_column(String(12))
    # The terms version the parties see; 0 is the draft, each propose/counter-propose adds one.
    terms_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    approved_terms_version: Mapped[int | None] = mapped_column(Integer)
    convention_generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The amendment (avenant) in force: 0 is the convention itself. Approvals and signatures belong
    # to one amendment, so that an avenant is approved and signed again without erasing the first.
    amendment: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The convention PDF issued for signature (storage key and SHA-256 of its exact bytes).
    convention_pdf_key: Mapped[str | None] = mapped_column(String(255))
    convention_pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    # Set once both parties have signed: the fingerprint of the signed convention, now frozen.
    convention_sha256: Mapped[str | None] = mapped_column(String(64))
    convention_frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_requested_by: Mapped[str | None] = mapped_column(String(12))
    extension_ends_on: Mapped[date | None] = mapped_column(Date)
    extension_beyond_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The end date as extended after the approval (the approved terms stay as they were approved).
    extended_ends_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Marks of the scheduled jobs, so that running a job twice sends nothing twice.
    approval_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evaluation_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    provider_territory: Mapped[Territory] = relationship(foreign_keys=[provider_territory_id], lazy="joined")
    beneficiary_territory: Mapped[Territory] = relationship(
        foreign_keys=[beneficiary_territory_id], lazy="joined"
    )
    # Lists show each agreement's parties and title: "selectin" loads them for a whole page in one
    # query per relationship instead of one query per row.
    provider_actor: Mapped[User | None] = relationship(foreign_keys=[provider_actor_id], lazy="selectin")
    beneficiary_actor: Mapped[User | None] = relationship(
        foreign_keys=[beneficiary_actor_id], lazy="selectin"
    )
    offer: Mapped[Listing | None] = relationship(foreign_keys=[offer_id], lazy="selectin")
    need: Mapped[Listing | None] = relationship(foreign_keys=[need_id], lazy="selectin")
    terms: Mapped[list[AgreementTerms]] = relationship(
        back_populates="agreement", order_by="AgreementTerms.version", cascade="all, delete-orphan"
    )
    approvals: Mapped[list[Approval]] = relationship(order_by="Approval.at", cascade="all, delete-orphan")
    signatures: Mapped[list[Signature]] = relationship(order_by="Signature.at", cascade="all, delete-orphan")
    reports: Mapped[list[Report]] = relationship(order_by="Report.at", cascade="all, delete-orphan")
    evaluations: Mapped[list[Evaluation]] = relationship(
        order_by="Evaluation.at", cascade="all, delete-orphan"
    )

    # Optimistic locking on top of the row lock: a write from a stale copy can never win silently.
    __mapper_args__ = {"version_id_col": row_version}

    def territory_id_of(self, side: str) -> int:
        return self.provider_territory_id if side == "provider" else self.beneficiary_territory_id

    def actor_id_of(self, side: str) -> int | None:
        return self.provider_actor_id if side == "provider" else self.beneficiary_actor_id

    def territory_of(self, side: str) -> Territory:
        return self.provider_territory if side == "provider" else self.beneficiary_territory

    def actor_of(self, side: str) -> User | None:
        return self.provider_actor if side == "provider" else self.beneficiary_actor

    def current_approvals(self) -> list[Approval]:
        return [a for a in self.approvals if a.amendment == self.amendment]

    def current_signatures(self) -> list[Signature]:
        return [s for s in self.signatures if s.amendment == self.amendment]

    def current_terms(self) -> AgreementTerms | None:
        return next((t for t in reversed(self.terms) if t.version == self.terms_version), None)

    def terms_at(self, version: int | None) -> AgreementTerms | None:
        return next((t for t in self.terms if t.version == version), None)

    @property
    def listing(self) -> Listing | None:
        return self.offer or self.need

    @property
    def title(self) -> str:
        listing = self.listing
        return listing.title if listing is not None else f"#{self.id}"


class AgreementTerms(Base):
    """One version of the terms. Never updated: a counter-proposal adds a version."""

    __tablename__ = "agreement_terms"
    __table_args__ = (
        UniqueConstraint("agreement_id", "version"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint("deposit_eur IS NULL OR deposit_eur >= 0", name="deposit_not_negative"),
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="period_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # [{"description": str, "quantity": float | None, "unit": str | None}]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    logistics: Mapped[str | None] = mapped_column(String(10))
    conditions: Mapped[str | None] = mapped_column(String(20))
    deposit_eur: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    insurance_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # A CACES or another qualification the person operating the equipment must hold.
    qualified_operator_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    kind: Mapped[str] = mapped_column(String(20))
    proposed_by_side: Mapped[str] = mapped_column(String(12))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="terms")

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "lines": list(self.lines or []),
            "starts_on": self.starts_on,
            "ends_on": self.ends_on,
            "logistics": self.logistics,
            "conditions": self.conditions,
            "deposit_eur": self.deposit_eur,
            "insurance_required": self.insurance_required,
            "qualified_operator_required": bool(self.qualified_operator_required),
            "kind": self.kind,
            "proposed_by_side": self.proposed_by_side,
        }


class Approval(Base):
    """The decision of one territory party, taken by one of its officials."""

    __tablename__ = "agreement_approvals"
    __table_args__ = (
        # One decision per territory and amendment: the last line of defence against a double approval.
        UniqueConstraint("agreement_id", "territory_id", "amendment"),
        CheckConstraint(_in("decision", DECISIONS), name="decision"),
        CheckConstraint(
            f"decision_kind IS NULL OR {_in('decision_kind', DECISION_KINDS)}", name="decision_kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"))
    decision: Mapped[str] = mapped_column(String(10))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    terms_version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    decision_reference: Mapped[str | None] = mapped_column(String(200))
    # The act that carries the decision: its kind and its date (the approval is dated by it, not
    # by the click, which `at` keeps), and the act itself as a PDF when attached.
    decision_kind: Mapped[str | None] = mapped_column(String(20))
    decision_date: Mapped[date | None] = mapped_column(Date)
    decision_document_key: Mapped[str | None] = mapped_column(String(255))
    amendment: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    territory: Mapped[Territory] = relationship(lazy="joined")
    official: Mapped[User | None] = relationship()


class Signature(Base):
    __tablename__ = "agreement_signatures"
    __table_args__ = (
        UniqueConstraint("agreement_id", "side", "amendment"),
        CheckConstraint(_in("side", SIDES), name="side"),
        CheckConstraint(_in("method", SIGNATURE_METHODS), name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    method: Mapped[str] = mapped_column(String(10), default="in_app", server_default="in_app")
    # The SHA-256 of the exact PDF signed (the issued convention, or the uploaded scan) and where it
    # is stored; `convention_sha256` is the issued convention the signer referred to.
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    document_key: Mapped[str | None] = mapped_column(String(255))
    convention_sha256: Mapped[str | None] = mapped_column(String(64))
    amendment: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    user: Mapped[User | None] = relationship()


class Report(Base):
    """A handover, incident or return report (the condition report of French practice)."""

    __tablename__ = "agreement_reports"
    __table_args__ = (CheckConstraint(_in("kind", REPORT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    side: Mapped[str | None] = mapped_column(String(12))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str | None] = mapped_column(Text)
    photo_path: Mapped[str | None] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship()


class Evaluation(Base):
    """One side's evaluation, with the CO2e computed from the configured factors and its method."""

    __tablename__ = "agreement_evaluations"
    __table_args__ = (
        UniqueConstraint("agreement_id", "side"),
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    satisfaction: Mapped[int] = mapped_column(Integer)
    money_saved_eur: Mapped[float | None] = mapped_column(Float)
    kg_diverted: Mapped[float | None] = mapped_column(Float)
    km_travelled: Mapped[float | None] = mapped_column(Float)
    vehicle: Mapped[str | None] = mapped_column(String(10))
    lessons_learned: Mapped[str | None] = mapped_column(Text)
    # The CO2e method the evaluator chose (agreements/evaluation.py): avoided_purchase | shared_use.
    co2e_method: Mapped[str] = mapped_column(
        String(20), default="avoided_purchase", server_default="avoided_purchase"
    )
    lifetime_share: Mapped[float | None] = mapped_column(Float)
    co2e_avoided_kg: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    co2e_transport_kg: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    co2e_net_kg: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    method_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    method_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgreementEvent(Base):
    """Append-only history: who, in which role, when, from which status to which, and why.

    No code path updates or deletes these rows (a test checks that the services never do).
    """

    __tablename__ = "agreement_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    terms_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    comment: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()
