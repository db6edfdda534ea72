"""What the account's registered owner is told (recovery.md "Notice to the registered owner,
and a waiting period"), queued in the outbox from the history like every other email.

- `submitted` (an account change sent for review) or, when the account directory had not
  answered by then, the later `record_checked`: one `owner_notice` to the record's
  registered email when it differs from the ticket's contact email, with a one-time
  "this was not me" link.
- `decided` approved (the final approval, which sets `effective_at`): `owner_approved`,
  when the change takes effect, with a fresh link (none after a lead re-decided a
  disputed ticket: the owner has spoken and a lead has looked).
- `decided` rejected: `owner_rejected`, once, when the owner disputed the change or was
  already told of it (an earlier owner email): whoever was warned of a change hears that it
  was refused and that nothing changes, whether a lead refused it after their "not me" or a
  reviewer refused it before. Without the reviewer's note, which is for the requester.
- `disputed`: `disputed` to the ticket's contact email, `owner_disputed` to the owner.

The owner's emails are in the owner's language (`owner_language`): the account record's
`language` where it has one, else the deployment's default (`DEFAULT_LANGUAGE`, Flask-Babel's
`BABEL_DEFAULT_LOCALE`). Never the ticket's: whoever files a change chooses that, and an
attacker would choose one the owner cannot read. The link's page opens in the same language
(its `?lang=`). The requester's own emails (`disputed`, `decision`...) keep the ticket's.

The links' tokens are made when each email is built and only their SHA-256 is stored
once it is sent (`triage.notifications.operations._mark_sent`), so a token exists only in
the email.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from triage.accounts.masks import mask_email, mask_mobile
from triage.accounts.records import record_language
from triage.extensions import db
from triage.history.models import Event
from triage.languages import DEFAULT, LANGUAGES
from triage.notifications.models import Notification
from triage.tickets import status as st
from triage.tickets.models import Ticket
from triage.timeutil import aware, iso, utcnow

OWNER_ACTIONS = ("submitted", "record_checked", "decided", "disputed")
# The kinds whose email carries a "this was not me" link (when `context["link"]`).
LINK_KINDS = ("owner_notice", "owner_approved")
OWNER = "registered owner"  # the history's actor for the owner's own act
# The emails that tell the owner of a change: once sent one, they hear how it ended.
TOLD_KINDS = ("owner_notice", "owner_approved", "owner_disputed")


def masked_change(ticket: Ticket) -> dict[str, str | None]:
    """The new contacts a change asks for, masked as reviewers see the record's
    (triage.accounts.masks): what the owner's notice and page show."""
    return {"mobile": mask_mobile(ticket.change_mobile), "email": mask_email(ticket.change_email)}


def registered_email(ticket: Ticket) -> str | None:
    """The account's registered email from the ticket's record, once the directory answered."""
    if ticket.record_status == "pending" or not isinstance(ticket.record, dict):
        return None
    value = ticket.record.get("email")
    return value.strip() if isinstance(value, str) and value.strip() else None


def default_language() -> str:
    """The deployment's default language: `BABEL_DEFAULT_LOCALE` (set by `DEFAULT_LANGUAGE`,
    config) when it is one the product writes, else English."""
    configured = current_app.config.get("BABEL_DEFAULT_LOCALE")
    return configured if configured in LANGUAGES else DEFAULT


def owner_language(ticket: Ticket) -> str:
    """The language of the registered owner's emails (and of the page their link opens):
    the account record's `language` when it names one the product writes, else the
    deployment's default. Never `ticket.language`: that is the requester's choice."""
    record = ticket.record if isinstance(ticket.record, dict) else {}
    return record_language(record.get("language")) or default_language()


def owner_address(ticket: Ticket) -> str | None:
    """Where the owner's notices go: the registered email unless the ticket's contact email
    is that very mailbox, else None.

    recovery.md: the notice goes to the registered email only when it differs; when both
    are the same, the customer's own emails already reach the owner. "The same" is only
    ASCII case (mail domains are case-blind, and providers treat local parts alike): a
    look-alike (full-width letters, invisible marks) is another mailbox, and folding it
    with NFKC would let an attacker silence the owner.
    """
    registered = registered_email(ticket)
    if registered is None or ticket.type != "account_change":
        return None
    if _mailbox(registered) == _mailbox(ticket.contact_email or ""):
        return None
    return registered


def _mailbox(address: str) -> str:
    return address.strip().translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def still_stoppable(ticket: Ticket, now: datetime | None = None) -> bool:
    """Whether the owner may still stop the change: submitted and undecided, or approved
    with `effective_at` still ahead; never twice (a lead has decided after a dispute)."""
    now = now or utcnow()
    if ticket.status not in st.DISPUTABLE or ticket.disputed_at is not None:
        return False
    if ticket.status == st.APPROVED:
        effective = aware(ticket.effective_at)
        return effective is not None and effective > now
    return True


def _queued(ticket_id: str, *kinds: str) -> bool:
    """Whether the outbox holds an email of one of `kinds` about the ticket (any status)."""
    return (
        db.session.scalar(
            select(Notification.id)
            .where(Notification.ticket_id == ticket_id, Notification.kind.in_(kinds))
            .limit(1)
        )
        is not None
    )


def _base_context(ticket: Ticket) -> dict[str, Any]:
    record = ticket.record if isinstance(ticket.record, dict) else {}
    return {
        "reference": ticket.reference,
        "account_name": record.get("account_name") or ticket.account_name,
        "change": masked_change(ticket),
    }


def notify_owner(entry: Event) -> None:
    """Queue the owner's notices `entry` calls for, in its session (the outbox's history
    hook calls this for `OWNER_ACTIONS`). recovery.md "Notice to the registered owner"."""
    from triage.notifications.operations import queue_notification

    ticket = db.session.get(Ticket, entry.ticket_id)
    if ticket is None or ticket.type != "account_change":
        return
    details = entry.details or {}
    if entry.action in ("submitted", "record_checked"):
        # A record still pending at submission is noticed when its check completes; a
        # check that completes while the ticket is a draft leaves it to the submission.
        if ticket.first_submitted_at is None or not still_stoppable(ticket):
            return
        address = owner_address(ticket)
        if address is None or _queued(ticket.id, "owner_notice"):
            return
        queue_notification(
            ticket,
            "owner_notice",
            recipient=address,
            requested_at=iso(ticket.first_submitted_at or entry.at),
            link=True,
            **_base_context(ticket),
        )
    elif entry.action == "decided":
        if details.get("decision") == "approved":
            _tell_approved(ticket, details)
        elif details.get("decision") == "rejected":
            _tell_rejected(ticket, details)
    elif entry.action == "disputed":
        context = _base_context(ticket)
        queue_notification(ticket, "disputed", **context)
        address = _disputing_address(details.get("link_id")) or registered_email(ticket)
        if address:
            queue_notification(ticket, "owner_disputed", recipient=address, **context)


def _tell_approved(ticket: Ticket, details: dict[str, Any]) -> None:
    """`owner_approved` for the final approval (recovery.md: "the owner's registered email
    is told again"), with a fresh link unless a lead re-decided after a dispute."""
    from triage.notifications.operations import queue_notification

    # The approval's UPDATE set `effective_at`; its event says it too.
    effective_at = iso(ticket.effective_at) or details.get("effective_at")
    address = owner_address(ticket)
    if not effective_at or address is None:
        return
    after_dispute = bool(details.get("after_dispute"))
    queue_notification(
        ticket,
        "owner_approved",
        recipient=address,
        effective_at=effective_at,
        after_dispute=after_dispute,
        link=not after_dispute,
        **_base_context(ticket),
    )


def _tell_rejected(ticket: Ticket, details: dict[str, Any]) -> None:
    """`owner_rejected` for a final refusal the owner was waiting on: recovery.md blocks a
    disputed change "until a lead decides again", and the owner who disputed, or was warned
    and may be about to, should not be left guessing. Once per ticket; no link (nothing is
    left to stop) and no note (written to the requester, who may be the attacker)."""
    from triage.notifications.operations import queue_notification

    # The request's copy may predate the record: the directory's answer can land between
    # the page loading the ticket and the refusal's UPDATE, and its notice with it.
    db.session.refresh(ticket, ["record", "record_status", "contact_email", "disputed_at"])
    address = owner_address(ticket)
    if address is None or _queued(ticket.id, "owner_rejected"):
        return
    # A dispute counts however the ticket came back to a decision (a refused second
    # approval returns it to review, and that decision's event does not say so).
    after_dispute = bool(details.get("after_dispute")) or ticket.disputed_at is not None
    if not after_dispute and not _queued(ticket.id, *TOLD_KINDS):
        return  # the owner never heard of this change (its record came late): nothing to close
    queue_notification(
        ticket,
        "owner_rejected",
        recipient=address,
        after_dispute=after_dispute,
        **_base_context(ticket),
    )


def _disputing_address(link_id: Any) -> str | None:
    """The address the used link was sent to (the record may have changed since)."""
    from triage.recovery.models import DisputeLink

    if not isinstance(link_id, int):
        return None
    return db.session.scalar(
        select(Notification.recipient)
        .join(DisputeLink, DisputeLink.notification_id == Notification.id)
        .where(DisputeLink.id == link_id)
    )
