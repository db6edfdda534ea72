"""The response model of `GET /api/v1/vocabulary`, for the OpenAPI document."""

from __future__ import annotations

from pydantic import BaseModel, Field


class StatusEntry(BaseModel):
    status: str
    customer: str = Field(description="The customer's words for it")
    reviewer: str = Field(description="The reviewers' words for it")
    actions: list[str] = Field(description="The actions allowed from this status")


class TransitionEntry(BaseModel):
    from_: list[str] = Field(alias="from", description="The statuses the action may start in")
    to: str | None = Field(description="The status it leaves; null when it keeps the status")


class ReasonEntry(BaseModel):
    code: str
    label: str = Field(description="The reviewers' label")
    customer: str = Field(description="The sentence the customer reads")


class FlagEntry(BaseModel):
    flag: str
    words: str


class UploadPolicyBody(BaseModel):
    max_file_bytes: int
    max_file_words: str
    extensions: list[str]
    extension_words: str
    image_extensions: list[str]
    accept: str = Field(description="The value of an `<input type=file>`'s accept attribute")
    ticket_max_files: int
    ticket_max_bytes: int


class Vocabulary(BaseModel):
    """Statuses, transitions, reasons, flags, the upload policy and the error codes with
    their HTTP statuses, each as defined once in the app."""

    statuses: list[StatusEntry]
    transitions: dict[str, TransitionEntry]
    reasons: list[ReasonEntry]
    flags: list[FlagEntry]
    upload: UploadPolicyBody
    errors: dict[str, int]
