"""One row per browser that may open a ticket without typing its access code again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from triage.extensions import db
from triage.timeutil import utcnow


class TicketGrant(db.Model):
    """The session cookie carries a random grant token; only its SHA-256 is kept here.

    Deleting the row ("forget this device") ends the access on the server, so a copy of
    the cookie opens nothing afterwards.
    """

    __tablename__ = "ticket_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The new ticket's access code, sealed with a key derived from the grant token (which
    # only the browser holds) until the "created" page shows it once; then NULL.
    sealed_code: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
