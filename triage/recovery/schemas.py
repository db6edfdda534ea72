"""Request and response models of `GET /api/v1/changes` (recovery.md "Notice to the
registered owner, and a waiting period")."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from triage.api import SWITCH_WORDS
from triage.api.schemas import NO_DEFAULT_SHOWN, Body, Choice
from triage.tickets.schemas import Time

Switch = Choice(SWITCH_WORDS)  # as the reviewers' queue reads its switches
MAX_LIMIT = 500
DEFAULT_LIMIT = 100


def _digits(value: object) -> object:
    """A whole number as the query string writes it: digits only."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        raise ValueError(f"must be a whole number from 1 to {MAX_LIMIT}")
    return value


class ChangesQuery(Body):
    """`GET /changes`: leave `ready` out for every approved change with `effective_at`."""

    ready: Annotated[
        Switch,
        NO_DEFAULT_SHOWN,
        Field(
            description="true: only changes whose waiting period is over (to apply now); "
            "false: only those still waiting"
        ),
    ] = None
    limit: Annotated[
        int,
        Field(ge=1, le=MAX_LIMIT, description=f"At most this many (default {DEFAULT_LIMIT})"),
        BeforeValidator(_digits),
        NO_DEFAULT_SHOWN,
    ] = None


class ChangeValues(BaseModel):
    """The new contacts the customer asked for, in full: what the applying team sets."""

    mobile: str | None = None
    email: str | None = None


class ChangeItem(BaseModel):
    reference: str
    account_name: str = Field(
        description="The account as its record names it (as declared when it has no record)"
    )
    declared_account_name: str = Field(description="The account name as the customer typed it")
    account_of_record: bool = Field(description="Whether `account_name` comes from the record")
    change: ChangeValues
    approved_at: Time | None = Field(None, description="The final approval")
    decided_at: Time | None = None
    effective_at: Time = Field(description="The change may be applied from this time on")
    ready: bool = Field(description="The waiting period is over")


class Changes(BaseModel):
    items: list[ChangeItem] = Field(description="Soonest `effective_at` first")
    total: int = Field(ge=0, description="How many match, beyond `limit` too")
