"""Customer pages: start, facts and checklist, the ticket page, coming back later."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm

from forms.tickets import (
    FIELD_FOR_ERROR,
    NewTicketForm,
    ResumeForm,
    SubmitForm,
    UploadForm,
    WithdrawForm,
    information_from_form,
)
from triage.errorpages import wants_json
from triage.errors import InvalidRequest, RequirementsNotMet, TriageError, Unauthorized
from triage.evidence.checks import FileRefused
from triage.evidence.operations import add_evidence
from triage.extensions import db, limiter
from triage.requirements import FactsError, MATERIALS, parse_facts, resolve
from triage.security import forget_ticket, grant_ticket, holds_ticket
from triage.tickets import operations as ops
from triage.tickets import status as st
from triage.tickets.checklist import information_values, ticket_state
from triage.tickets.information import ADDRESS_LABELS, ADDRESS_PARTS
from triage.tickets.models import Ticket
from triage.tickets.serialize import evidence_json

bp = Blueprint("tickets", __name__)

TYPES = {
    "account_change": "Change the phone number or email of my account",
    "unfreeze": "Restore my restricted or frozen account",
}


@bp.get("/")
def start():
    return render_template("tickets/start.html", types=TYPES)


@bp.route("/new/<ticket_type>", methods=["GET", "POST"])
@limiter.limit("20 per hour; 5 per minute", methods=["POST"],
               exempt_when=lambda: "preview" in request.form)
def new(ticket_type: str):
    if ticket_type not in TYPES:
        abort(404)
    form = NewTicketForm()
    resolution = None
    facts_errors: dict[str, str] = {}
    if request.method == "POST":
        payload = form.payload(ticket_type)
        try:
            resolution = resolve(parse_facts(payload))
        except FactsError as exc:
            facts_errors = exc.fields
        if "preview" not in request.form and form.validate_on_submit():
            try:
                new_ticket = ops.create_ticket(payload)
            except InvalidRequest as exc:
                _attach_errors(form, exc.fields)
            else:
                db.session.commit()
                grant_ticket(new_ticket.ticket.reference)
                session["new_code"] = new_ticket.access_code
                return redirect(url_for(".created", reference=new_ticket.ticket.reference))
        elif "preview" not in request.form:
            _attach_errors(form, facts_errors)
    status = 200 if request.method == "GET" or "preview" in request.form or not form.errors else 400
    return render_template("tickets/new.html", form=form, ticket_type=ticket_type,
                           title=TYPES[ticket_type], resolution=resolution), status


def _attach_errors(form: FlaskForm, fields: dict[str, str]) -> None:
    for name, message in fields.items():
        field = getattr(form, FIELD_FOR_ERROR.get(name, name), None)
        if field is None:
            form.form_errors.append(f"{name}: {message}")
        elif not field.errors:  # the form's own message is already the friendlier one
            words = "Please choose one." if message == "is required" else _sentence(message)
            field.errors = [words]


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


@bp.get("/tickets/<reference>/created")
def created(reference: str):
    ticket = _held_ticket(reference)
    code = session.pop("new_code", None)
    if code is None:  # shown once: a reload goes to the ticket
        return redirect(url_for(".show", reference=ticket.reference))
    link = url_for(".resume", _external=True) + f"#{ticket.reference}:{code}"
    return render_template("tickets/created.html", ticket=ticket, code=code, link=link)


@bp.route("/resume", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def resume():
    form = ResumeForm(reference=request.args.get("reference", ""))
    status = 200
    if form.validate_on_submit():
        try:
            ticket = ops.ticket_for_code(form.code.data)
            if ticket.reference != form.reference.data.strip().upper():
                raise Unauthorized("mismatch")
        except Unauthorized:
            form.code.errors = [
                "This reference and access code do not match a ticket. Check both and try "
                "again; the code is the 20 letters and digits shown when you filed the ticket."
            ]
            status = 400
        else:
            grant_ticket(ticket.reference)
            return redirect(url_for(".show", reference=ticket.reference))
    elif request.method == "POST":
        status = 400
    return render_template("tickets/resume.html", form=form), status


@bp.post("/tickets/<reference>/forget")
def forget(reference: str):
    WithdrawForm().validate_on_submit() or abort(400)
    forget_ticket(reference)
    flash("This device no longer has access to the ticket. Use your access code to come back.")
    return redirect(url_for(".start"))


def _held_ticket(reference: str) -> Ticket:
    reference = reference.upper()
    if not holds_ticket(reference):
        abort(404)
    return ops.ticket_by_reference(reference)


@bp.get("/tickets/<reference>")
def show(reference: str):
    if not holds_ticket(reference.upper()):
        return redirect(url_for(".resume", reference=reference.upper()))
    return _render_ticket(_held_ticket(reference))


def _render_ticket(ticket: Ticket, status: int = 200, **context: Any):
    state = ticket_state(ticket)
    info = information_values(ticket)
    context.setdefault("info_values", _info_form_values(info))
    return render_template(
        "tickets/show.html",
        ticket=ticket,
        state=state,
        words=st.CUSTOMER_WORDS,
        editable=ticket.status in st.EDITABLE,
        upload_form=UploadForm(),
        submit_form=context.pop("submit_form", None) or SubmitForm(),
        withdraw_form=WithdrawForm(),
        info_form=FlaskForm(),
        address_parts=ADDRESS_PARTS,
        address_labels=ADDRESS_LABELS,
        upload_errors=context.pop("upload_errors", {}),
        info_errors=context.pop("info_errors", {}),
        evidence_by_material=_group(ticket),
        **context,
    ), status


def _group(ticket: Ticket) -> dict[str, list]:
    out: dict[str, list] = {}
    for item in ticket.evidence:
        out.setdefault(item.material, []).append(item)
    return out


def _info_form_values(info: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in info.items():
        if key == "contact_address" and isinstance(value, dict):
            values |= {f"contact_address.{p}": value.get(p, "") for p in ADDRESS_PARTS}
        else:
            values[key] = str(value)
    return values


@bp.post("/tickets/<reference>/evidence")
@limiter.limit("60 per hour")
def upload(reference: str):
    ticket = _held_ticket(reference)
    form = UploadForm()
    material = request.form.get("material", "")
    files = [f for f in request.files.getlist("files") if f.filename or f.content_length]
    error: TriageError | FileRefused | None = None
    if not form.validate_on_submit():
        error = InvalidRequest("Choose which item the file is for.")
    elif not files:
        error = InvalidRequest("Choose a file to upload first.")
    added = []
    for file in files if error is None else []:
        try:
            added.append(add_evidence(ticket, material, file.filename or "", file.stream))
            db.session.commit()
        except (TriageError, FileRefused) as exc:
            db.session.rollback()
            error = exc
            break
    if wants_json():
        if error is not None:
            return jsonify({"error": {"code": error.code, "message": error.message,
                                      "material": material}}), error.status
        return jsonify({"evidence": [evidence_json(e) for e in added]}), 201
    if error is not None:
        db.session.refresh(ticket)
        return _render_ticket(ticket, error.status, upload_errors={material: error.message})
    flash(f"Added {len(added)} file{'s' if len(added) != 1 else ''} to "
          f"“{MATERIALS[material].label}”.")
    return redirect(url_for(".show", reference=ticket.reference, _anchor=f"item-{material}"))


@bp.post("/tickets/<reference>/information")
def information(reference: str):
    ticket = _held_ticket(reference)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    keys = [i.key for i in ticket_state(ticket).items if i.kind == "information"]
    values = information_from_form(request.form.to_dict(), keys)
    try:
        ops.update_information(ticket, values)
    except (InvalidRequest, TriageError) as exc:
        db.session.rollback()
        db.session.refresh(ticket)
        typed = {k: v for k, v in request.form.items() if k != "csrf_token"}
        errors = getattr(exc, "fields", {}) or {"_form": exc.message}
        return _render_ticket(ticket, exc.status, info_values=typed, info_errors=errors)
    db.session.commit()
    flash("Your information was saved.")
    return redirect(url_for(".show", reference=ticket.reference, _anchor="information"))


@bp.post("/tickets/<reference>/submit")
def submit(reference: str):
    ticket = _held_ticket(reference)
    form = SubmitForm()
    if not form.validate_on_submit():
        return _render_ticket(ticket, 400, submit_form=form)
    try:
        ops.submit(ticket, form.explanation.data)
    except RequirementsNotMet as exc:
        db.session.rollback()
        db.session.refresh(ticket)
        return _render_ticket(ticket, 409, submit_form=form, submit_missing=exc.missing)
    except TriageError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".show", reference=ticket.reference))
    db.session.commit()
    flash("Your ticket was submitted. A reviewer will look at it; come back here to see "
          "where it stands.")
    return redirect(url_for(".show", reference=ticket.reference))


@bp.post("/tickets/<reference>/withdraw")
def withdraw(reference: str):
    ticket = _held_ticket(reference)
    if not WithdrawForm().validate_on_submit():
        abort(400)
    try:
        ops.withdraw(ticket)
    except TriageError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("Your ticket was withdrawn. Nothing more will happen with it.")
    return redirect(url_for(".show", reference=ticket.reference))


@bp.app_template_filter("node_json")
def node_json_filter(node):
    from triage.requirements import node_json

    return node_json(node)


@bp.app_context_processor
def vocabulary():
    from triage.evidence.checks import ACCEPT_ATTRIBUTE
    from triage.evidence.reasons import REASONS

    return {"reason_words": REASONS, "materials": MATERIALS, "accept": ACCEPT_ATTRIBUTE}
