"""Status changes as one conditional UPDATE each (api.md "Statuses").

api.md: "Every transition is one conditional update from the statuses it may start in: of
two concurrent transitions exactly one wins, and the other answers `409 invalid_state`."
security.md ("State, text and load") asks the same of customer and reviewer actions alike.

`transition` runs `UPDATE tickets SET status = <to>, ... WHERE id = :id AND status IN
(<start>) [AND <claim conditions>]` and reads the row count: 1 is a win, 0 a loss. The
allowed-from statuses are `status.TRANSITIONS`, written once per action. What decides is
the UPDATE's own WHERE, never an earlier read, so no interleaving of two requests makes
both win (`lock` is the same UPDATE without the new status, for a service that must read
under the lock before it writes). All of them, and the reviewers' lease updates
(`triage.review.operations.leases`), are `guarded_update`, the one conditional UPDATE:

- PostgreSQL (READ COMMITTED): the UPDATE takes the row lock; a concurrent UPDATE of the
  same row waits for our commit, then re-checks its WHERE against the committed row and
  matches nothing if we moved the status out of its start set.
- SQLite: pysqlite opens the transaction (a deferred BEGIN) right before the first
  INSERT/UPDATE/DELETE, so the UPDATE is the transaction's first statement and takes the
  database write lock; other writers wait (the busy timeout) until we commit.

Either way the winner holds the lock until its commit, so whatever it reads after the
UPDATE (evidence for the flags, the approvability of a ticket, the file count for the
cap) cannot change under it. The loser's request is rolled back by its caller (the views'
teardown), taking its history event, evidence row and stored object with it (the
session hooks of `triage.evidence.operations`). Services flush, never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import attributes
from sqlalchemy.orm.util import identity_key

from triage.errors import InvalidState, Msg
from triage.extensions import db
from triage.tickets.models import Ticket
from triage.tickets.status import TRANSITIONS, refusal
from triage.timeutil import utcnow


def try_transition(
    ticket_id: str, action: str, *conditions: ColumnElement[bool], **values: Any
) -> bool:
    """Perform `action` (a key of `status.TRANSITIONS`) on the ticket if it may; True if it did.

    `conditions`: further SQL criteria on the row, ANDed to the status test (a reviewer's
    claim: `Ticket.claimed_by_id == holder`, `Ticket.claim_expires_at > now`).
    `values`: other columns to set in the same UPDATE (Python values, not SQL
    expressions); `updated_at` defaults to now. A copy of the ticket already loaded in
    this session gets the written values as its committed state, so nothing is re-read.
    For claims and lapses, where a loss is routine (try the next ticket, skip it).
    """
    rule = TRANSITIONS[action]
    changes = {"updated_at": utcnow(), **values}
    if rule.to is not None:
        changes["status"] = rule.to
    return guarded_update(ticket_id, rule.start, *conditions, **changes)


def transition(
    ticket_id: str, action: str, *conditions: ColumnElement[bool], **values: Any
) -> None:
    """`try_transition`, raising InvalidState (`409 invalid_state`) when the ticket may not.

    The message says why, from the row as it is now: the status in words ("You cannot
    withdraw while the ticket is approved."), or, when the status would allow the action
    and only `conditions` failed, that the claim changed hands or lapsed.
    """
    if not try_transition(ticket_id, action, *conditions, **values):
        raise lost(ticket_id, action)


def lock(ticket_id: str, action: str, *conditions: ColumnElement[bool]) -> None:
    """Take the ticket's row for `action` without changing its status yet.

    The same conditional UPDATE as `transition` (status in the statuses `action` may start
    in, and `conditions`), setting only `updated_at`: for a service that must read under
    the lock before it knows what to write (a submission reads the checklist as it is
    before the status changes). InvalidState as `transition`. Entries of TRANSITIONS
    whose `to` is None (uploads, information) are locks by nature; `transition` on them
    does the same.
    """
    if not guarded_update(ticket_id, TRANSITIONS[action].start, *conditions, updated_at=utcnow()):
        raise lost(ticket_id, action)


def guarded_update(
    ticket_id: str, start: tuple[str, ...], *conditions: ColumnElement[bool], **changes: Any
) -> bool:
    """The one conditional UPDATE of a ticket's row; True if it matched (this request won).

    `UPDATE tickets SET <changes> WHERE id = :id AND status IN (<start>) AND <conditions>`:
    of concurrent updates whose WHERE the other's write falsifies, exactly one matches.
    `changes` are Python values, written as given (nothing is added: `updated_at` is the
    caller's choice). A copy of the ticket already loaded in this session gets them as its
    committed state, so nothing is re-read.
    """
    won = db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status.in_(start), *conditions)
        .values(**changes)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        return False
    loaded = db.session.identity_map.get(identity_key(Ticket, ticket_id))
    if loaded is not None:
        for name, value in changes.items():
            attributes.set_committed_value(loaded, name, value)
        if "claimed_by_id" in changes:
            db.session.expire(loaded, ["claimed_by"])  # the relationship follows the column
    return True


def lost(ticket_id: str, action: str) -> InvalidState:
    """The refusal for an `action` whose conditional UPDATE matched nothing."""
    rule = TRANSITIONS[action]
    loaded = db.session.identity_map.get(identity_key(Ticket, ticket_id))
    if loaded is not None:
        db.session.expire(loaded)  # what the caller shows next must be the row as it is now
    status = db.session.scalar(select(Ticket.status).where(Ticket.id == ticket_id))
    if status is None or status in rule.start:
        return InvalidState(
            Msg(
                "You cannot %(action)s now: the ticket changed while you were working on it "
                "(another reviewer took it, or the claim lapsed). Reload it and try again.",
                action=Msg(rule.doing),
            )
        )
    return refusal(status, rule.doing)
