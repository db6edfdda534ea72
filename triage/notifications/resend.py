"""Resend my private link: what the page and the API share (api.md "Notifications").

The request only enqueues a job with what was typed; the job compares it with the ticket
(triage.notifications.tasks.resend_link). So the answer, and the time it takes, are the
same whether the reference or the address exist or not.
"""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from triage.errors import ServiceUnavailable
from triage.extensions import limiter

# Lazy: read in the request's language, on the page and in the API's 202 alike.
ACCEPTED_MESSAGE = _l(
    "If this reference and email address belong to a ticket, a new private link is on its "
    "way to that address. It replaces the old access code. Check your inbox and spam folder "
    "in a few minutes."
)
# Counted across the page and the API alike.
PER_REFERENCE = "5 per hour"
PER_ADDRESS = "5 per hour"
PER_CLIENT = "10 per minute; 30 per hour"


def typed_address() -> str:
    """The contact address of a resend request (JSON or form), normalised for counting."""
    body = request.get_json(silent=True) if request.is_json else None
    value = (body or {}).get("contact_email") if isinstance(body, dict) else None
    if value is None:
        value = request.form.get("contact_email")
    return str(value or "").strip().casefold()[:254] or "-"


def typed_reference() -> str:
    value = (request.view_args or {}).get("reference") or request.form.get("reference") or ""
    return str(value).strip().upper()[:40] or "-"


per_reference = limiter.shared_limit(
    PER_REFERENCE, scope="resend_link_reference", key_func=typed_reference, methods=["POST"]
)
per_address = limiter.shared_limit(
    PER_ADDRESS, scope="resend_link_address", key_func=typed_address, methods=["POST"]
)
per_client = limiter.shared_limit(PER_CLIENT, scope="resend_link_client", methods=["POST"])


def request_new_link(reference: str, contact_email: str) -> None:
    """Hand the request to the job; ServiceUnavailable if the job queue did not take it."""
    from triage.jobs import enqueue

    if not enqueue("triage.notifications.resend_link", reference[:40], contact_email[:254]):
        raise ServiceUnavailable(
            "We could not take your request just now; nothing was changed. Please try "
            "again in a few minutes."
        )
