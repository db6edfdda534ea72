"""Reasons a reviewer may give for rejecting a file, defined once: each code with the short
label reviewers choose from and the words the customer reads (api.md "RejectionReason")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    label: str  # the reviewer's choice in the list
    customer: str  # what the customer reads next to the refused file


REASON_TABLE: dict[str, Reason] = {
    "blurry": Reason(
        "Blurry",
        "The image is blurry: take a new photo in good light and hold the camera still.",
    ),
    "glare": Reason(
        "Glare or reflections",
        "Glare or reflections hide part of the document: photograph it flat, away from "
        "direct light.",
    ),
    "cropped": Reason(
        "Cropped: edges cut off", "Part of the document is cut off: show all four edges."
    ),
    "details_mismatch": Reason(
        "Details do not match",
        "The details do not match the account or your other documents exactly "
        "(spelling, spaces, numbers).",
    ),
    "wrong_document": Reason(
        "Wrong document",
        "This is not the document we asked for (for example an ID card instead of a passport).",
    ),
    "expired": Reason("Expired", "The document has expired: send one that is currently valid."),
    "unmasked_card_number": Reason(
        "Card number not masked",
        "The full card number is visible: cover all but the first 6 and last 4 digits, then "
        "send it again.",
    ),
    "missing_seal_or_signature": Reason(
        "Seal or signature missing", "The letter is missing the official seal or the signature."
    ),
    "incomplete_period": Reason(
        "Period not fully covered", "The records do not cover the whole period asked for."
    ),
    "other": Reason("Other (say what in the note)", "See the reviewer's note."),
}

# Views of the table, looked up by code: the customer's words and the reviewers' labels.
REASONS: dict[str, str] = {code: reason.customer for code, reason in REASON_TABLE.items()}
REASON_LABELS: dict[str, str] = {code: reason.label for code, reason in REASON_TABLE.items()}


def to_json() -> list[dict[str, str]]:
    """The reasons for scripts and API clients, in the reviewers' order."""
    return [
        {"code": code, "label": reason.label, "customer": reason.customer}
        for code, reason in REASON_TABLE.items()
    ]
