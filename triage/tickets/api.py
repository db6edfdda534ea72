"""JSON API: requirements and the customer's own ticket (api.md).

Each view's request model (triage/tickets/schemas.py) is validated by `api.validate` before
the view runs, and the same models make the OpenAPI document (triage/api/openapi.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify

from triage.api import bearer_token, refuse_undocumented_query, reviewer_for_token
from triage.api.openapi import (
    CUSTOMER,
    CUSTOMER_OR_REVIEWER,
    EVIDENCE_ID,
    PUBLIC,
    REFERENCE,
    api,
    responses,
)
from triage.api.schemas import ERROR_MODELS, UNKNOWN_MATERIAL
from triage.errors import Forbidden, InvalidRequest, NotFound, Unauthorized
from triage.evidence.names import uploaded_name
from triage.evidence.operations import add_evidence
from triage.evidence.removal import remove_evidence
from triage.extensions import db, limiter
from triage.i18n import current_language
from triage.requirements import FactsError, parse_facts, resolve
from triage.review.schemas import ReviewTicket
from triage.review.serialize import review_ticket_json
from triage.tickets import operations as ops
from triage.tickets.models import Ticket
from triage.tickets.schemas import (
    Evidence,
    EvidenceUpload,
    InformationUpdate,
    Requirements,
    RequirementsQuery,
    SubmitRequest,
    TicketCreate,
    TicketCreated,
)
from triage.tickets.schemas import (
    Ticket as TicketBody,
)
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
CUSTOMER_WRITE_ERRORS = (401, 403, 404, 409, 429)


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
        g.reviewer_reading = True  # the view answers with the reviewers' view of the ticket
        return ops.ticket_by_reference(reference)
    if ticket.reference != reference.upper():
        raise NotFound()
    return ticket


def customer(*, reviewer_may_read: bool = False) -> Callable[[Callable], Callable]:
    """Open the ticket with the bearer's code before the body is read or validated, so a
    wrong code answers 401/404 whatever it sent; the view gets it as `ticket`."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def with_ticket(reference: str, **kwargs: Any) -> Any:
            ticket = _customer_ticket(reference, reviewer_may_read=reviewer_may_read)
            return view(reference=reference, ticket=ticket, **kwargs)

        return with_ticket

    return decorate


@bp.get("/requirements")
@api.validate(
    resp=responses({200: Requirements}),
    tags=["Requirements"],
    security=PUBLIC,
    operation_id="getRequirements",
)
def requirements(query: RequirementsQuery) -> Response:
    """What a ticket with these facts needs, without creating anything"""
    try:
        facts = parse_facts(query.model_dump(exclude_none=True))
    except FactsError as exc:  # the model states the same rules; kept for safety
        raise InvalidRequest("Some facts are missing or not valid.", exc.fields) from exc
    return jsonify(requirements_json(resolve(facts), facts.type))


@bp.post("/tickets")
@limiter.limit("20 per hour; 5 per minute")
@api.validate(
    resp=responses({201: TicketCreated}, 429),
    tags=["Tickets"],
    security=PUBLIC,
    operation_id="createTicket",
)
def create(json: TicketCreate) -> tuple[Response, int]:
    """File a ticket

    `201` with the ticket and its access token, which is shown this once.
    """
    new = ops.create_ticket(json, language=current_language())
    # Built before the commit, which expires the ticket: nothing is read again after it.
    body = ticket_json(new.ticket)
    db.session.commit()
    body["access_token"] = new.access_code
    return jsonify(body), 201


@bp.get("/tickets/<reference>")
@code_attempts
@customer(reviewer_may_read=True)
@api.validate(
    resp=responses({200: ReviewTicket}, 401, 404, 429),
    tags=["Tickets"],
    security=CUSTOMER_OR_REVIEWER,
    operation_id="getTicket",
    path_parameter_descriptions=REFERENCE,
)
def show(reference: str, ticket: Ticket) -> Response:
    """A ticket, its checklist and evidence

    A customer's token gets the customer's view; a reviewer's token the reviewers' (every
    flag, claim and approval state, the record comparison with contacts masked).
    """
    if g.get("reviewer_reading"):
        return jsonify(review_ticket_json(ticket))
    return jsonify(ticket_json(ticket))


@bp.post("/tickets/<reference>/evidence")
@limiter.limit("60 per hour")
@code_attempts
@customer()
@api.validate(
    resp=responses(
        {201: Evidence}, *CUSTOMER_WRITE_ERRORS, 413, 415, 422, narrower={422: ERROR_MODELS[422]}
    ),
    tags=["Tickets"],
    security=CUSTOMER,
    operation_id="uploadEvidence",
    path_parameter_descriptions=REFERENCE,
)
def upload(reference: str, ticket: Ticket, form: EvidenceUpload) -> tuple[Response, int]:
    """Add a file under a material key

    Several files may be added under one key. Allowed in draft and needs_more_info.
    """
    item = add_evidence(ticket, form.material, uploaded_name(form.file), form.file.stream)
    body = evidence_json(item)  # before the commit expires the row and a re-read
    db.session.commit()
    return jsonify(body), 201


@bp.delete("/tickets/<reference>/evidence/<evidence_id>")
@code_attempts
@customer()
@api.validate(
    resp=responses({200: TicketBody}, *CUSTOMER_WRITE_ERRORS),
    tags=["Tickets"],
    security=CUSTOMER,
    operation_id="removeEvidence",
    path_parameter_descriptions={**REFERENCE, **EVIDENCE_ID},
)
def remove(reference: str, evidence_id: str, ticket: Ticket) -> Response:
    """Remove a file uploaded by mistake

    Allowed in draft, and in needs_more_info for a file no reviewer has decided on
    (409 invalid_state otherwise). The history records `evidence_removed`; the stored file
    is deleted after the commit.
    """
    remove_evidence(ticket, evidence_id)
    db.session.commit()
    return jsonify(ticket_json(ticket))


@bp.put("/tickets/<reference>/information")
@code_attempts
@customer()
@api.validate(
    resp=responses(
        {200: TicketBody}, *CUSTOMER_WRITE_ERRORS, 422, narrower={422: UNKNOWN_MATERIAL}
    ),
    tags=["Tickets"],
    security=CUSTOMER,
    operation_id="updateInformation",
    path_parameter_descriptions=REFERENCE,
)
def information(reference: str, ticket: Ticket, json: InformationUpdate) -> Response:
    """Fill in information items"""
    ops.update_information(ticket, json.model_dump(exclude_unset=True))
    db.session.commit()
    return jsonify(ticket_json(ticket))


@bp.post("/tickets/<reference>/submit")
@code_attempts
@customer()
@api.validate(
    resp=responses({200: TicketBody}, *CUSTOMER_WRITE_ERRORS),
    tags=["Tickets"],
    security=CUSTOMER,
    operation_id="submitTicket",
    path_parameter_descriptions=REFERENCE,
)
def submit(reference: str, ticket: Ticket, json: SubmitRequest) -> Response:
    """Send the ticket for review

    An incomplete ticket answers 409 requirements_not_met unless an explanation is given;
    then it is submitted with the flag `incomplete`.
    """
    ops.submit(ticket, json.explanation)
    db.session.commit()
    return jsonify(ticket_json(ticket))


@bp.post("/tickets/<reference>/withdraw")
@code_attempts
@customer()
@api.validate(
    resp=responses({200: TicketBody}, *CUSTOMER_WRITE_ERRORS),
    tags=["Tickets"],
    security=CUSTOMER,
    operation_id="withdrawTicket",
    path_parameter_descriptions=REFERENCE,
)
def withdraw(reference: str, ticket: Ticket) -> Response:
    """Withdraw a ticket that is not decided"""
    ops.withdraw(ticket)
    db.session.commit()
    current_app.logger.info("ticket %s withdrawn", ticket.reference)
    return jsonify(ticket_json(ticket))
