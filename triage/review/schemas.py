"""Request and response models of the reviewers' API (api.md "Reviewers").

The API validates with these before a view runs and the OpenAPI document is generated from
them; the services (triage/review/operations) check again for the pages. Rules across
fields (a rejection needs a reason, `other` needs a note, a rejected ticket needs a note)
are validators here and `if`/`then` in the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema

from triage.accounts.schemas import RecordView
from triage.api import SWITCH_WORDS
from triage.api.schemas import NO_DEFAULT_SHOWN, NOT_BLANK, Body, Choice, Text
from triage.evidence.reasons import REASONS
from triage.requirements import MATERIALS
from triage.retention.schemas import RetentionView
from triage.review.approval_schemas import ApprovalsView
from triage.review.queue import MAX_LIMIT, QUEUE_FILTER_STATUSES
from triage.tickets.flags import FLAGS
from triage.tickets.schemas import Email, Priority, Status, Ticket, TicketFlag, TicketType, Time

RejectionReason = Choice(REASONS, "`other` needs a note")
Switch = Choice(SWITCH_WORDS)


def _digits(value: Any) -> Any:
    """A whole number as the query string writes it: digits only (not "5.0", "+5", "5_0")."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        raise ValueError(f"must be a whole number from 1 to {MAX_LIMIT}")
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- requests ---------------------------------------------------------------------------------


class QueueQuery(Body):
    """`GET /queue`: leave a filter out for "any"; an empty one is a mistake to say so."""

    type: Annotated[TicketType, NO_DEFAULT_SHOWN] = None
    flag: Annotated[Choice(FLAGS), NO_DEFAULT_SHOWN] = None
    status: Annotated[
        Choice(QUEUE_FILTER_STATUSES),
        NO_DEFAULT_SHOWN,
        Field(
            description="Leave out for awaiting_review and in_review. awaiting_second_approval: "
            "first approvals waiting for a lead (recovery.md); disputed: leads only (403 "
            "otherwise)"
        ),
    ] = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT), BeforeValidator(_digits), NO_DEFAULT_SHOWN] = (
        None
    )
    counts: Annotated[
        Switch,
        NO_DEFAULT_SHOWN,
        Field(
            description="true: add whole-queue counts of the queue asked for by `status` "
            "(type and flag filters aside; they read every ticket of that queue, so they cost "
            "time)"
        ),
    ] = None


class ContentQuery(Body):
    """`GET /evidence/<id>/content`."""

    download: Annotated[
        Switch, NO_DEFAULT_SHOWN, Field(description="1: always send as an attachment")
    ] = None


class ClaimRequest(Body):
    """`POST /queue/claim`; leave `type` out (or the whole body) to take any type."""

    optional_body: ClassVar = True

    # Not nullable: `null` is no type (schemathesis sent it); leaving it out is "any".
    type: Annotated[TicketType, NO_DEFAULT_SHOWN] = None


class ReassignRequest(Body):
    """`POST /tickets/<reference>/reassign` (leads): the new holder's email."""

    reviewer: Text("reviewer", description="The new reviewer", fmt="email")


class EvidenceReviewRequest(Body):
    """`POST /evidence/<id>/review`. A rejection needs a reason; rejecting for `other` needs a
    note. A reason sent with an acceptance is checked, then ignored."""

    rules_schema: ClassVar = [
        {
            "if": {"properties": {"decision": {"const": "rejected"}}},
            "then": {"required": ["reason"], "properties": {"reason": {"enum": list(REASONS)}}},
        },
        {
            "if": {
                "properties": {"decision": {"const": "rejected"}, "reason": {"const": "other"}},
                "required": ["decision", "reason"],
            },
            "then": {"required": ["note"], "properties": {"note": {"pattern": NOT_BLANK}}},
        },
    ]

    decision: Literal["accepted", "rejected"]
    reason: RejectionReason | None = None
    note: Text("note", required=False, description="What the customer reads") = None

    @classmethod
    def cross_field(cls, raw: Mapping[str, Any]) -> dict[str, str]:
        if raw.get("decision") != "rejected":
            return {}
        if _blank(raw.get("reason")):
            return {"reason": "is required to reject a file: the customer reads it"}
        if raw.get("reason") == "other" and _blank(raw.get("note")):
            return {"note": "is required with the reason “other”: say what is wrong"}
        return {}


MaterialKeyAsked = Annotated[
    Text("materials"),
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(MATERIALS),
            "description": "A key that does not exist answers 422 unknown_material",
        }
    ),
]


class MaterialsRequest(Body):
    """`POST /tickets/<reference>/request-materials`: the ticket goes to needs_more_info."""

    materials: list[MaterialKeyAsked] = Field(min_length=1)
    message: Text(
        "message",
        description="What the customer reads exactly",
        json_schema_extra={"pattern": NOT_BLANK},
    )


class DecisionRequest(Body):
    """`POST /tickets/<reference>/decision`. A rejection needs a note."""

    rules_schema: ClassVar = [
        {
            "if": {"properties": {"decision": {"const": "rejected"}}},
            "then": {"required": ["note"], "properties": {"note": {"pattern": NOT_BLANK}}},
        },
    ]

    decision: Literal["approved", "rejected"]
    note: Text("note", required=False, description="What the customer reads") = None

    @classmethod
    def cross_field(cls, raw: Mapping[str, Any]) -> dict[str, str]:
        if raw.get("decision") == "rejected" and _blank(raw.get("note")):
            return {"note": "is required to reject a ticket: tell the customer why"}
        return {}


# --- responses --------------------------------------------------------------------------------

Holder = Annotated[Email | None, Field(description="The reviewer holding the claim (in_review)")]


class QueueItem(BaseModel):
    reference: str
    type: TicketType
    status: Status | None = None
    priority: Priority
    flags: list[TicketFlag]
    account_name: str | None = None
    submitted_at: Time | None
    first_submitted_at: Time | None = None
    claimed_by: Holder
    claim_expires_at: Time | None = None
    first_approved_by: Email | None = Field(
        None, description="awaiting_second_approval: who gave the first approval"
    )
    first_approved_at: Time | None = None
    disputed_at: Time | None = None
    refused_note: str | None = Field(
        None,
        description="in_review: why a lead refused the second approval (the first approver "
        "holds the ticket again)",
    )


class Queue(BaseModel):
    items: list[QueueItem]
    total: int = Field(ge=0)
    counts: dict[str, Any] | None = Field(
        None,
        description="Whole-queue counts (counts=true) of the queue asked for by `status`: by "
        "status, type and flag, and by holder for tickets in review; plus the size of each "
        "of the leads' own queues (awaiting_second_approval, disputed)",
    )


class ReviewTicket(Ticket):
    """What reviewer actions answer: the customer's view plus claim and approval state."""

    claimed_by: Holder = None
    claimed_at: Time | None = None
    claim_expires_at: Time | None = None
    first_submitted_at: Time | None = None
    approvable: bool = Field(False, description="Every required item is met by accepted evidence")
    approval_missing: list[str] = Field([], description="What approval still lacks")
    approval_requirement: dict[str, Any] | None = None
    authorization_letter_check: str | None = Field(
        None, description="Ruling 7: whether the seal or the signature suffices"
    )
    record: RecordView | None = Field(
        None, description="The declared facts against the account's record (recovery.md)"
    )
    approvals: ApprovalsView | None = Field(
        None, description="First and second approval (recovery.md, maker-checker)"
    )
    retention: RetentionView | None = Field(
        None, description="Legal hold and purge of the evidence (recovery.md)"
    )


class HistoryEvent(BaseModel):
    at: Time
    actor: str
    action: str
    details: dict[str, Any]


class History(BaseModel):
    events: list[HistoryEvent] = Field(description="Oldest first")
