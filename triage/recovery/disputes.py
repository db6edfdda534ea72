"""The registered owner's "this was not me" (recovery.md "Notice to the registered owner,
and a waiting period").

A link's token is random (256 bits), made when its email is built, and stored only as its
SHA-256 (`DisputeLink.token_hash`) once the email is sent. Following it shows a page
(`link_state`: reading never changes anything, because mail scanners open links); the
page's form posts to `dispute`, which in one transaction marks the link used (a
conditional UPDATE: of two uses of one link exactly one matches) and moves the ticket to
`disputed` (the conditional UPDATE of `triage.tickets.transitions`, with `effective_at >
now` for an approved ticket, so nothing is stopped after it took effect).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update

from triage.extensions import db
from triage.history.models import record
from triage.recovery.models import DisputeLink
from triage.recovery.notices import OWNER, still_stoppable
from triage.secrets import hash_token
from triage.tickets import status as st
from triage.tickets.models import PRIORITIES, Ticket
from triage.tickets.transitions import try_transition
from triage.timeutil import iso, utcnow

# What a link's page can say. "invalid" is an unknown token and a used one alike: the
# page never confirms to whoever holds an old link that it was real.
OPEN = "open"
INVALID = "invalid"
APPLIED = "applied"  # approved, and the waiting period is over
CLOSED = "closed"  # rejected or withdrawn: nothing will change
ON_HOLD = "on_hold"  # already disputed (another of the owner's links), a lead decides
REVIEWED = "reviewed"  # disputed once and decided again by a lead
DISPUTED = "disputed"  # this use stopped the change


@dataclass(frozen=True)
class LinkState:
    """What a "this was not me" link leads to now; `ticket` is None for INVALID."""

    state: str
    ticket: Ticket | None = None
    link: DisputeLink | None = None


def new_token() -> str:
    """A fresh link token (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The SHA-256 a link's token is stored as (only the hash is ever kept)."""
    return hash_token(token)


def ticket_state(ticket: Ticket, now: datetime | None = None) -> str:
    """Where a (valid, unused) link's ticket stands for the owner."""
    now = now or utcnow()
    if still_stoppable(ticket, now):
        return OPEN
    if ticket.status == st.DISPUTED:
        return ON_HOLD
    if ticket.disputed_at is not None and ticket.status in st.DISPUTABLE:
        return REVIEWED
    if ticket.status == st.APPROVED:
        return APPLIED  # still_stoppable: `effective_at` has passed (or there is none)
    return CLOSED


def _link(token: str) -> DisputeLink | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(DisputeLink).where(DisputeLink.token_hash == token_hash(token)))


def link_state(token: str) -> LinkState:
    """What the link's page shows (GET): reads only. recovery.md: "The link works without
    signing in ... and expires when the waiting period ends"."""
    link = _link(token)
    if link is None or link.used_at is not None:
        return LinkState(INVALID)
    ticket = db.session.get(Ticket, link.ticket_id)
    if ticket is None:
        return LinkState(INVALID)
    return LinkState(ticket_state(ticket), ticket, link)


def dispute(token: str) -> LinkState:
    """The owner says "this was not me" (POST). Flushes, never commits: the caller commits
    when the state is DISPUTED and rolls back otherwise (the link then stays unused).

    recovery.md: following the link before `effective_at` moves the ticket to `disputed`
    (high priority, flagged `disputed`), tells both addresses, and blocks the change until
    a lead decides again. One conditional UPDATE each for the link (one use) and the
    ticket (`dispute`; approved ones only while `effective_at > now`; never a second time).
    """
    link = _link(token)
    if link is None:
        return LinkState(INVALID)
    now = utcnow()
    used = db.session.execute(
        update(DisputeLink)
        .where(DisputeLink.id == link.id, DisputeLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        return LinkState(INVALID)  # another use of this link won
    won = try_transition(
        link.ticket_id,
        "dispute",
        or_(Ticket.status != st.APPROVED, Ticket.effective_at > now),
        Ticket.disputed_at.is_(None),
        disputed_at=now,
        priority_rank=PRIORITIES.index("high"),
        # A reviewer's claim ends: a lead decides a disputed ticket.
        claimed_by_id=None,
        claimed_at=None,
        claim_expires_at=None,
    )
    ticket = db.session.get(Ticket, link.ticket_id)
    if ticket is None:
        return LinkState(INVALID)
    if not won:
        db.session.refresh(ticket)
        return LinkState(ticket_state(ticket, now), ticket, link)
    ticket.set_flag("disputed")
    record(
        ticket.id,
        OWNER,
        "disputed",
        link_id=link.id,
        effective_at=iso(ticket.effective_at),
    )
    db.session.flush()
    return LinkState(DISPUTED, ticket, link)
