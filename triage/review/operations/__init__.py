"""Reviewer operations, by concern: `leases` (claims, release, reassignment, the lease every
action checks and extends), `decisions` (verdicts on files, requests for materials, the
ticket's decision) and `reads` (files, previews, history).

Services flush and never commit; the page or API endpoint commits. Every write to a
ticket's row is one conditional UPDATE, `triage.tickets.transitions.guarded_update`
(status changes through `try_transition`, with the statuses each action may start in
from `triage.tickets.status.TRANSITIONS`, api.md "Statuses"): it takes the row's write
lock (PostgreSQL) or the database's (SQLite) until commit and proves that nobody changed
the ticket since it was read; of two conflicting actions, customer's or reviewer's,
exactly one matches and the other answers `409 invalid_state`.

Callers use the package: `from triage.review import operations as ops; ops.claim_next(...)`.
"""

from triage.review.operations import decisions, leases, reads
from triage.review.operations.decisions import (
    DECISIONS,
    NOTE_LIMIT,
    REVIEW_DECISIONS,
    decide,
    request_materials,
    review_evidence,
)
from triage.review.operations.leases import (
    CLAIM_ATTEMPTS,
    QUEUE_ORDER,
    SYSTEM,
    check_ticket_type,
    claim_active,
    claim_next,
    lapse_expired_claims,
    lease_end,
    reassign,
    release,
)
from triage.review.operations.reads import (
    evidence_by_id,
    evidence_page_image,
    evidence_preview,
    read_evidence,
    ticket_history,
)

__all__ = [
    "CLAIM_ATTEMPTS",
    "DECISIONS",
    "NOTE_LIMIT",
    "QUEUE_ORDER",
    "REVIEW_DECISIONS",
    "SYSTEM",
    "check_ticket_type",
    "claim_active",
    "claim_next",
    "decide",
    "decisions",
    "evidence_by_id",
    "evidence_page_image",
    "evidence_preview",
    "lapse_expired_claims",
    "lease_end",
    "leases",
    "read_evidence",
    "reads",
    "reassign",
    "release",
    "request_materials",
    "review_evidence",
    "ticket_history",
]
