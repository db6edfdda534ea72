"""Response models of the record comparison (recovery.md "Accounts of record").

Reviewers only: the customer's ticket never carries any of it. The record's contacts are
masked here (`a***@example.org`, `+86 ***-****-1234`); the full values are never returned.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from triage.accounts.records import COMPARED_FACTS, RECORD_STATUSES
from triage.api.schemas import Choice
from triage.requirements.facts import CHOICES
from triage.tickets.schemas import EvaluatedRequirementNode, Time

Fact = Choice(dict.fromkeys(COMPARED_FACTS["account_change"]), "A fact of recovery.md")
FactValue = str | bool


class RecordDifference(BaseModel):
    fact: Fact
    declared: FactValue = Field(description="What the customer answered")
    record: FactValue = Field(description="What the account's record says")


class RecordFacts(BaseModel):
    customer_type: Choice(CHOICES["customer_type"]) | None = None
    real_name_auth: Choice(CHOICES["real_name_auth"]) | None = None
    account_type: Choice(CHOICES["account_type"]) | None = None
    card_added: bool | None = None
    payments_made: bool | None = None
    enterprise_in_china: bool | None = None


class RecordView(BaseModel):
    """The declared facts against the account's record, with the record's contacts masked."""

    status: Choice(
        RECORD_STATUSES,
        "matched, mismatch (see `differences`), unknown (no record of this account) or "
        "pending (the directory has not answered yet; retried every minute)",
    )
    checked_at: Time | None = Field(
        None, description="When the directory answered (pending: when it was last asked)"
    )
    account_name: str | None = Field(None, description="The account's name in the record")
    facts: RecordFacts | None = Field(
        None, description="The record's facts (null when there is no record)"
    )
    differences: list[RecordDifference] = Field(
        [], description="The declared facts that differ from the record's"
    )
    email: str | None = Field(
        None,
        description="The registered email, masked (a***@example.org)",
        examples=["a***@example.org"],
    )
    mobile: str | None = Field(
        None, description="The registered mobile, masked", examples=["+86 ***-****-1234"]
    )
    card_last4: str | None = Field(None, description="The last four digits of the bound card")
    rule: str | None = Field(
        None, description="The rule of the record's list, where the record's facts differ"
    )
    record_requirement: EvaluatedRequirementNode | None = Field(
        None,
        description="The record's list against accepted evidence, where the record's facts "
        "differ: approval needs it too",
    )
    record_missing: list[str] = Field(
        [],
        description="Material keys the record's list still lacks (also in "
        "`approval_missing`); `evidence` when no rule fits the record's facts and no file "
        "is accepted yet",
    )
