"""JSON API for reviewers (api.md, "Reviewers").

Every endpoint here wants a reviewer's API token as `Authorization: Bearer <token>`.
The session cookie is never consulted: this blueprint is exempt from CSRF checks, so
accepting the cookie would let any site drive a signed-in reviewer's browser. A
customer's access code is not a reviewer token either: both answer 401.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from triage.api import (
    bearer_token,
    json_body,
    query_switch,
    refuse_undocumented_query,
    reviewer_for_token,
)
from triage.errors import InvalidRequest, Unauthorized
from triage.extensions import db
from triage.requirements import TICKET_TYPES
from triage.review import content
from triage.review import operations as ops
from triage.review.queue import queue, queue_item_json
from triage.review.serialize import review_ticket_json
from triage.reviewers.models import Reviewer
from triage.security import count_failed_token, refuse_token_guessing
from triage.tickets.operations import ticket_by_reference
from triage.tickets.serialize import evidence_json

bp = Blueprint("review_api", __name__, url_prefix="/api/v1")
bp.before_request(refuse_undocumented_query)  # the OpenAPI document lists each


@bp.before_request
def authenticate() -> None:
    refuse_token_guessing()  # 429 once this address has failed too often
    reviewer = reviewer_for_token(bearer_token())
    if reviewer is None:
        count_failed_token()
        raise Unauthorized(
            "This endpoint is for reviewers: send a reviewer's API token. A ticket's access "
            "code opens only that ticket."
        )
    g.reviewer = reviewer


def _reviewer() -> Reviewer:
    return g.reviewer


@bp.get("/queue")
def list_queue() -> Response:
    args = request.args
    empty = [name for name in ("type", "flag", "limit") if args.get(name) == ""]
    if empty:  # the page's "any" filter is the empty choice; the API's is no parameter
        raise InvalidRequest(
            "Leave a filter out rather than sending it empty.",
            {name: "is empty: leave the parameter out for no filter" for name in empty},
        )
    with_counts = query_switch("counts")
    page = queue(args.get("type"), args.get("flag"), args.get("limit"), with_counts=with_counts)
    # Serialised before the commit, which would expire every ticket and re-read it.
    body: dict[str, Any] = {"items": [queue_item_json(t) for t in page.items], "total": page.total}
    if with_counts:
        body["counts"] = page.counts
    db.session.commit()  # lapsed claims handed back, token use noted
    return jsonify(body)


@bp.post("/queue/claim")
def claim() -> Response | tuple[str, int]:
    body = json_body(optional=True)
    if "type" in body and body["type"] not in TICKET_TYPES:  # "any type" is no `type` at all
        raise InvalidRequest(
            "Unknown ticket type.", {"type": f"must be one of: {', '.join(TICKET_TYPES)}"}
        )
    ticket = ops.claim_next(_reviewer(), body.get("type"))
    body = review_ticket_json(ticket) if ticket is not None else None
    db.session.commit()
    if body is None:
        return "", 204
    return jsonify(body)


@bp.post("/tickets/<reference>/release")
def release(reference: str) -> Response:
    ticket = ticket_by_reference(reference)
    ops.release(ticket, _reviewer())
    db.session.commit()
    return jsonify(review_ticket_json(ticket))


@bp.post("/tickets/<reference>/reassign")
def reassign(reference: str) -> Response:
    ticket = ticket_by_reference(reference)
    ops.reassign(ticket, _reviewer(), json_body().get("reviewer"))
    db.session.commit()
    return jsonify(review_ticket_json(ticket))


@bp.get("/evidence/<evidence_id>/content")
def evidence_content(evidence_id: str) -> Response:
    download = query_switch("download")
    item = ops.evidence_by_id(evidence_id)
    data = ops.read_evidence(item, _reviewer(), "api")
    db.session.commit()
    return content.evidence_response(item, data, download=download)


@bp.post("/evidence/<evidence_id>/review")
def review_evidence(evidence_id: str) -> Response:
    body = json_body()
    item = ops.evidence_by_id(evidence_id)
    ops.review_evidence(
        item, _reviewer(), body.get("decision"), body.get("reason"), body.get("note")
    )
    db.session.commit()
    return jsonify(evidence_json(item))


@bp.post("/tickets/<reference>/request-materials")
def request_materials(reference: str) -> Response:
    body = json_body()
    ticket = ticket_by_reference(reference)
    ops.request_materials(ticket, _reviewer(), body.get("materials"), body.get("message"))
    db.session.commit()
    return jsonify(review_ticket_json(ticket))


@bp.post("/tickets/<reference>/decision")
def decision(reference: str) -> Response:
    body = json_body()
    ticket = ticket_by_reference(reference)
    ops.decide(ticket, _reviewer(), body.get("decision"), body.get("note"))
    db.session.commit()
    return jsonify(review_ticket_json(ticket))


@bp.get("/tickets/<reference>/history")
def history(reference: str) -> Response:
    ticket = ticket_by_reference(reference)
    events = ops.ticket_history(ticket)
    db.session.commit()  # token use noted
    return jsonify({"events": [e.to_json() for e in events]})
