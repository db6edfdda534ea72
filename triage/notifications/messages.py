"""The emails themselves: subject, plain text and HTML from templates/email/, in the
row's language, with links to this service's public address (`PUBLIC_URL`).

Rendered under the row's locale (Flask-Babel's `force_locale`): the templates' `trans`
blocks, the vocabulary they show (`|t`) and the subject come from translations/. The row's
language is the ticket's for the customer's emails and the account's (or the deployment's
default) for the registered owner's (`triage.notifications.operations.notification_language`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, gettext
from flask_mailman import EmailMultiAlternatives

from triage.evidence.reasons import REASONS
from triage.notifications.models import Notification
from triage.recovery.disputes import new_token
from triage.recovery.notices import LINK_KINDS
from triage.requirements import MATERIALS
from triage.secrets import random_code
from triage.tickets.models import Ticket
from triage.timeutil import aware

TYPE_WORDS = {
    "account_change": "change the phone number or email address of your account",
    "unfreeze": "restore your restricted or frozen account",
}


def _subject(kind: str, reference: str, context: dict[str, Any]) -> str:
    """The subject line in the active locale (`build_message` forces the ticket's)."""
    if kind == "ticket_created":
        return gettext("Your ticket %(reference)s: how to come back to it", reference=reference)
    if kind == "materials_requested":
        return gettext("Ticket %(reference)s: we need more from you", reference=reference)
    if kind == "file_rejected":
        return gettext("Ticket %(reference)s: a file could not be accepted", reference=reference)
    if kind == "decision":
        if context.get("decision") == "approved":
            return gettext("Ticket %(reference)s: your request was approved", reference=reference)
        return gettext("Ticket %(reference)s: your request was not approved", reference=reference)
    # recovery.md "Notice to the registered owner" (triage.recovery.notices)
    account = context.get("account_name") or ""
    if kind == "owner_notice":
        return gettext("A change to your account %(account)s was requested", account=account)
    if kind == "owner_approved":
        return gettext("A change to your account %(account)s was approved", account=account)
    if kind == "owner_disputed":
        return gettext("We stopped the change to your account %(account)s", account=account)
    if kind == "owner_rejected":
        return gettext("The change to your account %(account)s was refused", account=account)
    if kind == "disputed":
        return gettext("Ticket %(reference)s: on hold", reference=reference)
    return gettext("Your private link to ticket %(reference)s", reference=reference)


def _time(value: Any) -> datetime | None:
    """A time the outbox stored as ISO 8601 (JSON), for the templates' `|datetime`."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def support_contact() -> str:
    """Whom the owner contacts once a change has been applied: `SUPPORT_CONTACT` (an
    address or a URL) where set, else this service's page for filing a new ticket."""
    return current_app.config.get("SUPPORT_CONTACT") or public_link("tickets.start")


def public_link(endpoint: str, **values: Any) -> str:
    """An absolute URL of `endpoint` at `PUBLIC_URL` (no request needed: jobs have none)."""
    parts = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def message_context(row: Notification, ticket: Ticket) -> dict[str, Any]:
    """What the templates of `row.kind` read (plain data; no access code)."""
    context = dict(row.context or {})
    materials = [
        {"key": key, "label": MATERIALS[key].label if key in MATERIALS else key}
        for key in context.get("materials", [])
    ]
    material = context.get("material")
    return {
        "kind": row.kind,
        "language": row.language,
        "reference": ticket.reference,
        "type_words": TYPE_WORDS.get(ticket.type, "look at your account"),
        "resume_url": public_link("tickets.resume", reference=ticket.reference),
        "resend_url": public_link("notifications.resend_link", reference=ticket.reference),
        "materials": materials,
        "message": context.get("message"),
        "filename": context.get("filename"),
        "material_label": MATERIALS[material].label if material in MATERIALS else material,
        "reason": REASONS.get(context.get("reason") or "", ""),
        "note": context.get("note"),
        "decision": context.get("decision"),
        # recovery.md: the owner's notices, and when an approved change takes effect.
        "account_name": context.get("account_name") or ticket.account_name,
        "change": context.get("change") or {},
        "requested_at": _time(context.get("requested_at")),
        "effective_at": _time(context.get("effective_at")),
        "after_dispute": bool(context.get("after_dispute")),
        "support_contact": support_contact(),
    }


def message_id(row: Notification) -> str:
    """The same Message-ID at every attempt, so a message sent twice shows once."""
    host = urlsplit(current_app.config["PUBLIC_URL"]).hostname or "localhost"
    return f"<notification-{row.id}@{host}>"


def build_message(row: Notification, ticket: Ticket) -> tuple[EmailMultiAlternatives, str | None]:
    """The email of `row`, and the secret it carries: the new access code (access_link)
    or the "this was not me" token (owner_notice, owner_approved), else None.

    A new secret is made for each attempt; the caller stores its hash once the message is
    sent, so the secret exists only in the message.
    """
    context = message_context(row, ticket)
    new_code = None
    if row.kind == "access_link":
        new_code = random_code()
        context["code"] = new_code
        # The code rides in the fragment, which browsers never send to a server.
        context["private_link"] = public_link("tickets.resume") + f"#{ticket.reference}:{new_code}"
    elif row.kind in LINK_KINDS and (row.context or {}).get("link"):
        # recovery.md: a one-time "this was not me" link; the caller stores its hash once
        # the message is sent, so the token exists only in the message. Its page opens in
        # this email's language (the owner's, triage.recovery.notices.owner_language).
        new_code = new_token()
        context["not_me_url"] = public_link(
            "recovery.not_me", token=new_code, lang=row.language or "en"
        )
    env = current_app.jinja_env
    # Jobs have no request: the row's language is forced (the ticket's, chosen when it was
    # filed; for the owner's emails the account's, never the requester's).
    with force_locale(row.language or "en"):
        text = env.get_template(f"email/{row.kind}.txt").render(**context)
        html = env.get_template(f"email/{row.kind}.html").render(**context)
        subject = _subject(row.kind, ticket.reference, context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[row.recipient],
        headers={
            "Message-ID": message_id(row),
            "Content-Language": row.language.replace("_", "-"),
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message, new_code
