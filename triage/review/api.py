"""JSON API for reviewers (api.md, "Reviewers").

Every endpoint here wants a reviewer's API token as `Authorization: Bearer <token>`.
The session cookie is never consulted: this blueprint is exempt from CSRF checks, so
accepting the cookie would let any site drive a signed-in reviewer's browser. A
customer's access code is not a reviewer token either: both answer 401.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify

from triage.api import (
    SWITCH_WORDS,
    authenticate_reviewer,
    refuse_undocumented_query,
)
from triage.api.openapi import EVIDENCE_ID, REFERENCE, REVIEWER, api, raw_response, responses
from triage.api.schemas import UNKNOWN_MATERIAL
from triage.extensions import db
from triage.review import content
from triage.review import operations as ops
from triage.review.approval_schemas import SecondApprovalRequest
from triage.review.queue import queue, queue_item_json
from triage.review.schemas import (
    ClaimRequest,
    ContentQuery,
    DecisionRequest,
    EvidenceReviewRequest,
    History,
    MaterialsRequest,
    Queue,
    QueueQuery,
    ReassignRequest,
    ReviewTicket,
)
from triage.review.serialize import review_ticket_json
from triage.reviewers.models import Reviewer
from triage.tickets.operations import ticket_by_reference
from triage.tickets.schemas import EVIDENCE_TYPES, Evidence
from triage.tickets.serialize import evidence_json

bp = Blueprint("review_api", __name__, url_prefix="/api/v1")
bp.before_request(refuse_undocumented_query)  # the OpenAPI document lists each


bp.before_request(authenticate_reviewer)  # a reviewer's API token, never a cookie


def _reviewer() -> Reviewer:
    return g.reviewer


ACTION_ERRORS = (401, 403, 404, 409)


def action(operation_id: str, *errors: int, ok: Any = ReviewTicket, **kw: Any) -> Any:
    """`api.validate` for a reviewer action: the reviewer's token, the ticket it answers."""
    kw.setdefault("path_parameter_descriptions", REFERENCE)
    answers = ok if isinstance(ok, dict) else {200: ok}
    narrower = kw.pop("narrower", None)
    return api.validate(
        resp=responses(answers, *(errors or ACTION_ERRORS), narrower=narrower),
        tags=["Reviewers"],
        security=REVIEWER,
        operation_id=operation_id,
        **kw,
    )


@bp.get("/queue")
@action("getQueue", 401, 403, ok=Queue, path_parameter_descriptions=None)
def list_queue(query: QueueQuery) -> Response:
    """Tickets waiting for review, in the order to take them

    `status=awaiting_second_approval`: first approvals waiting for a lead's second one;
    `status=disputed` (leads only): tickets a lead decides again (recovery.md).
    """
    with_counts = SWITCH_WORDS.get(query.counts or "0", False)
    page = queue(
        query.type,
        query.flag,
        query.limit,
        with_counts=with_counts,
        status=query.status,
        reviewer=_reviewer(),
    )
    # Serialised before the commit, which would expire every ticket and re-read it.
    body: dict[str, Any] = {"items": [queue_item_json(t) for t in page.items], "total": page.total}
    if with_counts:
        body["counts"] = page.counts
    db.session.commit()  # lapsed claims handed back, token use noted
    return jsonify(body)


@bp.post("/queue/claim")
@action(
    "claimNext",
    401,
    ok={200: ReviewTicket, 204: None},
    path_parameter_descriptions=None,
)
def claim(json: ClaimRequest) -> Response | tuple[str, int]:
    """Claim the next ticket: it moves to in_review

    `204` when nothing is waiting. No two reviewers ever hold the same ticket.
    """
    ticket = ops.claim_next(_reviewer(), json.type)
    body = review_ticket_json(ticket) if ticket is not None else None
    db.session.commit()
    if body is None:
        return "", 204
    return jsonify(body)


@bp.post("/tickets/<reference>/release")
@action("releaseTicket")
def release(reference: str) -> Response:
    """Give a claimed ticket back to the queue"""
    ticket = ticket_by_reference(reference)
    ops.release(ticket, _reviewer())
    db.session.commit()
    return jsonify(review_ticket_json(ticket))


@bp.post("/tickets/<reference>/reassign")
@action("reassignTicket")
def reassign(reference: str, json: ReassignRequest) -> Response:
    """Hand a ticket to another reviewer (leads only)"""
    ticket = ticket_by_reference(reference)
    ops.reassign(ticket, _reviewer(), json.reviewer)
    db.session.commit()
    return jsonify(review_ticket_json(ticket))


raw_response(
    "getEvidenceContent",
    200,
    {
        "description": "The file as sniffed at upload, never run by the browser",
        "headers": {
            "X-Content-Type-Options": {"schema": {"const": "nosniff"}},
            "Content-Disposition": {
                "schema": {"type": "string"},
                "description": "attachment (inline only for JPEG and PNG); the name is the "
                "server's, per RFC 6266",
            },
            "Content-Security-Policy": {
                "schema": {"type": "string"},
                "description": "starts with `sandbox`",
            },
        },
        "content": {media_type: {} for media_type in EVIDENCE_TYPES},
    },
)


@bp.get("/evidence/<evidence_id>/content")
@action(
    "getEvidenceContent", 401, 403, 404, ok={200: None}, path_parameter_descriptions=EVIDENCE_ID
)
def evidence_content(evidence_id: str, query: ContentQuery) -> Response:
    """The file itself; every read is written to the history"""
    item = ops.evidence_by_id(evidence_id)
    data = ops.read_evidence(item, _reviewer(), "api")
    db.session.commit()
    download = SWITCH_WORDS.get(query.download or "0", False)
    return content.evidence_response(item, data, download=download)


@bp.post("/evidence/<evidence_id>/review")
@action("reviewEvidence", ok=Evidence, path_parameter_descriptions=EVIDENCE_ID)
def review_evidence(evidence_id: str, json: EvidenceReviewRequest) -> Response:
    """Accept or reject one file

    Only the reviewer holding the claim (or a lead) may review.
    """
    item = ops.evidence_by_id(evidence_id)
    ops.review_evidence(item, _reviewer(), json.decision, json.reason, json.note)
    db.session.commit()
    return jsonify(evidence_json(item, reviewer=True))


@bp.post("/tickets/<reference>/request-materials")
@action("requestMaterials", *ACTION_ERRORS, 422, narrower={422: UNKNOWN_MATERIAL})
def request_materials(reference: str, json: MaterialsRequest) -> Response:
    """Ask the customer for more: the ticket goes to needs_more_info"""
    ticket = ticket_by_reference(reference)
    ops.request_materials(ticket, _reviewer(), json.materials, json.message)
    db.session.commit()
    return jsonify(review_ticket_json(ticket))


@bp.post("/tickets/<reference>/decision")
@action("decideTicket")
def decision(reference: str, json: DecisionRequest) -> Response:
    """Approve or reject

    Approval needs every required item satisfied by accepted evidence and valid
    information (else 409 requirements_not_met); a rejection needs a note. A ticket that
    needs two approvals (recovery.md, SECOND_APPROVAL) goes to awaiting_second_approval
    on its first. A lead decides a disputed ticket again without a claim, with a note
    either way.
    """
    ticket = ticket_by_reference(reference)
    ops.decide(ticket, _reviewer(), json.decision, json.note)
    db.session.commit()
    return jsonify(review_ticket_json(ticket))


@bp.post("/tickets/<reference>/second-approval")
@action("secondApproval")
def second_approval(reference: str, json: SecondApprovalRequest) -> Response:
    """Give or refuse the second approval (leads other than the first approver)

    recovery.md "Second approval": for a ticket in awaiting_second_approval. `approved` is
    final (the customer is told; an account change takes effect after the waiting
    period); `rejected` needs a note and sends the ticket back to in_review, held by the
    first approver, who reads the note. 403 for the first approver and for a reviewer
    who is not a lead; 409 when the ticket is not waiting for a second approval (of two
    leads at once, one wins).
    """
    ticket = ticket_by_reference(reference)
    ops.second_approval(ticket, _reviewer(), json.decision, json.note)
    db.session.commit()
    return jsonify(review_ticket_json(ticket))


@bp.get("/tickets/<reference>/history")
@action("getHistory", 401, 403, 404, ok=History)
def history(reference: str) -> Response:
    """Everything that happened to the ticket"""
    ticket = ticket_by_reference(reference)
    events = ops.ticket_history(ticket)
    db.session.commit()  # token use noted
    return jsonify({"events": [e.to_json() for e in events]})
