"""Request and response models of legal holds (recovery.md "Keeping identity documents")."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from triage.api.schemas import NOT_BLANK, Body, Text
from triage.tickets.schemas import Email, Time


class LegalHoldRequest(Body):
    """`POST /tickets/<reference>/legal-hold` (leads): why the evidence must be kept."""

    reason: Text(
        "reason",
        description="Why the evidence must be kept (the history keeps it)",
        json_schema_extra={"pattern": NOT_BLANK},
    )


class LegalHoldRelease(Body):
    """`POST /tickets/<reference>/legal-hold/release` (leads): why the hold ends."""

    reason: Text(
        "reason",
        description="Why the hold is lifted (the history keeps it)",
        json_schema_extra={"pattern": NOT_BLANK},
    )


class LegalHold(BaseModel):
    reason: str = Field(description="Why the evidence is kept")
    placed_by: Email | None = Field(description="The lead who placed the hold")
    placed_at: Time


class RetentionView(BaseModel):
    """When the ticket's evidence is deleted, whether a legal hold stops it, when it went."""

    state: Literal["open", "scheduled", "held", "purged"] = Field(
        description="open: not decided or withdrawn yet; scheduled: deleted at "
        "purge_due_at; held: a legal hold stops the purge; purged: the files are deleted "
        "(the rows remain)"
    )
    retention_days: int = Field(ge=0, description="RETENTION_DAYS")
    closed_at: Time | None = Field(description="When the ticket was decided or withdrawn")
    purge_due_at: Time | None = Field(
        description="closed_at + retention_days: the first purge run after it deletes the files"
    )
    legal_hold: LegalHold | None
    purged_at: Time | None = Field(description="When the files were deleted")
