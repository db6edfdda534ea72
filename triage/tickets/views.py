"""Customer pages: start, facts and checklist, the ticket page, coming back later."""

from __future__ import annotations

import json
import time
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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm

from forms.tickets import (
    FIELD_FOR_ERROR,
    InformationForm,
    NewTicketForm,
    ResumeForm,
    SubmitForm,
    UploadForm,
    WithdrawForm,
    information_from_form,
    sentence,
)
from triage import text
from triage.errorpages import wants_json
from triage.errors import InvalidRequest, RequirementsNotMet, TriageError, Unauthorized
from triage.evidence.analysis import findings_json
from triage.evidence.checks import FileRefused
from triage.evidence.names import uploaded_name
from triage.evidence.operations import add_evidence
from triage.evidence.removal import removable, remove_evidence
from triage.extensions import db, limiter
from triage.i18n import current_language, error_message, short_label, translate
from triage.requirements import MATERIALS, FactsError, Resolution, parse_facts, resolve
from triage.requirements.nodes import needs
from triage.requirements.rules import NO_RULE_MESSAGE
from triage.security import forget_ticket, grant_ticket, held_ticket, new_ticket_code
from triage.tickets import operations as ops
from triage.tickets import page as customer_page
from triage.tickets import status as st
from triage.tickets.checklist import facts_of, information_values, ticket_state
from triage.tickets.information import ADDRESS_LABELS, ADDRESS_PARTS
from triage.tickets.models import Ticket
from triage.tickets.schemas import FACT_RULES
from triage.tickets.serialize import evidence_json

bp = Blueprint("tickets", __name__)

TYPES = {
    "account_change": _l("I can no longer use the phone number or email of my account"),
    "unfreeze": _l("My account is restricted or frozen"),
}
TYPE_DETAILS = {
    "account_change": _l(
        "We change the mobile number and/or email address bound to the "
        "account, once we are sure the account is yours."
    ),
    "unfreeze": _l(
        "We restore an account whose services were restricted, suspended or frozen, "
        "once we are sure the account is yours."
    ),
}
# Hints that follow the customer's own answers (see `customer_page.hint_key`).
HINT_VARIANTS = {
    "card_holder_certificate:no_real_name": _l(
        "An identity document of the card holder: a passport, both sides of a resident "
        "identity card, or a driver license."
    ),
}
# Stops after a refusal that would refuse every other file of the request too.
_STOP_UPLOADING = ("unknown_material", "invalid_state", "storage_unavailable")
# A page upload that stored some files and refused others answers with a redirect (a reload
# must not send the stored ones again); the refusals ride to the ticket page in the signed
# session cookie, of which a browser keeps 4 KB at most, beside the grants of every ticket
# the browser holds. So they are capped by their size as the session writes them (JSON, six
# bytes for each non-ASCII character, twelve outside the BMP), what does not fit is counted
# in one sentence, and they are dropped unread after a while.
_UPLOAD_ERRORS = "upload_errors"
_CARRIED_BYTES = 1024
_CARRIED_SECONDS = 15 * 60


@bp.teardown_request
def _discard_uncommitted(exc: BaseException | None) -> None:
    # Nothing half-made survives a failed request; also deletes an evidence object whose
    # row never committed (see triage.evidence.operations).
    db.session.rollback()


@bp.get("/")
def start():
    return render_template("tickets/start.html", types=TYPES, details=TYPE_DETAILS)


def _previewing() -> bool:
    return "preview" in request.form


def _created(response) -> bool:
    # Only tickets made count: a form sent back for a correction costs the customer nothing.
    return response.status_code < 400


@bp.route("/new/<ticket_type>", methods=["GET", "POST"])
@limiter.limit(
    "20 per hour; 5 per minute",
    methods=["POST"],
    exempt_when=_previewing,
    deduct_when=_created,
)
def new(ticket_type: str):
    if ticket_type not in TYPES:
        abort(404)
    form = NewTicketForm()
    if request.method == "GET":
        return _render_new(form, ticket_type, None)

    payload = form.payload(ticket_type)
    try:
        resolution: Resolution | None = resolve(parse_facts(payload))
    except FactsError as exc:
        resolution = None
        facts_errors = exc.fields
    else:
        facts_errors = {}
    if _previewing():
        # Without JavaScript, "Show what I need" lands here: the list, or what to answer first.
        _attach_errors(form, facts_errors)
        return _render_new(form, ticket_type, resolution)

    form_ok = form.validate()
    try:
        if form_ok:
            new_ticket = ops.create_ticket(payload, language=current_language())
        else:
            ops.validate_new_ticket(payload)  # every remaining problem, in one round
    except InvalidRequest as exc:
        _attach_errors(form, exc.fields)
    else:
        if form_ok:
            # The code is shown once by `created`: sealed in this browser's grant on the
            # server, never in the cookie, a URL, a log or a Referer.
            grant_ticket(new_ticket.ticket, show_code=new_ticket.access_code)
            reference = new_ticket.ticket.reference  # after the commit, a SELECT
            db.session.commit()
            return redirect(url_for(".created", reference=reference))
    return _render_new(form, ticket_type, resolution, 400)


def _render_new(
    form: NewTicketForm, ticket_type: str, resolution: Resolution | None, status: int = 200
):
    return render_template(
        "tickets/new.html",
        form=form,
        ticket_type=ticket_type,
        title=TYPES[ticket_type],
        details=TYPE_DETAILS[ticket_type],
        resolution=resolution,
        asks_typed=_asks_typed(resolution),
        # The live preview's script names items in the page's language, not the API's.
        material_labels={key: translate(m.label) for key, m in MATERIALS.items()},
        manual_review_message=translate(NO_RULE_MESSAGE),
        # GET /requirements' own rules (its JSON Schema `allOf`): the live preview asks only
        # once the answers they require are there, instead of collecting 400s.
        fact_rules=FACT_RULES,
    ), status


def _asks_typed(resolution: Resolution | None) -> bool:
    """Whether the list has an item typed into a form (the page explains those)."""
    if resolution is None or resolution.requirement is None:
        return False
    return any(MATERIALS[n.material].kind == "information" for n in needs(resolution.requirement))


def _attach_errors(form: FlaskForm, fields: dict[str, str]) -> None:
    for name, message in fields.items():
        field = getattr(form, FIELD_FOR_ERROR.get(name, name), None)
        if field is None:
            form.form_errors.append(sentence(message))
        elif not field.errors:  # the form's own message is already the friendlier one
            choice = field.type in ("RadioField", "SelectField")
            field.errors = [
                _("Please choose one.")
                if choice and message == "is required"
                else sentence(message)
            ]


@bp.get("/tickets/<reference>/created")
def created(reference: str):
    ticket = _held_ticket(reference)
    code = new_ticket_code(ticket.reference)
    if code is None:  # shown once: a reload goes to the ticket
        return redirect(url_for(".show", reference=ticket.reference))
    db.session.commit()  # the sealed copy is gone before the page leaves
    # The code rides in the fragment, which browsers never send to a server.
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
        except Unauthorized:
            ticket = None
        if ticket is None or ticket.reference != form.reference.data.strip().upper():
            form.code.errors = [
                _(
                    "This reference and access code do not match a ticket. Check both and try "
                    "again: the code is the 20 letters and digits shown when you filed the "
                    "ticket."
                )
            ]
            status = 400
        else:
            grant_ticket(ticket)
            db.session.commit()
            return redirect(url_for(".show", reference=ticket.reference))
    elif request.method == "POST":
        status = 400
    return render_template("tickets/resume.html", form=form), status


@bp.post("/tickets/<reference>/forget")
def forget(reference: str):
    forget_ticket(reference.upper())
    db.session.commit()  # the grant is gone on the server: a copied cookie opens nothing
    flash(
        _(
            "This device no longer has access to the ticket. Use your reference and access "
            "code to come back."
        )
    )
    return redirect(url_for(".start"))


def _held_ticket(reference: str) -> Ticket:
    ticket = held_ticket(reference.upper())
    if ticket is None:
        abort(404)
    return ticket


@bp.get("/tickets/<reference>")
def show(reference: str):
    reference = reference.upper()
    ticket = held_ticket(reference)
    if ticket is None:
        return redirect(url_for(".resume", reference=reference))
    return _render_ticket(ticket, upload_errors=_carried_upload_errors(ticket.reference))


def _carry_upload_errors(reference: str, material: str, errors: list[str]) -> None:
    kept: list[str] = []
    for error in errors:
        room = _CARRIED_BYTES - _json_size(kept)
        if _json_size([error]) > room:
            if not kept:  # one long refusal (a long name in a script): its start
                kept.append(_cut_to(error, room))
            break
        kept.append(error)
    if len(errors) > len(kept):
        more = len(errors) - len(kept)
        kept.append(
            ngettext(
                "%(num)d more file was not accepted.", "%(num)d more files were not accepted.", more
            )
        )
    session[_UPLOAD_ERRORS] = {
        "reference": reference,
        "material": material,
        "errors": kept,
        "at": int(time.time()),
    }


def _json_size(values: list[str]) -> int:
    return len(json.dumps(values))  # ensure_ascii, as the session's serializer writes it


def _cut_to(message: str, size: int) -> str:
    cut = message
    while len(cut) > 1 and _json_size([cut + "…"]) > size:
        cut = cut[: len(cut) * 3 // 4]
    return cut if cut == message else cut + "…"


def _carried_upload_errors(reference: str) -> dict[str, list[str]]:
    """The refusals a redirected upload left for this ticket's page, shown once; another
    ticket's page leaves them for their own."""
    carried = session.get(_UPLOAD_ERRORS)
    if carried is None:
        return {}
    fresh = isinstance(carried, dict) and time.time() - carried.get("at", 0) < _CARRIED_SECONDS
    if fresh and carried.get("reference") != reference:
        return {}
    session.pop(_UPLOAD_ERRORS)
    errors = carried.get("errors") if fresh else None
    if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
        return {}
    return {str(carried.get("material")): errors}


def _render_ticket(ticket: Ticket, status: int = 200, **context: Any):
    state = ticket_state(ticket)
    facts = facts_of(ticket)
    context.setdefault("info_values", _info_form_values(information_values(ticket)))
    hints = {}
    for item in state.items:
        variant = HINT_VARIANTS.get(customer_page.hint_key(item.key, facts))
        hints[item.key] = str(variant) if variant else translate(item.hint)
    return render_template(
        "tickets/show.html",
        ticket=ticket,
        state=state,
        page=customer_page.build(state),
        hints=hints,
        removable=removable,
        words=st.CUSTOMER_WORDS,
        editable=ticket.status in st.EDITABLE,
        withdrawable=ticket.status in st.WITHDRAWABLE,
        with_reviewers=ticket.status in st.WITH_REVIEWERS,
        upload_form=UploadForm(),
        submit_form=context.pop("submit_form", None) or SubmitForm(),
        withdraw_form=WithdrawForm(),
        info_form=InformationForm(),
        address_parts=ADDRESS_PARTS,
        address_labels=ADDRESS_LABELS,
        restriction_reasons=ops.RESTRICTION_REASONS,
        upload_errors=context.pop("upload_errors", {}),
        info_errors=context.pop("info_errors", {}),
        evidence_by_material=_group(ticket),
        findings=findings_json,  # api.md "Evidence analysis": advice in the page's language
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
    reference = ticket.reference  # for the answer: after a commit, reading it is a SELECT
    form = UploadForm()
    form.validate()  # CSRF was checked before the view; the fields are judged below
    material = (form.material.data or "").strip()
    files = [f for f in form.files.data or [] if f.filename or f.content_length]
    errors: list[str] = []
    code, status = "", 201
    as_json = wants_json()
    added = 0
    shown: list[dict[str, Any]] = []  # for JSON: each file as api.md shows it, before its commit
    if form.material.errors:
        errors, code, status = list(form.material.errors), "invalid_request", 400
    elif not material:
        errors, code, status = [_("Choose which item the files are for.")], "invalid_request", 400
    elif not files:
        errors, code, status = [_("Choose a file to upload first.")], "invalid_request", 400
    for file in files if not errors else []:
        # Each file stands alone: one refused photo does not lose the others.
        try:
            item = add_evidence(ticket, material, uploaded_name(file), file.stream)
            if as_json:
                shown.append(evidence_json(item))
            db.session.commit()
            added += 1
        except (TriageError, FileRefused) as exc:
            db.session.rollback()
            errors.append(error_message(exc.code, exc.message))
            code, status = exc.code, exc.status
            if code in _STOP_UPLOADING:
                break
    if as_json:
        body: dict[str, Any] = {"evidence": shown}
        if errors:
            body["error"] = {
                "code": code,
                "message": " ".join(errors),
                "material": text.excerpt(material),
            }
        return jsonify(body), status
    if added:
        flash(
            ngettext(
                "Added %(num)d file to “%(item)s”.",
                "Added %(num)d files to “%(item)s”.",
                added,
                item=short_label(MATERIALS[material].label),
            )
        )
    if errors and added:
        _carry_upload_errors(reference, material, errors)
        # 303: the browser follows with a GET, and a reload of that page stores nothing.
        return redirect(url_for(".show", reference=reference, _anchor=f"item-{material}"), 303)
    if errors:
        return _render_ticket(ticket, status, upload_errors={material: errors})
    return redirect(url_for(".show", reference=reference, _anchor=f"item-{material}"))


@bp.post("/tickets/<reference>/information")
def information(reference: str):
    ticket = _held_ticket(reference)
    keys = ops.information_keys(ticket)
    values = information_from_form(request.form.to_dict(), keys)
    try:
        ops.update_information(ticket, values)
    except TriageError as exc:
        db.session.rollback()
        # What was typed comes back, cut to each field's limit: never a long echo.
        typed = {k: v[: text.limit(k)] for k, v in request.form.items() if k != "csrf_token"}
        fields = getattr(exc, "fields", None) or {"_form": error_message(exc.code, exc.message)}
        errors = {name: sentence(message) for name, message in fields.items()}
        return _render_ticket(ticket, exc.status, info_values=typed, info_errors=errors)
    db.session.commit()
    flash(_("Your information was saved."))
    return redirect(url_for(".show", reference=ticket.reference, _anchor="information"))


@bp.post("/tickets/<reference>/submit")
def submit(reference: str):
    ticket = _held_ticket(reference)
    form = SubmitForm()
    if not form.validate():
        return _render_ticket(ticket, 400, submit_form=form)
    try:
        ops.submit(ticket, form.explanation.data)
    except RequirementsNotMet as exc:
        db.session.rollback()
        return _render_ticket(ticket, 409, submit_form=form, submit_missing=exc.missing)
    except TriageError as exc:
        db.session.rollback()
        flash(error_message(exc.code, exc.message), "error")
        return redirect(url_for(".show", reference=ticket.reference))
    db.session.commit()
    flash(
        _(
            "Your ticket was sent. We will check your documents; come back here with your "
            "reference and access code to see where it stands."
        )
    )
    return redirect(url_for(".show", reference=ticket.reference))


@bp.post("/tickets/<reference>/withdraw")
def withdraw(reference: str):
    ticket = _held_ticket(reference)
    try:
        ops.withdraw(ticket)
    except TriageError as exc:
        db.session.rollback()
        flash(error_message(exc.code, exc.message), "error")
    else:
        db.session.commit()
        flash(_("Your ticket was withdrawn. Nothing more will happen with it."))
    return redirect(url_for(".show", reference=ticket.reference))


@bp.post("/tickets/<reference>/evidence/<evidence_id>/remove")
@limiter.limit("60 per hour")
def remove(reference: str, evidence_id: str):
    """Remove a file uploaded by mistake (a form per file, so it works without JavaScript)."""
    ticket = _held_ticket(reference)  # CSRFProtect has checked the form's token
    try:
        item = remove_evidence(ticket, evidence_id[:40])
    except TriageError as exc:
        db.session.rollback()
        if wants_json():
            raise  # the error envelope, in the customer's language (triage.errorpages)
        flash(error_message(exc.code, exc.message), "error")
        return redirect(url_for(".show", reference=ticket.reference, _anchor="documents"))
    db.session.commit()  # the stored file is deleted after this commit
    if wants_json():
        return jsonify({"removed": item.id}), 200
    flash(_("“%(name)s” was removed.", name=item.filename))
    return redirect(url_for(".show", reference=ticket.reference, _anchor=f"item-{item.material}"))


@bp.app_template_filter("node_json")
def node_json_filter(node):
    from triage.requirements import node_json

    return node_json(node)


@bp.app_context_processor
def vocabulary():
    from triage.evidence.checks import ACCEPT_ATTRIBUTE
    from triage.evidence.reasons import REASONS

    return {"reason_words": REASONS, "materials": MATERIALS, "accept": ACCEPT_ATTRIBUTE}
