"""JSON API: requirements and the customer's own ticket (api.md)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from triage.api import (
    bearer_token,
    form_text,
    json_body,
    refuse_undocumented_query,
    reviewer_for_token,
)
from triage.errors import Forbidden, InvalidRequest, NotFound, Unauthorized
from triage.evidence.names import uploaded_name
from triage.evidence.operations import add_evidence
from triage.extensions import db, limiter
from triage.requirements import FactsError, parse_facts, resolve
from triage.requirements.facts import CHOICES, FLAGS
from triage.tickets import operations as ops
from triage.tickets.models import Ticket
from triage.tickets.operations import RESTRICTION_REASONS
from triage.tickets.serialize import evidence_json, requirements_json, ticket_json

bp = Blueprint("tickets_api", __name__, url_prefix="/api/v1")
bp.before_request(refuse_undocumented_query)  # the OpenAPI document lists each

# Every customer call is an access-code attempt: count the ones that open nothing
# (401 wrong code, 404 another ticket's code) per address, across all these endpoints.
code_attempts = limiter.shared_limit(
    "30 per minute; 300 per hour",
    scope="customer_access_code",
    deduct_when=lambda response: response.status_code in (401, 404),
)


@bp.teardown_request
def _discard_uncommitted(exc: BaseException | None) -> None:
    # Whatever a failed request added is rolled back now, which also deletes an evidence
    # object whose row never committed (see triage.evidence.operations).
    db.session.rollback()


def _customer_ticket(reference: str, *, reviewer_may_read: bool = False) -> Ticket:
    """The ticket the bearer's access code opens; another ticket's code answers 404."""
    token = bearer_token()
    try:
        ticket = ops.ticket_for_code(token)
    except Unauthorized:
        if reviewer_for_token(token) is None:
            raise
        if not reviewer_may_read:
            raise Forbidden("Only the customer who filed the ticket may change it.") from None
        return ops.ticket_by_reference(reference)
    if ticket.reference != reference.upper():
        raise NotFound()
    return ticket


@bp.get("/requirements")
def requirements() -> Response:
    try:
        facts = parse_facts(request.args)
    except FactsError as exc:
        raise InvalidRequest("Some facts are missing or not valid.", exc.fields) from exc
    return jsonify(requirements_json(resolve(facts), facts.type))


def _json_facts(body: dict) -> None:
    """JSON answers are JSON: a choice is one of its strings, a yes/no a boolean (the query
    string and the page's form send words, which `parse_facts` reads; JSON need not)."""
    fields: dict[str, str] = {}
    for name, allowed in CHOICES.items():
        if name in body and body[name] not in allowed:
            fields[name] = f"must be one of: {', '.join(allowed)}"
    for name in FLAGS:
        if name in body and not isinstance(body[name], bool):
            fields[name] = "must be true or false"
    reason = body.get("restriction_reason")
    if reason is not None and (not isinstance(reason, str) or reason not in RESTRICTION_REASONS):
        fields["restriction_reason"] = f"must be one of: {', '.join(RESTRICTION_REASONS)}"
    if fields:
        raise InvalidRequest("Some answers are missing or not valid.", fields)


@bp.post("/tickets")
@limiter.limit("20 per hour; 5 per minute")
def create() -> tuple[Response, int]:
    body = json_body()
    _json_facts(body)
    new = ops.create_ticket(body)
    db.session.commit()
    body = ticket_json(new.ticket)
    body["access_token"] = new.access_code
    return jsonify(body), 201


@bp.get("/tickets/<reference>")
@code_attempts
def show(reference: str) -> Response:
    return jsonify(ticket_json(_customer_ticket(reference, reviewer_may_read=True)))


@bp.post("/tickets/<reference>/evidence")
@limiter.limit("60 per hour")
@code_attempts
def upload(reference: str) -> tuple[Response, int]:
    ticket = _customer_ticket(reference)
    material = form_text("material", required=False)  # checked text, at most 40 characters
    file = request.files.get("file")
    fields = {}
    if not material:
        fields["material"] = "is required"
    if file is None:
        fields["file"] = "is required: send the file as multipart/form-data"
    if fields:
        raise InvalidRequest("The upload needs a material key and a file.", fields)
    item = add_evidence(ticket, material, uploaded_name(file), file.stream)
    body = evidence_json(item)  # before the commit expires the row and a re-read
    db.session.commit()
    return jsonify(body), 201


@bp.put("/tickets/<reference>/information")
@code_attempts
def information(reference: str) -> Response:
    ticket = _customer_ticket(reference)
    ops.update_information(ticket, json_body())
    db.session.commit()
    return jsonify(ticket_json(ticket))


@bp.post("/tickets/<reference>/submit")
@code_attempts
def submit(reference: str) -> Response:
    ticket = _customer_ticket(reference)
    explanation = json_body(optional=True).get("explanation")
    if explanation is not None and not isinstance(explanation, str):
        raise InvalidRequest("The explanation must be text.", {"explanation": "must be text"})
    ops.submit(ticket, explanation)
    db.session.commit()
    return jsonify(ticket_json(ticket))


@bp.post("/tickets/<reference>/withdraw")
@code_attempts
def withdraw(reference: str) -> Response:
    ticket = _customer_ticket(reference)
    ops.withdraw(ticket)
    db.session.commit()
    current_app.logger.info("ticket %s withdrawn", ticket.reference)
    return jsonify(ticket_json(ticket))
