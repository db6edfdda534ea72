"""The registered owner's one-time "this was not me" links (recovery.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from triage.extensions import db
from triage.timeutil import utcnow


class DisputeLink(db.Model):
    """One link sent to the account's registered email: only the token's SHA-256 is kept.

    The link works until the ticket's `effective_at` (or, before approval, while the
    ticket is open) and only once (`used_at`).
    """

    __tablename__ = "dispute_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    notification_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("notifications.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
