"""Tickets, their flags and the reviewers' requests for more materials."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from triage.extensions import db
from triage.timeutil import utcnow

PRIORITIES = ("high", "normal", "low")  # rank = index: lower ranks are taken first


def new_id() -> str:
    return uuid.uuid4().hex


class Ticket(db.Model):
    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30), default="draft")
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(20))  # checklist | manual_review
    rule: Mapped[str | None] = mapped_column(String(40))

    account_name: Mapped[str] = mapped_column(String(200))
    # Lower-cased account name: repeat requests for one account are found through it.
    account_key: Mapped[str] = mapped_column(String(200), index=True)
    contact_email: Mapped[str] = mapped_column(String(254))
    change_mobile: Mapped[str | None] = mapped_column(String(40))
    change_email: Mapped[str | None] = mapped_column(String(254))
    restriction_reason: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    # api.md "Evidence analysis": the customer's full name as on their identity document,
    # optional at creation; the analysis compares it with the name a passport's MRZ gives.
    holder_name: Mapped[str | None] = mapped_column(String(200))
    information: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    explanation: Mapped[str | None] = mapped_column(Text)

    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The customer's language (api.md "Languages"), chosen when the ticket is made: every
    # email about the ticket is written in it (triage.notifications).
    language: Mapped[str] = mapped_column(String(10), default="en", server_default="en")

    priority_rank: Mapped[int] = mapped_column(SmallInteger, default=1)
    # Running totals of the ticket's evidence, kept by the upload's guarded UPDATE, which
    # checks TICKET_MAX_FILES/TICKET_MAX_BYTES against them while it takes the row: no
    # count over the evidence table on the upload path. Whatever adds or removes a file
    # (triage.evidence.operations, triage.evidence.removal) changes them in its own
    # guarded UPDATE, in the same transaction as the row.
    evidence_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    evidence_bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    first_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Indexed for the windows the dashboard and the retention purge read.
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    decision_note: Mapped[str | None] = mapped_column(Text)

    # recovery.md "Accounts of record": the account's record as read when the ticket was
    # made (contacts kept in full here, shown only masked), how the declared facts
    # compared (`record_status`: matched | mismatch | unknown | pending while the
    # directory does not answer) and the differences, [{"fact", "declared", "record"}].
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    record_status: Mapped[str | None] = mapped_column(String(12), index=True)
    record_differences: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    record_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The contact email as matched (lower-cased, NFKC): `velocity` counts tickets by it.
    contact_key: Mapped[str | None] = mapped_column(String(254), index=True)

    # recovery.md "Second approval": the first approval (maker) and the second (checker);
    # `second_approval_note` is also what a rejected second approval tells the first.
    first_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    first_approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_approval_note: Mapped[str | None] = mapped_column(Text)
    second_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    second_approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    second_approval_note: Mapped[str | None] = mapped_column(Text)
    # recovery.md "Notice to the registered owner": an approved account change takes
    # effect at `effective_at` (final approval + CHANGE_WAITING_HOURS); None otherwise.
    effective_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    disputed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # recovery.md "Keeping identity documents": a lead's legal hold stops the purge.
    legal_hold_reason: Mapped[str | None] = mapped_column(Text)
    legal_hold_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    legal_hold_by_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claim_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    evidence: Mapped[list[Evidence]] = relationship(  # noqa: F821
        back_populates="ticket", order_by="Evidence.uploaded_at", cascade="all, delete-orphan"
    )
    flag_rows: Mapped[list[TicketFlag]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", lazy="selectin"
    )
    requests: Mapped[list[MaterialRequest]] = relationship(
        back_populates="ticket", order_by="MaterialRequest.at", cascade="all, delete-orphan"
    )
    claimed_by: Mapped[Reviewer | None] = relationship(foreign_keys=[claimed_by_id])  # noqa: F821
    first_approved_by: Mapped[Reviewer | None] = relationship(  # noqa: F821
        foreign_keys=[first_approved_by_id]
    )
    second_approved_by: Mapped[Reviewer | None] = relationship(  # noqa: F821
        foreign_keys=[second_approved_by_id]
    )

    __table_args__ = (
        # The queue: waiting tickets by priority, then by first submission.
        Index("ix_tickets_queue", "status", "priority_rank", "first_submitted_at", "id"),
        Index("ix_tickets_claim_expiry", "status", "claim_expires_at"),
    )

    @property
    def priority(self) -> str:
        return PRIORITIES[self.priority_rank]

    @property
    def flags(self) -> list[str]:
        return sorted(f.flag for f in self.flag_rows)

    def set_flag(self, flag: str) -> None:
        if flag not in self.flags:
            self.flag_rows.append(TicketFlag(flag=flag))


class TicketFlag(db.Model):
    __tablename__ = "ticket_flags"

    ticket_id: Mapped[str] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    flag: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)
    ticket: Mapped[Ticket] = relationship(back_populates="flag_rows")


class MaterialRequest(db.Model):
    """A reviewer's request for more: exactly what, and the message the customer reads."""

    __tablename__ = "material_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    materials: Mapped[list[str]] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    ticket: Mapped[Ticket] = relationship(back_populates="requests")
