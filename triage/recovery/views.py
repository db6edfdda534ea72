"""The registered owner's "this was not me" page (recovery.md "Notice to the registered
owner, and a waiting period"): `/not-me/<token>`, no sign-in.

GET only shows where the request stands and, while it can be stopped, a CSRF-protected
button: mail scanners and link previews open links, so opening one never changes
anything. POST stops the change (`triage.recovery.disputes.dispute`). Rate-limited per
client like the resend-link page; an unknown and a used link read alike.

The link carries `?lang=` with its email's language, which is the owner's (the account's,
or the deployment's default), never the requester's (triage.recovery.notices); the form
posts back to the same address, so the answer speaks it too.
"""

from __future__ import annotations

from flask import Blueprint, Response, make_response, render_template
from flask_wtf import FlaskForm

from triage.extensions import db, limiter
from triage.notifications.messages import support_contact
from triage.recovery import disputes
from triage.recovery.notices import masked_change

bp = Blueprint("recovery", __name__)

# As many tries as a person needs; a token is 256 bits, so this only stops hammering.
PER_CLIENT = "10 per minute; 30 per hour"
per_client = limiter.shared_limit(PER_CLIENT, scope="not_me_client")

# HTTP status of each page: the link works (200), did its work (200), is unknown or used
# (404), or the request can no longer be stopped here (409).
STATUS = {
    disputes.OPEN: 200,
    disputes.DISPUTED: 200,
    disputes.INVALID: 404,
    disputes.APPLIED: 409,
    disputes.CLOSED: 409,
    disputes.ON_HOLD: 409,
    disputes.REVIEWED: 409,
}


class NotMeForm(FlaskForm):
    """Only the CSRF token: the button is the whole answer."""


def _page(found: disputes.LinkState, form: NotMeForm | None) -> Response:
    ticket = found.ticket
    response = make_response(
        render_template(
            "recovery/not_me.html",
            state=found.state,
            form=form,
            account_name=(ticket.record or {}).get("account_name") or ticket.account_name
            if ticket is not None
            else None,
            change=masked_change(ticket) if ticket is not None else {},
            effective_at=ticket.effective_at if ticket is not None else None,
            support_contact=support_contact(),
        ),
        STATUS[found.state],
    )
    # The token is in the address: keep the page out of caches and off other sites.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/not-me/<token>", methods=["GET", "POST"])
@per_client
def not_me(token: str) -> Response:
    """GET: where the request stands, and the button while it can be stopped. POST: stop it."""
    form = NotMeForm()
    if form.validate_on_submit():
        found = disputes.dispute(token)
        if found.state == disputes.DISPUTED:
            response = _page(found, None)  # rendered before the commit expires the ticket
            db.session.commit()  # the emails to both addresses go with it (outbox)
            return response
        response = _page(found, None)
        db.session.rollback()  # the link stays unused
        return response
    found = disputes.link_state(token)
    response = _page(found, form if found.state == disputes.OPEN else None)
    db.session.rollback()
    return response
