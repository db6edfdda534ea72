"""Triage at submission: the flags reviewers filter on, and the ticket's priority.

Priority (documented in the README): `high` for unfreeze tickets (the customer's
services are down) and for tickets that share evidence with another account (possible
fraud, decide before it spreads); `normal` otherwise; `low` when submitted incomplete.

recovery.md "Signals": accounts are matched by their normalised key (`account_key`), so a
look-alike name cannot hide a repeat, and `velocity` marks a burst of tickets for one
account or from one contact email.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from triage.evidence.models import Evidence
from triage.extensions import db
from triage.text import normalise_name
from triage.tickets import status as st
from triage.tickets.checklist import TicketState
from triage.tickets.models import PRIORITIES, Ticket, TicketFlag
from triage.timeutil import utcnow

# The flags reviewers filter on, with the words the queue shows for each (defined once).
FLAG_WORDS = {
    "incomplete": "Submitted without every required item",
    "no_matching_rule": "No standard list applies: decide what is enough",
    "repeat_request": "Another open ticket exists for the same account",
    "duplicate_evidence": "A file also appears on a ticket for another account",
    # recovery.md
    "facts_mismatch": "The declared facts differ from the account's record",
    "unknown_account": "No record of this account (or the directory has not answered yet)",
    "velocity": "Many tickets for this account or from this contact email in a short time",
    "disputed": "The account's registered owner said “this was not me”",
    "near_duplicate": "An image is nearly identical to one on another account's ticket",
}
# What a customer may see of the flags: never what the account's record says, nor what
# other accounts' tickets hold (recovery.md: "never tells a stranger").
CUSTOMER_FLAGS = ("incomplete", "no_matching_rule")
FLAGS = tuple(FLAG_WORDS)
# Submitted and not decided: a repeat of any of these is still a repeat (a ticket waiting
# for a lead's second approval, or stopped by the registered owner, above all).
OPEN = (
    st.AWAITING_REVIEW,
    st.IN_REVIEW,
    st.NEEDS_MORE_INFO,
    st.AWAITING_SECOND_APPROVAL,
    st.DISPUTED,
)


def account_key(ticket: Ticket) -> str:
    """The ticket's account name as matched (triage.text.normalise_name: NFKC, case-folded,
    invisible marks removed), as `create_ticket` stores it in `account_key`.

    Recomputed from the name rather than read, so a ticket stored before the key was
    normalised still matches; VARCHAR(200), like the column.
    """
    return normalise_name(ticket.account_name)[:200]


def _repeat_request(ticket: Ticket) -> bool:
    # Compared in SQL against the stored, normalised key: zero-width, BOM and full-width
    # variants of a name are the same account (issue 9, "Look-alike text").
    other = select(Ticket.id).where(
        Ticket.account_key == account_key(ticket),
        Ticket.id != ticket.id,
        Ticket.status.in_(OPEN),
    )
    return db.session.scalar(other.limit(1)) is not None


def _duplicate_evidence(ticket: Ticket) -> bool:
    hashes = {e.sha256 for e in ticket.evidence}
    if not hashes:
        return False
    shared = (
        select(Evidence.id)
        .join(Ticket, Ticket.id == Evidence.ticket_id)
        .where(Evidence.sha256.in_(hashes), Ticket.account_key != account_key(ticket))
    )
    return db.session.scalar(shared.limit(1)) is not None


def _recent_count(column: Any, key: str | None, ticket: Ticket, since: datetime) -> int:
    """Other tickets with `column == key` created since `since` (one indexed query)."""
    if not key:
        return 0
    others = select(func.count(Ticket.id)).where(
        column == key, Ticket.created_at >= since, Ticket.id != ticket.id
    )
    return db.session.scalar(others) or 0


def _velocity(ticket: Ticket) -> bool:
    """recovery.md "Signals": more than VELOCITY_LIMIT tickets (this one included) for one
    account, or from one contact email, created in the last VELOCITY_WINDOW_HOURS.

    Every ticket counts whatever its status (drafts and withdrawn ones too: a burst of
    attempts is the signal, not how they ended). Both keys are normalised at creation
    (NFKC, case-folded, invisible marks removed), so look-alike spellings count as one;
    the contact key of a ticket stored before it existed is recomputed from the address.
    One query per key, each through its index (`account_key`, `contact_key`).
    """
    config = current_app.config
    limit = int(config["VELOCITY_LIMIT"])
    since = utcnow() - timedelta(hours=int(config["VELOCITY_WINDOW_HOURS"]))
    contact = ticket.contact_key or normalise_name(ticket.contact_email)[:254]
    if _recent_count(Ticket.account_key, account_key(ticket), ticket, since) + 1 > limit:
        return True
    return _recent_count(Ticket.contact_key, contact, ticket, since) + 1 > limit


def triage_at_submission(ticket: Ticket, state: TicketState) -> None:
    """Set the flags and the priority of a ticket being submitted (or resubmitted).

    The flags computed here describe the latest submission: one no longer true is dropped
    (a completed resubmission loses `incomplete`); flags set elsewhere (the account
    record's, a dispute) are kept.
    """
    wanted = {
        "incomplete": not state.complete,
        "no_matching_rule": state.resolution.requirement is None,
        "repeat_request": _repeat_request(ticket),
        "duplicate_evidence": _duplicate_evidence(ticket),
        "velocity": _velocity(ticket),
    }
    # Flags describe the latest submission: a completed resubmission drops `incomplete`.
    ticket.flag_rows[:] = [row for row in ticket.flag_rows if wanted.get(row.flag, True)]
    for flag, on in wanted.items():
        if on and flag not in ticket.flags:
            ticket.flag_rows.append(TicketFlag(flag=flag))
    # `near_duplicate` is set by the analysis job (triage.evidence.analysis), kept above.
    if (
        wanted["duplicate_evidence"]
        or "near_duplicate" in ticket.flags
        or ticket.type == "unfreeze"
    ):
        priority = "high"
    elif wanted["incomplete"]:
        priority = "low"
    else:
        priority = "normal"
    ticket.priority_rank = PRIORITIES.index(priority)
