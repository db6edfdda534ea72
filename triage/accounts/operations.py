"""The comparison of a ticket's declared facts with its account's record, when the ticket
is made and, while the directory has not answered, every minute after (recovery.md
"Accounts of record"). Services flush; the caller commits.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from triage.accounts.directory import Directory, Lookup, directory, look_up
from triage.accounts.records import MATCHED, MISMATCH, PENDING, UNKNOWN, compare
from triage.extensions import db
from triage.history.models import record
from triage.tickets import status as st
from triage.tickets.models import Ticket, TicketFlag
from triage.tickets.transitions import guarded_update
from triage.timeutil import utcnow

log = logging.getLogger(__name__)

SYSTEM = "system"
# The flags each outcome leaves on the ticket (recovery.md): a mismatch is flagged
# `facts_mismatch`, an account with no record `unknown_account`, and a ticket whose
# directory has not answered yet `unknown_account` until it does.
FLAGS_BY_STATUS: dict[str, set[str]] = {
    MATCHED: set(),
    MISMATCH: {"facts_mismatch"},
    UNKNOWN: {"unknown_account"},
    PENDING: {"unknown_account"},
}
RECORD_FLAGS = ("facts_mismatch", "unknown_account")
# A decided or withdrawn ticket needs no record any more: the job leaves it pending.
NOT_CLOSED = tuple(s for s in st.STATUSES if s not in st.CLOSED)
RECHECK_BATCH = 50


def outcome_of(ticket: Ticket, answer: Lookup) -> dict[str, Any]:
    """The ticket's record columns for the directory's answer (pure)."""
    now = utcnow()
    if answer.outcome == "unavailable":
        # `record_checked_at` of a pending ticket is its last attempt: the job tries the
        # longest-waiting first, so one account the directory chokes on does not stall the rest.
        return {
            "record": None,
            "record_status": PENDING,
            "record_differences": None,
            "record_checked_at": now,
        }
    if answer.outcome == "unknown":
        return {
            "record": None,
            "record_status": UNKNOWN,
            "record_differences": [],
            "record_checked_at": now,
        }
    differences = compare(ticket.type, ticket.facts, answer.record or {})
    return {
        "record": answer.record,
        "record_status": MISMATCH if differences else MATCHED,
        "record_differences": differences,
        "record_checked_at": now,
    }


def _set_flags(ticket: Ticket, status: str) -> None:
    wanted = FLAGS_BY_STATUS[status]
    ticket.flag_rows[:] = [
        row for row in ticket.flag_rows if row.flag not in RECORD_FLAGS or row.flag in wanted
    ]
    for flag in sorted(wanted):
        if flag not in ticket.flags:
            ticket.flag_rows.append(TicketFlag(flag=flag))


def check_against_record(ticket: Ticket, answer: Lookup | None = None) -> str:
    """Compare a new ticket's declared facts with its account's record; the record status.

    recovery.md "Accounts of record": stores `record` (the record as read, contacts in
    full, shown only masked), `record_status` (matched | mismatch | unknown | pending),
    `record_differences` and `record_checked_at`; flags `facts_mismatch` or
    `unknown_account` (also while the directory has not answered: `pending`, which the
    `triage.accounts.recheck` job retries) and records `record_checked`. `answer`: the
    directory's answer when the caller asked it already (`create_ticket` asks before its
    INSERT, so no lock is held while the directory answers); else it is asked now, within
    `ACCOUNT_DIRECTORY_TIMEOUT`. Never raises for a directory that did not answer.
    """
    answer = answer or look_up(ticket.account_name)
    values = outcome_of(ticket, answer)
    guarded_update(ticket.id, st.STATUSES, **values)
    _set_flags(ticket, values["record_status"])
    record_checked(ticket, values["record_status"])
    db.session.flush()
    return values["record_status"]


def check_new_ticket(ticket: Ticket, answer: Lookup) -> str:
    """`check_against_record` for a ticket not yet inserted; its record status.

    The record columns and flags are set on the object, so they go in with the ticket's
    own INSERT instead of an UPDATE of the row just written (issue 10: fewer statements
    to file a ticket). The caller adds the ticket, then records `record_checked`
    (`record_checked`) after its `created`, as the history has always told it.
    """
    values = outcome_of(ticket, answer)
    for column, value in values.items():
        setattr(ticket, column, value)
    _set_flags(ticket, values["record_status"])
    return values["record_status"]


def record_checked(ticket: Ticket, status: str) -> None:
    """The history's `record_checked` event for the outcome `status` (recovery.md)."""
    record(ticket.id, SYSTEM, "record_checked", status=status)


def pending_tickets(limit: int = RECHECK_BATCH) -> list[tuple[str, str]]:
    """(id, account name) of open tickets whose directory has not answered, longest-waiting
    first."""
    rows = db.session.execute(
        select(Ticket.id, Ticket.account_name)
        .where(Ticket.record_status == PENDING, Ticket.status.in_(NOT_CLOSED))
        .order_by(Ticket.record_checked_at.asc().nulls_first(), Ticket.created_at, Ticket.id)
        .limit(limit)
    ).all()
    return [(row.id, row.account_name) for row in rows]


def recheck_one(ticket_id: str, answer: Lookup) -> str | None:
    """Store the directory's answer for one pending ticket; its new status, or None when
    there was nothing to do (another run took it first, or the directory is still silent).

    One conditional UPDATE (still pending, still open), so two runs of the job, or two
    workers, store one outcome and one `record_checked`: the job is idempotent.
    """
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    values = outcome_of(ticket, answer)
    pending = (Ticket.record_status == PENDING,)
    if values["record_status"] == PENDING:
        guarded_update(
            ticket_id, NOT_CLOSED, *pending, record_checked_at=values["record_checked_at"]
        )
        db.session.flush()
        return None
    if not guarded_update(ticket_id, NOT_CLOSED, *pending, **values):
        return None
    # Read the flags under the row lock the UPDATE took: a submission's flags that
    # committed before are kept, one that comes later waits for our commit.
    db.session.expire(ticket, ["flag_rows"])
    _set_flags(ticket, values["record_status"])
    record(ticket_id, SYSTEM, "record_checked", status=values["record_status"])
    db.session.flush()
    return values["record_status"]


def recheck_pending(backend: Directory | None = None, limit: int = RECHECK_BATCH) -> int:
    """Retry the comparison of pending tickets (the `triage.accounts.recheck` job); how many
    got an answer. Commits each ticket on its own, and holds no transaction while the
    directory answers. Stops at the first ticket the directory does not answer: it is
    down, and the next run (every minute) tries again, that ticket last.

    recovery.md: "the comparison is retried by a job, and the ticket is flagged until it
    succeeds".
    """
    todo = pending_tickets(limit)
    db.session.rollback()  # end the read's transaction before asking the directory
    if not todo:
        return 0
    backend = backend or directory()
    done = 0
    for ticket_id, account_name in todo:
        answer = look_up(account_name, backend)
        try:
            status = recheck_one(ticket_id, answer)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        if answer.outcome == "unavailable":
            break
        if status is not None:
            done += 1
    if done:
        log.info("account records: %d pending ticket(s) checked", done)
    return done
