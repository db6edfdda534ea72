"""The ticket status machine of api.md ("Statuses")."""

from __future__ import annotations

from triage.errors import InvalidState

DRAFT = "draft"
AWAITING_REVIEW = "awaiting_review"
IN_REVIEW = "in_review"
NEEDS_MORE_INFO = "needs_more_info"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

STATUSES = (DRAFT, AWAITING_REVIEW, IN_REVIEW, NEEDS_MORE_INFO, APPROVED, REJECTED, WITHDRAWN)
EDITABLE = (DRAFT, NEEDS_MORE_INFO)
SUBMITTABLE = (DRAFT, NEEDS_MORE_INFO)
DECIDED = (APPROVED, REJECTED)
CLOSED = (APPROVED, REJECTED, WITHDRAWN)

# What a customer reads for each status (the source article's "pending verification" words).
CUSTOMER_WORDS = {
    DRAFT: "Not sent yet: add your materials, then submit",
    AWAITING_REVIEW: "Submitted: waiting for a reviewer (pending verification)",
    IN_REVIEW: "A reviewer is checking your materials",
    NEEDS_MORE_INFO: "Verification incomplete: we need something more from you",
    APPROVED: "Approved",
    REJECTED: "Rejected",
    WITHDRAWN: "Withdrawn",
}


# Completes "You cannot <action> while the ticket is ...".
_WHILE = {
    DRAFT: "not sent yet",
    AWAITING_REVIEW: "submitted and waiting for a reviewer",
    IN_REVIEW: "submitted and being checked by a reviewer",
    NEEDS_MORE_INFO: "waiting for more materials from you",
    APPROVED: "approved",
    REJECTED: "rejected",
    WITHDRAWN: "withdrawn",
}


def require(status: str, allowed: tuple[str, ...], action: str) -> None:
    if status not in allowed:
        raise InvalidState(f"You cannot {action} while the ticket is {_WHILE[status]}.")
