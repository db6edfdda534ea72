"""Reviewer pages: the queue, taking the next ticket, the review page and its actions.

Pages use the session of a signed-in reviewer (Flask-Login) and CSRF-protected forms;
they call the same services as the JSON API. A refused action re-renders the review page
with the reason and the HTTP status the API would give.

The review page is a workbench (static/js/workbench.js): its file reviews, requests and
ticket decisions are the same form posts, sent by a script with `Accept:
application/json`. Those get JSON: on success `{"message", "status", "location",
"regions": {name: html}}` (the page's parts, re-rendered, for the script to swap in);
on refusal the API's error shape, `{"error": {"code", "message", "fields"?, "missing"?}}`,
with the same status code. Without the script, the posts redirect or re-render as always.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
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
from forms.tickets import as_sentence
from triage.errorpages import wants_json
from triage.errors import Forbidden, InvalidRequest, NotFound, RequirementsNotMet, TriageError
from triage.evidence.analysis import findings_json as analysis_findings
from triage.evidence.analysis import read_masked
from triage.evidence.models import Evidence
from triage.extensions import db
from triage.review import content
from triage.review import operations as ops
from triage.review.queue import OWN_QUEUE_ORDER
from triage.review.queue import queue as queue_page
from triage.review.serialize import letter_check, record_only, still_to_accept, typed_rows
from triage.reviewers.auth import lead_required, reviewer_required, signed_in_reviewer
from triage.reviewers.models import Reviewer
from triage.reviewers.operations import active_reviewers
from triage.tickets import status as st
from triage.tickets.checklist import information_values, ticket_state
from triage.tickets.information import format_value
from triage.tickets.models import Ticket
from triage.tickets.operations import ticket_by_reference
from triage.timeutil import aware

# The session key of the ticket type chosen at the queue's "Take next" (None: any type).
WORKING_QUEUE = "review_working_queue"
# The record panel's request form (templates/review/_record.html): it posts to the same
# endpoint as "Ask the customer for more", with `form=record-request` to say it is itself.
RECORD_REQUEST = "record-request"

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
    ticket_type = form.type.data or None
    session[WORKING_QUEUE] = ticket_type  # "Save and take next" keeps to this queue
    message, location = _claim_next(ticket_type)
    flash(message or "Nothing is waiting in this queue just now.")
    return redirect(location)


def _claim_next(ticket_type: str | None) -> tuple[str | None, str]:
    """Claim and commit the next waiting ticket (of `ticket_type`), as "Take next" does:
    what to tell the reviewer (None when nothing waits) and where to go next."""
    ticket = ops.claim_next(signed_in_reviewer(), ticket_type)
    db.session.commit()
    if ticket is None:
        return None, url_for(".queue", type=ticket_type)
    message = (
        f"Ticket {ticket.reference} is yours for the next {_idle_minutes()} minutes of inactivity."
    )
    return message, url_for(".ticket", reference=ticket.reference)


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
    visit: str | None = None,
):
    """The review page; `forms` replaces a form by name (to show its errors).

    `visit`: the page's visit token when its parts are re-rendered for the page's script
    (kept if it is the reviewer's); otherwise this render is a new visit.
    """
    forms = forms or {}
    reviewer = signed_in_reviewer()
    state = ticket_state(ticket)
    events = ops.ticket_history(ticket)
    # The files in the order of the rule's list, as the viewer and the cards show them.
    files = [
        e
        for i in state.items
        if i.kind == "document"
        for e in ticket.evidence
        if e.material == i.key
    ]
    evidence_forms = {
        item.id: forms.get(f"evidence-{item.id}")
        or EvidenceReviewForm(
            formdata=None,
            prefix=_prefix(item),
            data={"decision": item.decision, "reason": item.reason or "", "note": item.note},
        )
        for item in ticket.evidence
    }
    # Pre-tick only what the customer must send again (a rejected item no other way can
    # replace); the reviewer adds anything else. ops.materials_to_ask_again says why.
    asked = ops.materials_to_ask_again(state)
    reassign = forms.get("reassign") or ReassignForm(formdata=None)
    reassign.reviewer.choices = [
        SelectChoice(r.email, f"{r.name} ({r.email})") for r in active_reviewers()
    ]
    info = information_values(ticket)
    # Every material the page's lists and trees link to (`#item-<key>`) has a card or a
    # row: those only the record's list names, and typed items not given, included.
    beyond = record_only(state)
    return render_template(
        "review/ticket.html",
        ticket=ticket,
        state=state,
        reviewer=reviewer,
        info=info,
        typed=typed_rows(state, info, beyond),
        record_only=beyond,
        letter_check=letter_check(ticket, state),
        # What accepted evidence still lacks, group by group (a choice stays a choice).
        approval_todo=still_to_accept(state, state.approval),
        record_todo=still_to_accept(
            state, state.record_check.approval if state.record_check else None
        ),
        record_ask=ops.record_materials_to_ask(state),
        can_act=ticket.status == st.IN_REVIEW
        and ops.claim_active(ticket)
        and (ticket.claimed_by_id == reviewer.id or reviewer.is_lead),
        claim_active=ops.claim_active(ticket),
        evidence_forms=evidence_forms,
        inline=content.shown_inline,
        findings=analysis_findings,  # api.md "Evidence analysis", in reviewers' words
        masked=_masked,
        files=files,
        # One look per file and render, so the strip and the viewer show the same picture.
        previews={e.id: ops.evidence_preview(e) for e in files},
        # This render is one visit: its pictures are one read per file (reads.py).
        visit=visit
        if ops.reads.visit_of(visit, reviewer, _visit_scope(ticket))
        else ops.reads.new_visit(reviewer, _visit_scope(ticket)),
        request_form=forms.get("request") or RequestMaterialsForm(formdata=None, materials=asked),
        # None unless it was sent and refused: the panel then shows what was sent, and why.
        record_form=forms.get(RECORD_REQUEST),
        decision_form=forms.get("decision") or DecisionForm(formdata=None),
        # recovery.md "Second approval" and a lead's decision on a disputed ticket.
        approvals=ops.approvals_json(ticket),
        can_second_approve=ops.can_give_second_approval(ticket, reviewer),
        second_form=forms.get("second") or SecondApprovalForm(formdata=None),
        can_redecide=reviewer.is_lead and ticket.status == st.DISPUTED,
        disputed_form=forms.get("disputed") or DisputedDecisionForm(formdata=None),
        reassign_form=reassign,
        action_form=ActionForm(formdata=None),
        events=events,
        history=ops.reads.history_rows(events),
        error=error,
        missing=missing or [],
    ), status


def _prefix(item: Evidence) -> str:
    return f"ev-{item.id}"


def _masked(item: Evidence) -> bool:
    """Whether reviewers see the file only as its masked copy (a readable card number)."""
    return item.purged_at is None and any(
        f["code"] == "card_number_visible" for f in analysis_findings(item, reviewer=True)
    )


# The page's parts that the workbench script swaps in after an action, marked in the
# templates by `<!--region:NAME-->...<!--/region:NAME-->` (names: [a-z0-9-]).
_REGION = re.compile(r"<!--region:([a-z0-9-]+)-->(.*?)<!--/region:\1-->", re.DOTALL)


def _regions(ticket: Ticket) -> dict[str, str]:
    """The review page's regions as they are now, by name; their pictures stay in the
    page's visit (the script sends its token as `X-Review-Visit`)."""
    html, _ = _render(ticket, visit=request.headers.get("X-Review-Visit"))
    return {name: part.strip() for name, part in _REGION.findall(html)}


def _form_errors(form: FlaskForm) -> dict[str, str]:
    """A form's errors by API field name (its prefix removed), one sentence each."""
    return {
        field.short_name: " ".join(field.errors)
        for field in form
        if field.errors and field.short_name != "csrf_token"
    }


def _invalid(ticket: Ticket, form_name: str, form: FlaskForm, message: str):
    """A form that did not validate: the page with its errors, or `400 invalid_request`."""
    if wants_json():
        error = {"code": "invalid_request", "message": message, "fields": _form_errors(form)}
        return jsonify(error=error), 400
    return _render(ticket, 400, error=message, forms={form_name: form})


def _refused(
    ticket: Ticket, exc: TriageError, form_name: str | None = None, form: FlaskForm | None = None
):
    """Show why an action was refused, on the page, with the API's status code."""
    db.session.rollback()
    db.session.refresh(ticket)
    if wants_json():
        return jsonify(error={"code": exc.code, "message": exc.message, **exc.extra}), exc.status
    fields = getattr(exc, "fields", {}) or {}
    if form is not None:
        for name, problem in fields.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = [as_sentence(problem)]  # "This is required …"
    missing = exc.missing if isinstance(exc, RequirementsNotMet) else None
    forms = {form_name: form} if form_name and form is not None else {}
    return _render(ticket, exc.status, error=exc.message, missing=missing, forms=forms)


def _done(ticket: Ticket, message: str, anchor: str | None = None):
    """Commit; then back to the page (a redirect), or the page's new regions as JSON."""
    db.session.commit()
    if wants_json():
        return jsonify(
            message=message, status=ticket.status, location=None, regions=_regions(ticket)
        )
    flash(message)
    return redirect(url_for(".ticket", reference=ticket.reference, _anchor=anchor))


def _take_next(message: str):
    """After a committed decision: claim the next ticket of the queue the reviewer last took
    one from (any type if none), as "Take next" does, and go there (or to that queue when
    nothing waits). A redirect, or JSON `location`."""
    db.session.commit()
    claimed, location = _claim_next(session.get(WORKING_QUEUE))
    message += f" {claimed or 'Nothing else is waiting in the queue just now.'}"
    flash(message)  # shown where the reviewer lands, with or without the script
    if wants_json():
        return jsonify(message=message, status=None, location=location, regions={})
    return redirect(location)


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
        return _invalid(ticket, "reassign", form, "Choose who gets the ticket.")
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
        return _invalid(ticket, name, form, "The review was not saved: see the file's form.")
    try:
        ops.review_evidence(
            item, signed_in_reviewer(), form.decision.data, form.reason.data or None, form.note.data
        )
    except TriageError as exc:
        return _refused(ticket, exc, name, form)
    word = "accepted" if item.decision == "accepted" else "rejected"
    return _done(ticket, f"“{item.filename}” {word}.", f"evidence-{item.id}")


def _request_form_name() -> str:
    """Which of the page's two request forms was sent: a refusal is shown beside that one,
    with what was typed, and the other is left as it was."""
    # Read from what the form itself reads: Flask-WTF takes a JSON body when one is sent.
    sent = request.get_json(silent=True) if request.is_json else request.form
    named = sent.get("form") if isinstance(sent, dict) else None  # MultiDict is a dict
    return RECORD_REQUEST if named == RECORD_REQUEST else "request"


@bp.post("/tickets/<reference>/request-materials")
@reviewer_required
def request_materials(reference: str):
    ticket = ticket_by_reference(reference)
    form = RequestMaterialsForm()
    name = _request_form_name()
    if not form.validate_on_submit():
        return _invalid(ticket, name, form, "The request was not sent: see the form.")
    try:
        ops.request_materials(ticket, signed_in_reviewer(), form.materials.data, form.message.data)
    except TriageError as exc:
        return _refused(ticket, exc, name, form)
    return _done(ticket, "The customer was asked for more; the ticket waits for their answer.")


@bp.post("/tickets/<reference>/decision")
@reviewer_required
def decision(reference: str):
    ticket = ticket_by_reference(reference)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _invalid(ticket, "decision", form, "The decision was not saved: see the form.")
    try:
        ops.decide(ticket, signed_in_reviewer(), form.decision.data, form.note.data)
    except TriageError as exc:
        return _refused(ticket, exc, "decision", form)
    if ticket.status == st.AWAITING_SECOND_APPROVAL:
        message = f"Ticket {ticket.reference} approved once: it waits for a lead's second approval."
    else:
        message = f"Ticket {ticket.reference} {ticket.status}."
    if form.then.data == "next":  # "Save and take next"
        return _take_next(message)
    return _done(ticket, message)


@bp.post("/tickets/<reference>/second-approval")
@reviewer_required
def second_approval(reference: str):
    """A lead's second approval or refusal (recovery.md); others get the page with 403."""
    ticket = ticket_by_reference(reference)
    form = SecondApprovalForm()
    if not form.validate_on_submit():
        return _invalid(ticket, "second", form, "The second approval was not saved: see the form.")
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
        return _invalid(ticket, "disputed", form, "The decision was not saved: see the form.")
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


def _reading(item: Evidence, reviewer: Reviewer, token: str | None):
    """Reads of `item` inside this block belong to the page's visit `token` (reads.py)."""
    return ops.reads.reading_in_visit(token, reviewer, _visit_scope(item.ticket))


def _visit_scope(ticket: Ticket) -> str:
    """What a visit token is bound to besides the reviewer (reads.py `new_visit`): this
    ticket, and this browser's signed-in session, through a random key kept in the session
    (a new sign-in starts a new session, so tokens from an earlier one are no visit)."""
    key = session.get("review_visit_key")
    if not isinstance(key, str):
        key = session["review_visit_key"] = secrets.token_urlsafe(12)
    return f"{ticket.id}:{key}"


@bp.get("/evidence/<evidence_id>")
@reviewer_required
def evidence_content(evidence_id: str) -> Response:
    item = ops.evidence_by_id(evidence_id)
    reviewer = signed_in_reviewer()
    download = request.args.get("download") == "1"
    # A download is a copy that leaves the page: written to the history every time.
    with _reading(item, reviewer, None if download else request.args.get("visit")):
        data = ops.read_evidence(item, reviewer, "page")
    db.session.commit()
    return content.evidence_response(item, data, download=download)


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
    """The viewer's part of one file, for the page's script to poll until it is ready.

    `?visit=` is the page's visit token: the pictures keep it, if it is the reviewer's.
    """
    item = ops.evidence_by_id(evidence_id)
    view = ops.evidence_preview(item)
    token = request.args.get("visit")
    html = render_template(
        "review/_workbench_preview.html",
        e=item,
        view=view,
        inline=content.shown_inline,
        masked=_masked,
        visit=token
        if ops.reads.visit_of(token, signed_in_reviewer(), _visit_scope(item.ticket))
        else None,
    )
    return html, 200, {"X-Preview-Status": view.status, "Cache-Control": "no-store"}


@bp.get("/evidence/<evidence_id>/masked.png")
@reviewer_required
def evidence_masked(evidence_id: str) -> Response:
    """A card photo with the card number's middle digits hidden (api.md "Evidence
    analysis"): shown instead of the original; logged as a read."""
    item = ops.evidence_by_id(evidence_id)
    reviewer = signed_in_reviewer()
    with _reading(item, reviewer, request.args.get("visit")):
        picture = read_masked(item, reviewer)
    db.session.commit()
    return content.page_image_response(picture, "image/png", item, 1)


@bp.get("/evidence/<evidence_id>/pages/<int:page>.png")
@reviewer_required
def evidence_page(evidence_id: str, page: int) -> Response:
    item = ops.evidence_by_id(evidence_id)
    reviewer = signed_in_reviewer()
    with _reading(item, reviewer, request.args.get("visit")):
        picture = ops.evidence_page_image(item, reviewer, page)
    db.session.commit()
    if picture is None:
        return content.preview_pending_response()
    media_type = ops.evidence_preview(item).media_type or "image/png"
    return content.page_image_response(picture, media_type, item, page)
