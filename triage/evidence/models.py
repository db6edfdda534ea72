"""One uploaded file: metadata here, bytes in the evidence store under `storage_key`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from triage.extensions import db
from triage.tickets.models import Ticket, new_id
from triage.timeutil import utcnow


class Evidence(db.Model):
    __tablename__ = "evidence"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    material: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))  # sanitised display name only
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(120))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    decision: Mapped[str | None] = mapped_column(String(20))  # accepted | rejected
    reason: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

    # The page or image preview (triage/review/previews.py): None (never asked for),
    # "pending" (a render runs, started at preview_started_at), "ready" (preview_pages
    # derived objects next to the file), "failed" (preview_error says why; never retried).
    preview_status: Mapped[str | None] = mapped_column(String(20))
    preview_pages: Mapped[int | None] = mapped_column(Integer)
    preview_error: Mapped[str | None] = mapped_column(String(200))
    preview_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # api.md "Evidence analysis", after the file is stored, on a worker: "pending" |
    # "done" | "failed" | "skipped"; the findings [{"code", "severity", "message"}] (no
    # message text stored: it is written for each reader in their language), what was read
    # ("mrz", "card": never a full card number) and the perceptual hash (64-bit, hex) that
    # near-duplicates are found by.
    analysis: Mapped[str | None] = mapped_column(String(10))
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    extracted: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # 16 hex digits for a photo, 1,024 for a PDF's first page (triage.analysis.phash).
    phash: Mapped[str | None] = mapped_column(String(1024), index=True)
    analysed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

    # recovery.md "Keeping identity documents": when the retention purge deleted the
    # stored object and its previews; the row (name, size, type, SHA-256) stays.
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    ticket: Mapped[Ticket] = relationship(back_populates="evidence")
