"""Legal holds on the review page (recovery.md "Keeping identity documents").

The panel is `templates/review/_retention.html`, part of the review page; its forms post
here, with the page's CSRF token, and call the same services as the JSON API
(triage.retention.api). Leads only. A refused action re-renders the review page with the
reason and the status the API would give, like every other action of that page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for
from wtforms import StringField

from forms.text import CheckedForm, limited
from triage.errors import TriageError
from triage.extensions import db
from triage.retention import operations as ops
from triage.retention.serialize import retention_of
from triage.reviewers.auth import lead_required, signed_in_reviewer
from triage.tickets.operations import ticket_by_reference

bp = Blueprint("retention", __name__, url_prefix="/review")


@bp.app_context_processor
def retention_panel() -> dict[str, Any]:
    # The review page's panel (templates/review/_retention.html) reads a ticket's facts.
    return {"retention_of": retention_of}


class LegalHoldForm(CheckedForm):
    """Place or lift a hold: the reason (the service says when it is missing)."""

    reason = StringField("Reason", validators=[limited("reason")])


def _refused(ticket, exc: TriageError):
    from triage.review.views import _render  # the review page, as its own actions render it

    db.session.rollback()
    db.session.refresh(ticket)
    problems = getattr(exc, "fields", None) or {}
    message = exc.message
    if "reason" in problems:
        message = f"{exc.message} The reason {problems['reason']}."
    return _render(ticket, exc.status, error=message)


def _form_refused(ticket, form: LegalHoldForm):
    from triage.review.views import _render

    problems = " ".join(form.reason.errors) or "The form is not valid: reload the page."
    return _render(ticket, 400, error=f"That was not saved. {problems}")


@bp.post("/tickets/<reference>/legal-hold")
@lead_required
def place(reference: str):
    ticket = ticket_by_reference(reference)
    form = LegalHoldForm()
    if not form.validate_on_submit():
        return _form_refused(ticket, form)
    try:
        ops.place_hold(ticket, signed_in_reviewer(), form.reason.data)
    except TriageError as exc:
        return _refused(ticket, exc)
    db.session.commit()
    flash(f"Ticket {ticket.reference} is under a legal hold: its evidence is kept until lifted.")
    return redirect(url_for("review.ticket", reference=ticket.reference, _anchor="retention"))


@bp.post("/tickets/<reference>/legal-hold/release")
@lead_required
def release(reference: str):
    ticket = ticket_by_reference(reference)
    form = LegalHoldForm()
    if not form.validate_on_submit():
        return _form_refused(ticket, form)
    try:
        ops.lift_hold(ticket, signed_in_reviewer(), form.reason.data, required=True)
    except TriageError as exc:
        return _refused(ticket, exc)
    db.session.commit()
    flash(f"The legal hold on {ticket.reference} is lifted: the retention purge applies again.")
    return redirect(url_for("review.ticket", reference=ticket.reference, _anchor="retention"))
