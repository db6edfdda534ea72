"""Accounts of record (recovery.md): the table backend of the account directory."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from triage.extensions import db
from triage.timeutil import utcnow


class AccountRecord(db.Model):
    """One account as the provider knows it, loaded by `flask accounts import FILE`.

    `account_key` is the account name as matched (triage.text.normalise_name), so a
    look-alike spelling of a name finds the same record; re-importing updates by it.
    """

    __tablename__ = "account_records"

    account_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    account_name: Mapped[str] = mapped_column(String(200))
    customer_type: Mapped[str | None] = mapped_column(String(20))
    real_name_auth: Mapped[str | None] = mapped_column(String(20))
    account_type: Mapped[str | None] = mapped_column(String(20))
    card_added: Mapped[bool | None] = mapped_column(Boolean)
    payments_made: Mapped[bool | None] = mapped_column(Boolean)
    enterprise_in_china: Mapped[bool | None] = mapped_column(Boolean)
    email: Mapped[str | None] = mapped_column(String(254))
    mobile: Mapped[str | None] = mapped_column(String(40))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    # The owner's notices are written in it (records.LANGUAGES); None: DEFAULT_LANGUAGE.
    language: Mapped[str | None] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
