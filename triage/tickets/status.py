"""The ticket status machine of api.md ("Statuses"). Pure: no Flask, no database.

api.md: `draft` → `awaiting_review` → `in_review` → `approved` | `rejected`, with
`in_review` → `needs_more_info` → (resubmitted) `awaiting_review`; the customer may withdraw
any ticket that is not decided; uploads and information changes only in `draft` and
`needs_more_info`. `TRANSITIONS` says, once for each action, which statuses it may start in;
`triage.tickets.transitions` turns an entry into the one conditional UPDATE that performs it.
recovery.md adds `awaiting_second_approval` (a first approval of a ticket that needs two;
a lead approves, or refuses and sends it back to `in_review`) and `disputed` (the account's
registered owner said "this was not me" before the change took effect; a lead decides
again).
"""

from __future__ import annotations

from dataclasses import dataclass

from triage.errors import InvalidState, Msg

DRAFT = "draft"
AWAITING_REVIEW = "awaiting_review"
IN_REVIEW = "in_review"
NEEDS_MORE_INFO = "needs_more_info"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
AWAITING_SECOND_APPROVAL = "awaiting_second_approval"
DISPUTED = "disputed"

STATUSES = (
    DRAFT,
    AWAITING_REVIEW,
    IN_REVIEW,
    NEEDS_MORE_INFO,
    APPROVED,
    REJECTED,
    WITHDRAWN,
    AWAITING_SECOND_APPROVAL,
    DISPUTED,
)
EDITABLE = (DRAFT, NEEDS_MORE_INFO)
SUBMITTABLE = (DRAFT, NEEDS_MORE_INFO)
DECIDED = (APPROVED, REJECTED)
CLOSED = (APPROVED, REJECTED, WITHDRAWN)
# Sent and with the reviewers: the customer has nothing to do until they answer.
WITH_REVIEWERS = (AWAITING_REVIEW, IN_REVIEW, AWAITING_SECOND_APPROVAL)
# "not decided"; a disputed ticket accepts no customer action (api.md "Statuses").
WITHDRAWABLE = (DRAFT, AWAITING_REVIEW, IN_REVIEW, AWAITING_SECOND_APPROVAL, NEEDS_MORE_INFO)
# Where the owner's "this was not me" stops a change: any submitted, undecided ticket, and
# an approved one until its `effective_at` (a condition the caller adds).
DISPUTABLE = (AWAITING_REVIEW, IN_REVIEW, AWAITING_SECOND_APPROVAL, NEEDS_MORE_INFO, APPROVED)


@dataclass(frozen=True)
class Transition:
    """One action on a ticket: the statuses it may start in and the status it leads to.

    `to` is None for the edits that keep the status but are allowed only in `start`
    (uploads, information, a reviewer's verdict on a file): they take the same guarded
    UPDATE, so they serialise with every status change of the ticket. `doing` completes
    "You cannot ..." in the refusal.
    """

    start: tuple[str, ...]
    to: str | None
    doing: str


TRANSITIONS: dict[str, Transition] = {
    # The customer's.
    # Msg marks a one-word phrase for translation (the vocabulary extractor skips single
    # lower-case words, which are mostly keys).
    "submit": Transition((DRAFT,), AWAITING_REVIEW, Msg("submit")),
    "resubmit": Transition((NEEDS_MORE_INFO,), AWAITING_REVIEW, Msg("submit")),
    "withdraw": Transition(WITHDRAWABLE, WITHDRAWN, Msg("withdraw")),
    "upload": Transition(EDITABLE, None, "add files"),
    "change_information": Transition(EDITABLE, None, "change the information"),
    # Reviewers' (each also conditioned on the claim: see triage.review.operations).
    "claim": Transition((AWAITING_REVIEW,), IN_REVIEW, "take this ticket"),
    "reassign": Transition((AWAITING_REVIEW, IN_REVIEW), IN_REVIEW, "reassign this ticket"),
    "release": Transition((IN_REVIEW,), AWAITING_REVIEW, "give this ticket back"),
    "lapse": Transition((IN_REVIEW,), AWAITING_REVIEW, "hand a lapsed claim back"),
    "review_evidence": Transition((IN_REVIEW,), None, "review this file"),
    "request_materials": Transition((IN_REVIEW,), NEEDS_MORE_INFO, "ask for more materials"),
    "approve": Transition((IN_REVIEW,), APPROVED, "approve this ticket"),
    "reject": Transition((IN_REVIEW,), REJECTED, "reject this ticket"),
    # recovery.md "Second approval" (maker-checker).
    "first_approve": Transition((IN_REVIEW,), AWAITING_SECOND_APPROVAL, "approve this ticket"),
    "second_approve": Transition((AWAITING_SECOND_APPROVAL,), APPROVED, "give the second approval"),
    "second_reject": Transition(
        (AWAITING_SECOND_APPROVAL,), IN_REVIEW, "refuse the second approval"
    ),
    # recovery.md "Notice to the registered owner": the owner's link, then a lead again.
    "dispute": Transition(DISPUTABLE, DISPUTED, "stop this change"),
    # A disputed ticket is flagged `disputed`, which needs two approvals (recovery.md
    # "Second approval"): a lead's approval is the first of them.
    "approve_disputed": Transition(
        (DISPUTED,), AWAITING_SECOND_APPROVAL, "decide this disputed ticket"
    ),
    "reject_disputed": Transition((DISPUTED,), REJECTED, "decide this disputed ticket"),
    # recovery.md "Keeping identity documents": locks of the row, any status / closed ones.
    "legal_hold": Transition(STATUSES, None, "change the legal hold"),
    "purge": Transition(CLOSED, None, "delete the evidence"),
}


@dataclass(frozen=True)
class StatusWords:
    """What each reader is told about one status."""

    customer: str  # the customer's page: plain words, never "pending verification" jargon
    reviewer: str  # the reviewers' pages
    while_: str  # completes "You cannot <action> while the ticket is ..."
    # Completes a reviewer's "You cannot <action> now: ..." for a ticket not in review.
    not_in_review: str = ""


WORDS: dict[str, StatusWords] = {
    DRAFT: StatusWords(
        "Not sent to us yet",
        "Draft (not submitted)",
        "not sent yet",
        "the customer has not submitted it yet",
    ),
    AWAITING_REVIEW: StatusWords(
        "We are checking your documents",
        "Waiting in the queue",
        "submitted and waiting for a reviewer",
        "it is waiting in the queue: take it first",
    ),
    IN_REVIEW: StatusWords(
        "We are checking your documents",
        "In review",
        "submitted and being checked by a reviewer",
    ),
    NEEDS_MORE_INFO: StatusWords(
        "We need something more from you",
        "Waiting for the customer",
        "waiting for more materials from you",
        "it is waiting for the customer's answer to a request",
    ),
    APPROVED: StatusWords("Approved", "Approved", Msg("approved"), "it has already been approved"),
    REJECTED: StatusWords(
        "Not approved", "Rejected", Msg("rejected"), "it has already been rejected"
    ),
    WITHDRAWN: StatusWords(
        "Withdrawn", "Withdrawn by the customer", Msg("withdrawn"), "the customer withdrew it"
    ),
    AWAITING_SECOND_APPROVAL: StatusWords(
        "We are checking your documents",
        "Waiting for a second approval",
        "waiting for a second approval",
        "it is waiting for a lead's second approval",
    ),
    DISPUTED: StatusWords(
        "On hold while we check with the account's registered owner",
        "Disputed by the account's registered owner",
        # Completes "You cannot … while the ticket is …": no second "while" in it.
        "on hold for a check with the account's registered owner",
        "the account's registered owner disputed it: a lead decides again",
    ),
}
assert tuple(WORDS) == STATUSES

# Views of `WORDS` for templates, which look a status up by key.
CUSTOMER_WORDS = {status: words.customer for status, words in WORDS.items()}
REVIEWER_WORDS = {status: words.reviewer for status, words in WORDS.items()}


def allowed_actions(status: str) -> tuple[str, ...]:
    """The actions of `TRANSITIONS` that may start in `status` (for pages and the vocabulary)."""
    return tuple(action for action, t in TRANSITIONS.items() if status in t.start)


def to_json() -> dict[str, object]:
    """The statuses, their words and the transitions, for scripts and API clients."""
    return {
        "statuses": [
            {
                "status": status,
                "customer": words.customer,
                "reviewer": words.reviewer,
                "actions": list(allowed_actions(status)),
            }
            for status, words in WORDS.items()
        ],
        "transitions": {
            action: {"from": list(t.start), "to": t.to} for action, t in TRANSITIONS.items()
        },
    }


def refusal(status: str, action: str) -> InvalidState:
    """`409 invalid_state`: "You cannot <action> while the ticket is <status in words>."."""
    return InvalidState(
        Msg(
            "You cannot %(action)s while the ticket is %(status)s.",
            action=Msg(action),
            status=Msg(WORDS[status].while_),
        )
    )


def require(status: str, allowed: tuple[str, ...], action: str) -> None:
    """Refuse (InvalidState) unless `status` is one of `allowed`.

    A check of a ticket as read, for an early and specific answer; it guarantees nothing
    under concurrency. The guarantee is the conditional UPDATE of
    `triage.tickets.transitions.transition`.
    """
    if status not in allowed:
        raise refusal(status, action)
