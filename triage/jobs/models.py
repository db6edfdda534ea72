"""What a lead sees of background jobs: every job that had to be retried or failed.

A job that succeeds at its first try leaves no row (most of them: nothing to see, and no
write per job); one that raised leaves a row keyed by its Celery task id, updated at each
retry and at its end, so /review/jobs lists what failed, how often it was tried and why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from triage.extensions import db
from triage.timeutil import iso, utcnow

RETRYING, FAILED, SUCCEEDED = "retrying", "failed", "succeeded"


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the Celery task id
    name: Mapped[str] = mapped_column(String(100))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20))  # retrying | failed | succeeded
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(Text)
    first_error_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_jobs_status_updated", "status", "updated_at"),)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "args": self.args,
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
            "first_error_at": iso(self.first_error_at),
            "updated_at": iso(self.updated_at),
        }
