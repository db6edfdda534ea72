"""Second approval: maker-checker, four eyes (recovery.md "Second approval").

An account-change ticket is how accounts get stolen: whoever convinces one reviewer gets
the account. So a ticket that needs two approvals (`needs_second_approval`, policy
`SECOND_APPROVAL`) goes, on its first approval, to `awaiting_second_approval`
(`decisions.decide`), where a lead who is not the first approver either approves it,
finally, or refuses with a note that sends it back to the first approver
(`second_approval`). Every write is one conditional UPDATE (`transitions.transition`), so
of two leads acting at once exactly one wins and the other answers `409 invalid_state`.

This module is the lower layer of `decisions`: the note rule and the approvability check
under the lock live here, and `decisions` uses them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from triage import text as text_rules
from triage.errors import Forbidden, InvalidRequest, InvalidState, RequirementsNotMet
from triage.extensions import db
from triage.history.models import Event, record
from triage.recovery.waiting import effective_at_after
from triage.review.operations.leases import lease_end
from triage.reviewers.models import Reviewer
from triage.tickets import status as st
from triage.tickets.checklist import ticket_state
from triage.tickets.models import Ticket
from triage.tickets.transitions import transition
from triage.timeutil import iso, utcnow

# recovery.md: the values of `SECOND_APPROVAL`. `account_change` (the default): every
# account change plus every ticket with one of SECOND_APPROVAL_FLAGS; `all`: every ticket;
# `flagged`: only tickets with one of those flags.
POLICIES = ("account_change", "all", "flagged")
SECOND_APPROVAL_FLAGS = (
    "facts_mismatch",
    "unknown_account",
    "duplicate_evidence",
    "near_duplicate",
    "disputed",
)
DECISIONS = ("approved", "rejected")
NOT_A_LEAD = (
    "Only a lead gives the second approval: a lead other than the first approver "
    "approves or refuses this ticket."
)
FIRST_APPROVER = (
    "You gave the first approval of this ticket, so you cannot give the second: a lead "
    "other than you gives the second approval."
)


def _policy(policy: str | None) -> str:
    policy = policy or current_app.config.get("SECOND_APPROVAL") or "account_change"
    if policy not in POLICIES:  # config checks it; a caller's typo must not mean "none"
        raise ValueError(f"SECOND_APPROVAL must be one of: {', '.join(POLICIES)}")
    return policy


def second_approval_reasons(ticket: Ticket, policy: str | None = None) -> list[str]:
    """Why `ticket` needs two approvals under `policy` (default `SECOND_APPROVAL`); empty
    when one is enough. recovery.md "Second approval": "account_change" (the ticket's
    type, under the default policy), "all" (the `all` policy), then the flags of
    SECOND_APPROVAL_FLAGS the ticket carries."""
    policy = _policy(policy)
    reasons: list[str] = []
    if policy == "all":
        reasons.append("all")
    elif policy == "account_change" and ticket.type == "account_change":
        reasons.append("account_change")
    reasons += [flag for flag in ticket.flags if flag in SECOND_APPROVAL_FLAGS]
    return reasons


def needs_second_approval(ticket: Ticket, policy: str | None = None) -> bool:
    """Whether an approval of `ticket` waits for a lead's second one (recovery.md "Second
    approval", `SECOND_APPROVAL`: account_change | all | flagged)."""
    return bool(second_approval_reasons(ticket, policy))


# --- shared with `decisions` ------------------------------------------------------------------


def note_text(value: Any, field: str, errors: dict[str, str]) -> str | None:
    """A reviewer's free text (`note`, `message`) by triage.text's rule for `field`:
    several lines allowed, at most the table's limit; the problem goes into `errors`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return text_rules.clean(value, field) or None
    except ValueError as exc:
        errors[field] = str(exc)
        return None


def require_approvable(ticket: Ticket) -> None:
    """After the UPDATE that approves: read the ticket again under the lock it took.

    No verdict on a file (a lead's, in another request) slips in between this check and
    the commit. Everything is re-read: files loaded earlier in this request may be stale.
    If it fails, the caller's rollback undoes the UPDATE.
    """
    db.session.expire_all()
    state = ticket_state(ticket)
    if not state.approvable:
        raise RequirementsNotMet(
            "The ticket cannot be approved yet: accepted evidence does not cover every "
            "required item. Accept the files that are good, or ask for what is missing.",
            list(state.approval_missing),
        )


def check_decision(
    decision: Any, note: Any, *, reject_note: str, approve_note: str | None = None
) -> str | None:
    """Validate a decision and its note; the cleaned note. A rejection needs a note
    (`reject_note` says why when it is missing); so does an approval when `approve_note`
    is given."""
    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = "must be “approved” or “rejected”"
    cleaned = note_text(note, "note", errors)
    if not cleaned and "note" not in errors:
        if decision == "rejected":
            errors["note"] = reject_note
        elif approve_note and decision == "approved":
            errors["note"] = approve_note
    if errors:
        raise InvalidRequest("The decision was not saved.", errors)
    return cleaned


# --- the second approval ----------------------------------------------------------------------


def can_give_second_approval(ticket: Ticket, reviewer: Reviewer) -> bool:
    """Whether `reviewer` may approve or refuse `ticket` now (for the pages)."""
    return (
        reviewer.is_lead
        and ticket.status == st.AWAITING_SECOND_APPROVAL
        and ticket.first_approved_by_id != reviewer.id
    )


def second_approval(ticket: Ticket, reviewer: Reviewer, decision: Any, note: Any = None) -> None:
    """A lead's second approval, or refusal, of a ticket in `awaiting_second_approval`.

    recovery.md "Second approval": by a lead who is not the first approver (`403
    forbidden` for the first approver and for a reviewer who is not a lead). Approval is
    final: `approved`, `effective_at` from now (`CHANGE_WAITING_HOURS` for an account
    change), and the `decided` event that sends the customer the decision, with both
    approvers. A refusal needs a note; the ticket goes back to `in_review`, held by the
    first approver with a fresh lease, who reads the note (`second_approval_note`).
    """
    if not reviewer.is_lead:
        raise Forbidden(NOT_A_LEAD)
    if ticket.status != st.AWAITING_SECOND_APPROVAL:
        # "You cannot give the second approval while the ticket is <status in words>."
        raise st.refusal(ticket.status, st.TRANSITIONS["second_approve"].doing)
    first_id = ticket.first_approved_by_id
    if first_id == reviewer.id:
        raise Forbidden(FIRST_APPROVER)
    note = check_decision(
        decision,
        note,
        reject_note="is required to refuse the second approval: tell the first approver why",
    )
    now = utcnow()
    # The WHERE states the first approver as read, and never the caller: four eyes are
    # enforced by the statement itself, not only by the check above.
    as_read = (
        (Ticket.first_approved_by_id == first_id, Ticket.first_approved_by_id != reviewer.id)
        if first_id is not None
        else (Ticket.first_approved_by_id.is_(None),)
    )
    first = db.session.get(Reviewer, first_id) if first_id is not None else None
    if decision == "approved":
        _approve(ticket, reviewer, note, now, first, as_read)
    else:
        _refuse(ticket, reviewer, note, now, first, as_read)
    db.session.flush()


def _approve(
    ticket: Ticket,
    lead: Reviewer,
    note: str | None,
    now: datetime,
    first: Reviewer | None,
    as_read: tuple[Any, ...],
) -> None:
    first_at, first_note = ticket.first_approved_at, ticket.first_approval_note
    transition(
        ticket.id,
        "second_approve",
        *as_read,
        second_approved_by_id=lead.id,
        second_approved_at=now,
        second_approval_note=note,
        decided_at=now,
        # The customer reads the first approver's note (the decision form's note to the
        # customer); the lead's note is for reviewers.
        decision_note=first_note,
        effective_at=effective_at_after(ticket, now),
        updated_at=now,
    )
    require_approvable(ticket)
    record(
        ticket.id,
        lead.actor,
        "decided",
        decision="approved",
        note=first_note,
        first_approver=first.email if first else None,
        first_approved_at=iso(first_at),
        first_note=first_note,
        second_approver=lead.email,
        second_approved_at=iso(now),
        second_note=note,
        effective_at=iso(effective_at_after(ticket, now)),
        # The owner already said "this was not me" once: they are told, not asked again.
        after_dispute=ticket.disputed_at is not None,
    )


def _refuse(
    ticket: Ticket,
    lead: Reviewer,
    note: str | None,
    now: datetime,
    first: Reviewer | None,
    as_read: tuple[Any, ...],
) -> None:
    if first is None:  # a ticket first-approved before the column existed: nobody to return to
        raise InvalidState(
            "This ticket has no first approver to send it back to: approve it, or ask an "
            "administrator."
        )
    expires = lease_end(now)
    transition(
        ticket.id,
        "second_reject",
        *as_read,
        claimed_by_id=first.id,
        claimed_at=now,
        claim_expires_at=expires,
        second_approved_by_id=None,
        second_approved_at=None,
        second_approval_note=note,
        updated_at=now,
    )
    record(
        ticket.id,
        lead.actor,
        "second_approval_refused",
        note=note,
        first_approver=first.email,
        first_approved_at=iso(ticket.first_approved_at),
        returned_to=first.email,
        expires_at=iso(expires),
    )


# --- what reviewers read ----------------------------------------------------------------------


def _refusal_event(ticket: Ticket) -> Event | None:
    return db.session.scalar(
        select(Event)
        .where(Event.ticket_id == ticket.id, Event.action == "second_approval_refused")
        .order_by(Event.at.desc(), Event.id.desc())
        .limit(1)
    )


def approvals_json(ticket: Ticket) -> dict[str, Any]:
    """The `approvals` of a reviewer's ticket JSON (recovery.md "Second approval").

    `required` under the current `SECOND_APPROVAL` and `reasons` why; the first approver
    (email, time, note); the second approver (set only by a final second approval); the
    last refusal's note, who refused and when (`refused_*`, kept until a second approval
    replaces it, so the first approver and the next lead both read it).
    """
    first, second = ticket.first_approved_by, ticket.second_approved_by
    refused = ticket.second_approved_by_id is None and ticket.second_approval_note is not None
    event = _refusal_event(ticket) if refused else None
    reasons = second_approval_reasons(ticket)
    return {
        "required": bool(reasons),
        "reasons": reasons,
        "policy": _policy(None),
        "first_approved_by": first.email if first else None,
        "first_approved_at": iso(ticket.first_approved_at),
        "first_approval_note": ticket.first_approval_note,
        "second_approved_by": second.email if second else None,
        "second_approved_at": iso(ticket.second_approved_at),
        "second_approval_note": ticket.second_approval_note if second else None,
        "refused_note": ticket.second_approval_note if refused else None,
        "refused_by": event.actor.removeprefix("reviewer:") if event else None,
        "refused_at": iso(event.at) if event else None,
    }
