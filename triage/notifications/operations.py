"""The outbox's operations: queue a notification with its change, claim it, send it once.

`queue_notification` adds the row to the caller's session, so it commits or rolls back
with the change it reports. After the commit a session hook enqueues the send job; after
a rollback there is nothing to send (the row never existed). The job (`send_notification`)
claims the row with one conditional UPDATE, so however many workers get the job, one
sends; a worker that dies mid-send leaves a lease that runs out, and the sweep gives the
row to another.

Delivery to an SMTP server is at least once: a worker that dies after the server took
the message and before the row says "sent" cannot know, and the message goes again after
the lease runs out. The Message-ID is the same each time, so mail clients show one.
"""

from __future__ import annotations

import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from triage.extensions import db
from triage.history.models import Event, record
from triage.notifications.models import FAILED, PENDING, SENDING, SENT, Notification
from triage.tickets.models import Ticket
from triage.timeutil import iso, utcnow

log = logging.getLogger(__name__)

SYSTEM = "system"
# Longer than one send can take (MAIL_TIMEOUT bounds each SMTP wait): a lease that runs out
# means the worker died.
LEASE = timedelta(minutes=10)
# A pending row untouched this long lost its job (broker down at commit, worker killed).
SWEEP_AFTER = timedelta(minutes=2)
SWEEP_BATCH = 200
MAX_ATTEMPTS = 6  # the first try and five retries with backoff

KINDS = (
    "ticket_created",
    "materials_requested",
    "file_rejected",
    "decision",
    "access_link",
    # recovery.md "Notice to the registered owner" (triage.recovery.notices)
    "owner_notice",
    "owner_approved",
    "owner_disputed",
    "owner_rejected",
    "disputed",
)
# Emails to the account's registered owner: their address is a contact of record, which
# reviewers only ever see masked (recovery.md "Accounts of record"), history included.
OWNER_KINDS = ("owner_notice", "owner_approved", "owner_disputed", "owner_rejected")
_QUEUED = "triage.notifications.queued"  # session.info: rows added, ids once flushed
_NO_SYNC = {"synchronize_session": False}


def queue_notification(
    ticket: Ticket, kind: str, recipient: str | None = None, **context: Any
) -> Notification:
    """Add an email about `ticket` to the caller's session (it commits with the change).

    `recipient` defaults to the ticket's contact address; `context` is what the message
    says (JSON; never an access code). The send job is enqueued after the commit. The
    language is the ticket's, except for the registered owner's emails (`OWNER_KINDS`),
    which no caller can put in the requester's (`notification_language`).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    now = utcnow()
    row = Notification(
        ticket_id=ticket.id,
        kind=kind,
        recipient=recipient or ticket.contact_email,
        language=notification_language(ticket, kind),
        context=context,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(row)
    db.session.info.setdefault(_QUEUED, []).append(row)
    return row


def notification_language(ticket: Ticket, kind: str) -> str:
    """The language an email of `kind` about `ticket` is written in.

    The customer's own emails: the ticket's language, chosen when it was filed. The
    registered owner's (`OWNER_KINDS`): the account's language, else the deployment's
    default (triage.recovery.notices.owner_language), never the ticket's: whoever files a
    change chooses that, and could choose one the owner cannot read, so that the warning
    and its "this was not me" link go unread.
    """
    if kind in OWNER_KINDS:
        from triage.recovery.notices import owner_language

        return owner_language(ticket)
    return ticket.language or "en"


# --- what each change sends (through the history every change writes) ------------------------


def notify_for_event(entry: Event) -> None:
    """Queue the email a history event calls for, in the event's session (history hook)."""
    from triage.recovery.notices import OWNER_ACTIONS, notify_owner

    action, details = entry.action, entry.details or {}
    if action in OWNER_ACTIONS:
        notify_owner(entry)  # the account's registered owner (recovery.md)
    if action not in ("created", "materials_requested", "evidence_reviewed", "decided"):
        return
    if action == "evidence_reviewed" and details.get("decision") != "rejected":
        return
    ticket = db.session.get(Ticket, entry.ticket_id)
    if ticket is None:
        return
    if action == "created":
        queue_notification(ticket, "ticket_created", reference=ticket.reference, type=ticket.type)
    elif action == "materials_requested":
        queue_notification(
            ticket,
            "materials_requested",
            materials=list(details.get("materials") or []),
            message=details.get("message") or "",
        )
    elif action == "evidence_reviewed":
        queue_notification(
            ticket,
            "file_rejected",
            evidence_id=details.get("evidence_id"),
            material=details.get("material"),
            filename=details.get("filename"),
            reason=details.get("reason"),
            note=details.get("note"),
        )
    else:
        queue_notification(
            ticket,
            "decision",
            decision=details.get("decision"),
            note=details.get("note"),
            # recovery.md: an approved account change takes effect after the waiting period.
            effective_at=(iso(ticket.effective_at) or details.get("effective_at"))
            if details.get("decision") == "approved"
            else None,
        )


# --- after the commit, the send job -----------------------------------------------------------


def _remember_ids(session: Session, flush_context: Any) -> None:
    rows = session.info.get(_QUEUED)
    if rows:
        ids = session.info.setdefault(_QUEUED + ".ids", [])
        for row in rows:
            if row.id is not None and row.id not in ids:
                ids.append(row.id)
        session.info[_QUEUED] = [row for row in rows if row.id is None]


def _enqueue_committed(session: Session) -> None:
    ids = session.info.pop(_QUEUED + ".ids", None)
    session.info.pop(_QUEUED, None)
    if not ids:
        return
    from triage.jobs import enqueue

    for notification_id in ids:
        # A broker that refuses leaves the row pending: the sweep sends it.
        enqueue("triage.notifications.send", notification_id)


def _forget_rolled_back(session: Session) -> None:
    # Never sent for a change that rolled back: its rows are gone with it.
    session.info.pop(_QUEUED + ".ids", None)
    session.info.pop(_QUEUED, None)


_registered = False


def register_session_hooks() -> None:
    """Enqueue the send jobs of committed notifications, once per process."""
    global _registered
    if _registered:
        return
    event.listen(db.session, "after_flush", _remember_ids)
    event.listen(db.session, "after_commit", _enqueue_committed)
    event.listen(db.session, "after_rollback", _forget_rolled_back)
    _registered = True


# --- claiming and sending ---------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What one call of `send_notification` did.

    outcome: "sent", "skipped" (another worker has it, or it is done), "retry" (failed;
    retry after `retry_in` seconds) or "failed" (the last attempt, or a permanent refusal).
    """

    outcome: str
    retry_in: float | None = None
    error: str | None = None


def claim(notification_id: int, worker: str) -> bool:
    """Take the row for `worker` with one conditional UPDATE; True for the one winner."""
    now = utcnow()
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            or_(
                Notification.status == PENDING,
                (Notification.status == SENDING) & (Notification.lease_until < now),
            ),
        )
        .values(
            status=SENDING,
            claimed_by=worker,
            lease_until=now + LEASE,
            attempts=Notification.attempts + 1,
        ),
        execution_options=_NO_SYNC,
    )
    db.session.commit()
    return result.rowcount == 1


def _permanent(exc: Exception) -> bool:
    """A refusal that a retry cannot fix (SMTP 5xx, every recipient refused)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def send_notification(notification_id: int, worker: str, backoff: float = 60.0) -> Attempt:
    """Claim, build and send one notification; record `notification_sent` or, after the
    last attempt, `notification_failed` in the ticket's history. Needs an app context.

    `backoff` is the wait before the next attempt if this one fails. Idempotent: a sent,
    failed or claimed row is skipped.
    """
    from triage.notifications.messages import build_message

    if not claim(notification_id, worker):
        return Attempt("skipped")
    row = db.session.get(Notification, notification_id, populate_existing=True)
    if row.attempts > MAX_ATTEMPTS:  # workers died mid-send again and again
        return _failed(notification_id, worker, GaveUp(row.attempts - 1), backoff, final=True)
    ticket = db.session.get(Ticket, row.ticket_id)
    try:
        message, new_code = build_message(row, ticket)
    except Exception as exc:  # a template or data bug: retrying renders the same
        log.exception("cannot build notification %s", notification_id)
        db.session.rollback()
        return _failed(notification_id, worker, exc, backoff, final=True)
    db.session.commit()  # hold no transaction open while talking to the server
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        db.session.rollback()
        return _failed(notification_id, worker, exc, backoff)
    _mark_sent(notification_id, worker, new_code, message.extra_headers["Message-ID"])
    return Attempt("sent")


def _mark_sent(notification_id: int, worker: str, new_code: str | None, message_id: str) -> None:
    from triage.secrets import hash_code

    row = db.session.get(Notification, notification_id, populate_existing=True)
    if new_code is not None and row.kind == "access_link":
        # The private link just sent carries a new code: it replaces the old one now, so
        # a link that never arrived leaves the old code working.
        db.session.execute(
            update(Ticket)
            .where(Ticket.id == row.ticket_id)
            .values(access_token_hash=hash_code(new_code)),
            execution_options=_NO_SYNC,
        )
        # And every browser that opened the ticket with the old code: a customer who asks
        # for a new link because someone else may have the code wants them out too.
        from triage.grants.operations import revoke_ticket_grants

        ended = revoke_ticket_grants(row.ticket_id)
        if ended:
            record(row.ticket_id, SYSTEM, "devices_signed_out", devices=ended)
    marked = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.claimed_by == worker)
        .values(status=SENT, sent_at=utcnow(), lease_until=None, message_id=message_id),
        execution_options=_NO_SYNC,
    ).rowcount
    if new_code is not None and row.kind != "access_link" and marked == 1:
        # recovery.md: the "this was not me" link just sent works from now on; only the
        # token's SHA-256 is kept, so the token exists only in the email.
        from triage.recovery.disputes import token_hash
        from triage.recovery.models import DisputeLink

        db.session.add(
            DisputeLink(
                ticket_id=row.ticket_id, token_hash=token_hash(new_code), notification_id=row.id
            )
        )
    record(
        row.ticket_id,
        SYSTEM,
        "notification_sent",
        notification_id=row.id,
        kind=row.kind,
        to=shown_recipient(row),
        attempts=row.attempts,
    )
    db.session.commit()


def shown_recipient(row: Notification) -> str:
    """The address as the history shows it: the registered owner's masked."""
    if row.kind in OWNER_KINDS:
        from triage.accounts.masks import mask_email

        return mask_email(row.recipient) or ""
    return row.recipient


# Any address in an SMTP error, however the library spelled it (an IDN domain comes back
# as xn--…, a local part may be quoted): the replacement must not depend on the spelling.
_ADDRESS = re.compile(r"[^\s'\"<>(),;:\[\]{}]+@[^\s'\"<>(),;:\[\]{}]+")


def shown_error(row: Notification, error: str) -> str:
    """`error` as the history and the log show it: for the registered owner's emails every
    address in it masked, not only `row.recipient` as we spelled it (security.md: the
    owner's address is never shown in full)."""
    if row.kind not in OWNER_KINDS:
        return error
    from triage.accounts.masks import mask_email

    return _ADDRESS.sub(lambda m: mask_email(_as_typed(m.group(0))) or "***", error)


def _as_typed(address: str) -> str:
    """An address with its domain as people write it (`xn--exmple-cua.org` → `exämple.org`),
    so the error names the mailbox as the history's `to` does."""
    local, at, domain = address.rpartition("@")
    try:
        return f"{local}{at}{domain.encode('ascii').decode('idna')}"
    except UnicodeError:
        return address


class GaveUp(RuntimeError):
    """Claimed more often than MAX_ATTEMPTS without an outcome: each worker died mid-send."""

    def __init__(self, attempts: int) -> None:
        super().__init__(f"{attempts} attempts ended without an answer (the workers stopped)")


def _failed(
    notification_id: int, worker: str, exc: Exception, backoff: float, final: bool = False
) -> Attempt:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    row = db.session.get(Notification, notification_id, populate_existing=True)
    final = final or _permanent(exc) or row.attempts >= MAX_ATTEMPTS
    values: dict[str, Any] = {"last_error": error, "claimed_by": None, "lease_until": None}
    if final:
        values["status"] = FAILED
    else:
        values.update(status=PENDING, next_attempt_at=utcnow() + timedelta(seconds=backoff))
    db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.claimed_by == worker)
        .values(**values),
        execution_options=_NO_SYNC,
    )
    if final:
        record(
            row.ticket_id,
            SYSTEM,
            "notification_failed",
            notification_id=row.id,
            kind=row.kind,
            to=shown_recipient(row),
            attempts=row.attempts,
            error=shown_error(row, error),
        )
    db.session.commit()
    log.warning(
        "notification %s (%s) attempt %d failed%s: %s",
        notification_id,
        row.kind,
        row.attempts,
        " for good" if final else "",
        shown_error(row, error),
    )
    return Attempt("failed" if final else "retry", None if final else backoff, error)


def due_for_sweep(limit: int = SWEEP_BATCH) -> list[int]:
    """Rows whose send job was lost: pending and due for a while, or leased by a dead worker."""
    now = utcnow()
    return list(
        db.session.scalars(
            select(Notification.id)
            .where(
                or_(
                    (Notification.status == PENDING)
                    & (Notification.next_attempt_at < now - SWEEP_AFTER),
                    (Notification.status == SENDING) & (Notification.lease_until < now),
                )
            )
            .order_by(Notification.next_attempt_at)
            .limit(limit)
        )
    )


# --- resend my private link -------------------------------------------------------------------


def resend_link(reference: str, contact_email: str) -> bool:
    """Queue a new private link when `contact_email` is the ticket's contact address.

    The caller commits. Returns whether one was queued; the API never tells (api.md,
    "Notifications"). The new code is made and stored when the email goes out.
    """
    from triage.tickets.information import clean_email

    try:
        address = clean_email(contact_email)
    except ValueError:
        return False
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference.strip().upper()))
    if ticket is None or ticket.contact_email.casefold() != address.casefold():
        return False
    queue_notification(ticket, "access_link", reference=ticket.reference)
    record(ticket.id, "customer", "link_resend_requested")
    db.session.flush()
    return True


def public_url() -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/")
