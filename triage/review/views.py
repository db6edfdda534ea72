"""Reviewer pages: the queue, taking the next ticket, the review page and its actions.

Pages use the session of a signed-in reviewer (Flask-Login) and CSRF-protected forms;
they call the same services as the JSON API. A refused action re-renders the review page
with the reason and the HTTP status the API would give.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from forms.review import (
    TYPE_WORDS,
    ActionForm,
    ClaimForm,
    DecisionForm,
    DisputedDecisionForm,
    EvidenceReviewForm,
    QueueFilterForm,
    ReassignForm,
    RequestMaterialsForm,
    SecondApprovalForm,
)
from triage.errors import Forbidden, InvalidRequest, NotFound, RequirementsNotMet, TriageError
from triage.evidence.analysis import findings_json as analysis_findings
from triage.evidence.analysis import read_masked
from triage.evidence.models import Evidence
from triage.extensions import db
from triage.review import content
from triage.review import operations as ops
from triage.review.queue import OWN_QUEUE_ORDER
from triage.review.queue import queue as queue_page
from triage.review.serialize import letter_check
from triage.reviewers.auth import lead_required, reviewer_required, signed_in_reviewer
from triage.reviewers.operations import active_reviewers
from triage.tickets import status as st
from triage.tickets.checklist import information_values, ticket_state
from triage.tickets.information import format_value
from triage.tickets.models import Ticket
from triage.tickets.operations import ticket_by_reference
from triage.timeutil import aware

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.app_context_processor
def review_vocabulary() -> dict[str, Any]:
    # Statuses, flags and reasons come from triage.vocabulary, like every page's.
    return {"type_words": TYPE_WORDS, "format_value": format_value}


@bp.app_template_filter("when")
def when(value: datetime | str | None, seconds: bool = False) -> str:
    """A stored time (or its ISO 8601 text, as the JSON has it) as reviewers read it: UTC,
    to the minute (or second)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (
        aware(value)
        .astimezone(UTC)
        .strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")
    )


# --- queue ------------------------------------------------------------------------------------


@bp.get("/")
@reviewer_required
def queue():
    """The review queue; `?status=awaiting_second_approval` and `?status=disputed` are the
    leads' tabs of recovery.md (second approvals, disputed tickets)."""
    filters = QueueFilterForm(request.args)
    reviewer = signed_in_reviewer()
    status = request.args.get("status") or None
    try:
        page = queue_page(
            request.args.get("type"), request.args.get("flag"), status=status, reviewer=reviewer
        )
    except (InvalidRequest, Forbidden) as exc:
        flash(exc.message, "error")
        return redirect(url_for(".queue"))
    db.session.commit()  # lapsed claims went back to the queue
    mine = [t for t in page.items if t.claimed_by_id == reviewer.id]
    return render_template(
        "review/queue.html",
        page=page,
        filters=filters,
        mine=mine,
        tab=status if status in OWN_QUEUE_ORDER else None,
        claim_form=ClaimForm(formdata=None, type=request.args.get("type", "")),
    )


@bp.post("/claim")
@reviewer_required
def claim():
    form = ClaimForm()
    if not form.validate_on_submit():
        flash("Choose a queue from the list.", "error")
        return redirect(url_for(".queue"))
    ticket = ops.claim_next(signed_in_reviewer(), form.type.data or None)
    db.session.commit()
    if ticket is None:
        flash("Nothing is waiting in this queue just now.")
        return redirect(url_for(".queue", type=form.type.data or None))
    flash(
        f"Ticket {ticket.reference} is yours for the next {_idle_minutes()} minutes of inactivity."
    )
    return redirect(url_for(".ticket", reference=ticket.reference))


def _idle_minutes() -> int:
    return current_app.config["CLAIM_IDLE_MINUTES"]


# --- the review page --------------------------------------------------------------------------


@bp.get("/tickets/<reference>")
@reviewer_required
def ticket(reference: str):
    return _render(ticket_by_reference(reference))


def _render(
    ticket: Ticket,
    status: int = 200,
    *,
    error: str | None = None,
    missing: list[str] | None = None,
    forms: dict[str, FlaskForm] | None = None,
):
    """The review page; `forms` replaces a form by name (to show its errors)."""
    forms = forms or {}
    reviewer = signed_in_reviewer()
    state = ticket_state(ticket)
    evidence_forms = {
        item.id: forms.get(f"evidence-{item.id}")
        or EvidenceReviewForm(
            formdata=None,
            prefix=_prefix(item),
            data={"decision": item.decision, "reason": item.reason or "", "note": item.note},
        )
        for item in ticket.evidence
    }
    # Pre-tick what the customer must send again; the reviewer adds anything else.
    asked = [i.key for i in state.items if i.status == "rejected"]
    reassign = forms.get("reassign") or ReassignForm(formdata=None)
    reassign.reviewer.choices = [
        SelectChoice(r.email, f"{r.name} ({r.email})") for r in active_reviewers()
    ]
    return render_template(
        "review/ticket.html",
        ticket=ticket,
        state=state,
        reviewer=reviewer,
        info=information_values(ticket),
        letter_check=letter_check(ticket, state),
        can_act=ticket.status == st.IN_REVIEW
        and ops.claim_active(ticket)
        and (ticket.claimed_by_id == reviewer.id or reviewer.is_lead),
        claim_active=ops.claim_active(ticket),
        evidence_forms=evidence_forms,
        inline=content.shown_inline,
        preview=ops.evidence_preview,
        findings=analysis_findings,  # api.md "Evidence analysis", in reviewers' words
        request_form=forms.get("request") or RequestMaterialsForm(formdata=None, materials=asked),
        decision_form=forms.get("decision") or DecisionForm(formdata=None),
        # recovery.md "Second approval" and a lead's decision on a disputed ticket.
        approvals=ops.approvals_json(ticket),
        can_second_approve=ops.can_give_second_approval(ticket, reviewer),
        second_form=forms.get("second") or SecondApprovalForm(formdata=None),
        can_redecide=reviewer.is_lead and ticket.status == st.DISPUTED,
        disputed_form=forms.get("disputed") or DisputedDecisionForm(formdata=None),
        reassign_form=reassign,
        action_form=ActionForm(formdata=None),
        events=ops.ticket_history(ticket),
        error=error,
        missing=missing or [],
    ), status


def _prefix(item: Evidence) -> str:
    return f"ev-{item.id}"


def _refused(
    ticket: Ticket, exc: TriageError, form_name: str | None = None, form: FlaskForm | None = None
):
    """Show why an action was refused, on the page, with the API's status code."""
    db.session.rollback()
    db.session.refresh(ticket)
    fields = getattr(exc, "fields", {}) or {}
    if form is not None:
        for name, problem in fields.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = [problem[:1].upper() + problem[1:] + "."]
    missing = exc.missing if isinstance(exc, RequirementsNotMet) else None
    forms = {form_name: form} if form_name and form is not None else {}
    return _render(ticket, exc.status, error=exc.message, missing=missing, forms=forms)


def _done(ticket: Ticket, message: str, anchor: str | None = None) -> Response:
    db.session.commit()
    flash(message)
    return redirect(url_for(".ticket", reference=ticket.reference, _anchor=anchor))


@bp.post("/tickets/<reference>/release")
@reviewer_required
def release(reference: str):
    ticket = ticket_by_reference(reference)
    ActionForm().validate_on_submit()  # CSRFProtect has already checked the token
    try:
        ops.release(ticket, signed_in_reviewer())
    except TriageError as exc:
        return _refused(ticket, exc)
    db.session.commit()
    flash(f"Ticket {ticket.reference} went back to the queue, in its old place.")
    return redirect(url_for(".queue"))


@bp.post("/tickets/<reference>/reassign")
@lead_required
def reassign(reference: str):
    ticket = ticket_by_reference(reference)
    form = ReassignForm()
    form.reviewer.choices = [SelectChoice(r.email) for r in active_reviewers()]
    if not form.validate_on_submit():
        return _render(ticket, 400, error="Choose who gets the ticket.", forms={"reassign": form})
    try:
        target = ops.reassign(ticket, signed_in_reviewer(), form.reviewer.data)
    except TriageError as exc:
        return _refused(ticket, exc, "reassign", form)
    return _done(ticket, f"Ticket {ticket.reference} now belongs to {target.name}.")


@bp.post("/evidence/<evidence_id>/review")
@reviewer_required
def review_evidence(evidence_id: str):
    item = ops.evidence_by_id(evidence_id)
    ticket = item.ticket
    form = EvidenceReviewForm(prefix=_prefix(item))
    name = f"evidence-{item.id}"
    if not form.validate_on_submit():
        return _render(
            ticket, 400, error="The review was not saved: see the file's form.", forms={name: form}
        )
    try:
        ops.review_evidence(
            item, signed_in_reviewer(), form.decision.data, form.reason.data or None, form.note.data
        )
    except TriageError as exc:
        return _refused(ticket, exc, name, form)
    word = "accepted" if item.decision == "accepted" else "rejected"
    return _done(ticket, f"“{item.filename}” {word}.", f"evidence-{item.id}")


@bp.post("/tickets/<reference>/request-materials")
@reviewer_required
def request_materials(reference: str):
    ticket = ticket_by_reference(reference)
    form = RequestMaterialsForm()
    if not form.validate_on_submit():
        return _render(
            ticket, 400, error="The request was not sent: see the form.", forms={"request": form}
        )
    try:
        ops.request_materials(ticket, signed_in_reviewer(), form.materials.data, form.message.data)
    except TriageError as exc:
        return _refused(ticket, exc, "request", form)
    return _done(ticket, "The customer was asked for more; the ticket waits for their answer.")


@bp.post("/tickets/<reference>/decision")
@reviewer_required
def decision(reference: str):
    ticket = ticket_by_reference(reference)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render(
            ticket, 400, error="The decision was not saved: see the form.", forms={"decision": form}
        )
    try:
        ops.decide(ticket, signed_in_reviewer(), form.decision.data, form.note.data)
    except TriageError as exc:
        return _refused(ticket, exc, "decision", form)
    if ticket.status == st.AWAITING_SECOND_APPROVAL:
        return _done(
            ticket,
            f"Ticket {ticket.reference} approved once: it waits for a lead's second approval.",
        )
    return _done(ticket, f"Ticket {ticket.reference} {ticket.status}.")


@bp.post("/tickets/<reference>/second-approval")
@reviewer_required
def second_approval(reference: str):
    """A lead's second approval or refusal (recovery.md); others get the page with 403."""
    ticket = ticket_by_reference(reference)
    form = SecondApprovalForm()
    if not form.validate_on_submit():
        return _render(
            ticket,
            400,
            error="The second approval was not saved: see the form.",
            forms={"second": form},
        )
    try:
        ops.second_approval(ticket, signed_in_reviewer(), form.decision.data, form.note.data)
    except TriageError as exc:
        return _refused(ticket, exc, "second", form)
    if ticket.status == st.APPROVED:
        return _done(ticket, f"Ticket {ticket.reference} approved: the customer is told.")
    holder = ticket.claimed_by.name if ticket.claimed_by else "the first approver"
    return _done(ticket, f"Ticket {ticket.reference} went back to {holder} with your note.")


@bp.post("/tickets/<reference>/disputed-decision")
@reviewer_required
def disputed_decision(reference: str):
    """A lead decides a disputed ticket again (recovery.md)."""
    ticket = ticket_by_reference(reference)
    form = DisputedDecisionForm()
    if not form.validate_on_submit():
        return _render(
            ticket, 400, error="The decision was not saved: see the form.", forms={"disputed": form}
        )
    try:
        ops.decide_disputed(ticket, signed_in_reviewer(), form.decision.data, form.note.data)
    except TriageError as exc:
        return _refused(ticket, exc, "disputed", form)
    if ticket.status == st.AWAITING_SECOND_APPROVAL:
        return _done(
            ticket,
            f"Ticket {ticket.reference} approved once after the dispute: it waits for another "
            "lead's second approval.",
        )
    return _done(ticket, f"Ticket {ticket.reference} rejected after the dispute.")


# --- evidence ---------------------------------------------------------------------------------


@bp.get("/evidence/<evidence_id>")
@reviewer_required
def evidence_content(evidence_id: str) -> Response:
    item = ops.evidence_by_id(evidence_id)
    data = ops.read_evidence(item, signed_in_reviewer(), "page")
    db.session.commit()
    return content.evidence_response(item, data, download=request.args.get("download") == "1")


@bp.get("/evidence/<evidence_id>/pages")
@reviewer_required
def evidence_pages(evidence_id: str):
    item = ops.evidence_by_id(evidence_id)
    view = ops.evidence_preview(item)
    if view.status == "unavailable":
        raise NotFound("This file has no page preview: download it instead.")
    return render_template("review/pages.html", item=item, ticket=item.ticket, view=view)


@bp.get("/evidence/<evidence_id>/preview")
@reviewer_required
def evidence_preview(evidence_id: str):
    """The preview part of the review page, for its script to poll until it is ready."""
    item = ops.evidence_by_id(evidence_id)
    view = ops.evidence_preview(item)
    html = render_template("review/_preview.html", e=item, view=view, inline=content.shown_inline)
    return html, 200, {"X-Preview-Status": view.status, "Cache-Control": "no-store"}


@bp.get("/evidence/<evidence_id>/masked.png")
@reviewer_required
def evidence_masked(evidence_id: str) -> Response:
    """A card photo with the card number's middle digits hidden (api.md "Evidence
    analysis"): shown instead of the original; logged as a read."""
    item = ops.evidence_by_id(evidence_id)
    picture = read_masked(item, signed_in_reviewer())
    db.session.commit()
    return content.page_image_response(picture, "image/png", item, 1)


@bp.get("/evidence/<evidence_id>/pages/<int:page>.png")
@reviewer_required
def evidence_page(evidence_id: str, page: int) -> Response:
    item = ops.evidence_by_id(evidence_id)
    picture = ops.evidence_page_image(item, signed_in_reviewer(), page)
    db.session.commit()
    if picture is None:
        return content.preview_pending_response()
    media_type = ops.evidence_preview(item).media_type or "image/png"
    return content.page_image_response(picture, media_type, item, page)
