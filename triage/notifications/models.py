"""The notification outbox: one row per email, written in the transaction of its change.

    pending ──(a worker claims it)──> sending ──> sent
       ^                                 │
       └──(a failure, retried later)─────┤
                                         └──> failed   (after the last retry)

A worker claims a row with one conditional UPDATE (pending, or sending with a lease that
ran out because its worker died), so of any number of workers exactly one sends it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from triage.extensions import db
from triage.timeutil import utcnow

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    # ticket_created | materials_requested | file_rejected | decision | access_link, and
    # recovery.md's owner_notice | owner_approved | owner_disputed | owner_rejected | disputed
    kind: Mapped[str] = mapped_column(String(30))
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(10), default="en")
    # What the message says, as of the change (never an access code).
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

    __table_args__ = (
        # The sweep: rows still to send, oldest first.
        Index("ix_notifications_due", "status", "next_attempt_at"),
    )
