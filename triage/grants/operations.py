"""Ticket grants: open, check, show the new access code once, revoke. Services flush only.

A grant is what "this browser may open ticket X" means on the server (security.md, "State,
text and load": sessions can be revoked, cookies carry no access code). The browser's
session holds the grant token; the database holds its SHA-256, so neither a copy of the
database nor a cookie saved before "forget this device" opens the ticket later.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import lazyload

from triage.extensions import db
from triage.grants.models import TicketGrant
from triage.secrets import hash_token
from triage.tickets.models import Ticket
from triage.timeutil import utcnow

# A grant outlives a browser session at most this long; then the code is asked for again.
GRANT_MAX_AGE = timedelta(days=30)


def _keystream(token: str, length: int) -> bytes:
    # HMAC-SHA256 of a fresh 256-bit token, used for exactly one code: a one-time pad.
    # The database alone (which has only the token's hash) cannot unseal the code.
    stream = hmac.new(token.encode(), b"triage access code", hashlib.sha256).digest()
    if length > len(stream):
        raise ValueError("access codes are at most 32 bytes")
    return stream[:length]


def _seal(token: str, code: str) -> str:
    raw = code.encode()
    return bytes(a ^ b for a, b in zip(raw, _keystream(token, len(raw)), strict=True)).hex()


def _unseal(token: str, sealed: str) -> str:
    raw = bytes.fromhex(sealed)
    return bytes(a ^ b for a, b in zip(raw, _keystream(token, len(raw)), strict=True)).decode()


def open_grant(ticket: Ticket, show_code: str | None = None) -> str:
    """A new grant on `ticket`; returns its token (43 URL-safe characters) for the session.

    `show_code` is the access code of a ticket just created, kept sealed until
    `take_code` shows it once.
    """
    if show_code is None:
        # Expired grants of this ticket go now, so the table stays as small as the live
        # ones. A ticket just created (the one with a code to show) has none yet.
        db.session.execute(
            delete(TicketGrant).where(
                TicketGrant.ticket_id == ticket.id,
                TicketGrant.created_at <= utcnow() - GRANT_MAX_AGE,
            )
        )
    token = secrets.token_urlsafe(32)
    grant = TicketGrant(ticket_id=ticket.id, token_hash=hash_token(token))
    if show_code is not None:
        grant.sealed_code = _seal(token, show_code)
    db.session.add(grant)
    db.session.flush()
    return token


def _opens(token: str, reference: str) -> tuple[ColumnElement[bool], ...]:
    """The WHERE of "the grant with this token opens ticket `reference` and is not too old"
    (over TicketGrant joined to Ticket)."""
    return (
        TicketGrant.token_hash == hash_token(token),
        Ticket.reference == reference,
        TicketGrant.created_at > utcnow() - GRANT_MAX_AGE,
    )


def _grant(token: str, reference: str) -> TicketGrant | None:
    return db.session.scalar(
        select(TicketGrant)
        .join(Ticket, Ticket.id == TicketGrant.ticket_id)
        .where(*_opens(token, reference))
    )


def granted_ticket(token: str, reference: str) -> Ticket | None:
    """The ticket `reference` (upper case) if the grant with this token still opens it.

    One SELECT of the ticket joined to its grant, so a page's request that acts on the
    ticket (an upload: issue 10's budget of four statements and the commit) does not
    check the grant and then read the ticket. The ticket's flags are left to load when a
    page shows them; an upload needs none.
    """
    return db.session.scalar(
        select(Ticket)
        .join(TicketGrant, TicketGrant.ticket_id == Ticket.id)
        .where(*_opens(token, reference))
        .options(lazyload(Ticket.flag_rows))
    )


def take_code(token: str, reference: str) -> str | None:
    """The new ticket's access code, once: the sealed copy is erased as it is read."""
    grant = _grant(token, reference)
    if grant is None or grant.sealed_code is None:
        return None
    code = _unseal(token, grant.sealed_code)
    grant.sealed_code = None
    db.session.flush()
    return code


def drop_codes(tokens: list[str]) -> None:
    """Erase the sealed codes these grants still hold: a code is shown on the next page or
    never (a browser that creates a second ticket first loses the first code)."""
    if tokens:
        hashes = [hash_token(t) for t in tokens]
        db.session.execute(
            update(TicketGrant)
            .where(TicketGrant.token_hash.in_(hashes), TicketGrant.sealed_code.is_not(None))
            .values(sealed_code=None)
            .execution_options(synchronize_session=False)
        )


def revoke_grants(tokens: list[str]) -> None:
    """End these grants on the server (an unknown or already revoked token is ignored)."""
    if tokens:
        hashes = [hash_token(t) for t in tokens]
        db.session.execute(delete(TicketGrant).where(TicketGrant.token_hash.in_(hashes)))


def revoke_ticket_grants(ticket_id: str) -> int:
    """End every browser's access to one ticket (a new access code replaced the old one:
    whoever opened it with the old code must type the new one). Returns how many ended."""
    return db.session.execute(
        delete(TicketGrant).where(TicketGrant.ticket_id == ticket_id),
        execution_options={"synchronize_session": False},
    ).rowcount
