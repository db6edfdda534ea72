"""Request and response models of second approval (recovery.md "Second approval").

`POST /tickets/<reference>/second-approval` takes `SecondApprovalRequest`; every reviewer's
ticket JSON carries `approvals` (`ApprovalsView`, from
`triage.review.operations.approvals.approvals_json`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from triage.api.schemas import NOT_BLANK, Body, Text
from triage.tickets.schemas import Email, Time

# recovery.md: the values of SECOND_APPROVAL, and why a ticket needs two approvals.
Policy = Literal["account_change", "all", "flagged"]
Reason = Literal[
    "account_change",
    "all",
    "facts_mismatch",
    "unknown_account",
    "duplicate_evidence",
    "near_duplicate",
    "disputed",
]


REFUSAL_NEEDS_A_NOTE = "is required to refuse the second approval: tell the first approver why"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class SecondApprovalRequest(Body):
    """`POST /tickets/<reference>/second-approval` (leads other than the first approver).

    `approved` is final; `rejected` needs a note and sends the ticket back to the first
    approver, who reads the note."""

    rules_schema: ClassVar = [
        {
            "if": {"properties": {"decision": {"const": "rejected"}}},
            "then": {"required": ["note"], "properties": {"note": {"pattern": NOT_BLANK}}},
        },
    ]

    decision: Literal["approved", "rejected"]
    note: Text(
        "note",
        required=False,
        description="For reviewers: why it is approved, or what the first approver must fix",
    ) = None

    @classmethod
    def cross_field(cls, raw: Mapping[str, Any]) -> dict[str, str]:
        if raw.get("decision") == "rejected" and _blank(raw.get("note")):
            return {"note": REFUSAL_NEEDS_A_NOTE}
        return {}


class ApprovalsView(BaseModel):
    """First and second approval of a ticket (recovery.md "Second approval")."""

    required: bool = Field(description="Whether an approval waits for a lead's second one")
    reasons: list[Reason] = Field(
        description="Why two approvals are needed: the policy's reason and the flags"
    )
    policy: Policy = Field(description="SECOND_APPROVAL")
    first_approved_by: Email | None = None
    first_approved_at: Time | None = None
    first_approval_note: str | None = None
    second_approved_by: Email | None = None
    second_approved_at: Time | None = None
    second_approval_note: str | None = None
    refused_note: str | None = Field(
        None, description="The last refusal of the second approval, for the first approver"
    )
    refused_by: Email | None = None
    refused_at: Time | None = None
