"""Reviewer operations, by concern: `leases` (claims, release, reassignment, the lease every
action checks and extends), `decisions` (verdicts on files, requests for materials, the
ticket's decision, a lead's decision on a disputed ticket), `approvals` (the second
approval of recovery.md, maker-checker) and `reads` (files, previews, history).

Services flush and never commit; the page or API endpoint commits. Every write to a
ticket's row is one conditional UPDATE, `triage.tickets.transitions.guarded_update`
(status changes through `try_transition`, with the statuses each action may start in
from `triage.tickets.status.TRANSITIONS`, api.md "Statuses"): it takes the row's write
lock (PostgreSQL) or the database's (SQLite) until commit and proves that nobody changed
the ticket since it was read; of two conflicting actions, customer's or reviewer's,
exactly one matches and the other answers `409 invalid_state`.

Callers use the package: `from triage.review import operations as ops; ops.claim_next(...)`.
"""

from triage.review.operations import approvals, decisions, leases, reads
from triage.review.operations.approvals import (
    DECISIONS,
    POLICIES,
    SECOND_APPROVAL_FLAGS,
    approvals_json,
    can_give_second_approval,
    needs_second_approval,
    second_approval,
    second_approval_reasons,
)
from triage.review.operations.decisions import (
    NOTE_LIMIT,
    REVIEW_DECISIONS,
    decide,
    decide_disputed,
    materials_to_ask_again,
    record_materials_to_ask,
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
    "POLICIES",
    "QUEUE_ORDER",
    "REVIEW_DECISIONS",
    "SECOND_APPROVAL_FLAGS",
    "SYSTEM",
    "approvals",
    "approvals_json",
    "can_give_second_approval",
    "check_ticket_type",
    "claim_active",
    "claim_next",
    "decide",
    "decide_disputed",
    "decisions",
    "evidence_by_id",
    "evidence_page_image",
    "evidence_preview",
    "lapse_expired_claims",
    "lease_end",
    "leases",
    "materials_to_ask_again",
    "needs_second_approval",
    "read_evidence",
    "reads",
    "reassign",
    "record_materials_to_ask",
    "release",
    "request_materials",
    "review_evidence",
    "second_approval",
    "second_approval_reasons",
    "ticket_history",
]
