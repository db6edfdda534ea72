"""Reviewer accounts and their API tokens (stored as hashes)."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from triage.extensions import db
from triage.timeutil import utcnow

ROLES = ("reviewer", "lead")


class Reviewer(UserMixin, db.Model):
    __tablename__ = "reviewers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="reviewer")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Part of every session cookie (see get_id); raising it ends all of this reviewer's
    # sessions on the server, so a copied cookie stops working after sign-out.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tokens: Mapped[list[ReviewerToken]] = relationship(
        back_populates="reviewer", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        """Flask-Login's "alternative token": `<id>.<session epoch>`, kept in the cookie.

        The user loader accepts it only while the epoch is current (Flask-Login docs,
        "Alternative Tokens"), so `end_sessions` revokes every cookie issued before it.
        """
        return f"{self.id}.{self.session_epoch}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"

    @property
    def actor(self) -> str:
        return f"reviewer:{self.email}"


class ReviewerToken(db.Model):
    __tablename__ = "reviewer_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(
        ForeignKey("reviewers.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewer: Mapped[Reviewer] = relationship(back_populates="tokens")
