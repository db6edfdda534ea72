"""Request and response models of `POST /api/v1/tickets/<reference>/resend-link`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from triage.api.schemas import Body, Text


class ResendLink(Body):
    """The address the ticket was filed with; any text is accepted here (no format check),
    so the answer never says whether an address is plausible, known or unknown."""

    contact_email: Text("contact_email", description="The ticket's contact email address")


class LinkRequested(BaseModel):
    """Always the same answer, whatever the reference and the address (api.md)."""

    status: Literal["accepted"]
    message: str = Field(description="What happens next, for a person")
