"""Legal holds in the JSON API (recovery.md "Keeping identity documents").

`POST /tickets/<reference>/legal-hold` {"reason"} places a hold; `DELETE` on the same path,
or `POST /tickets/<reference>/legal-hold/release` {"reason"} (the reason kept in the
history), lifts it. Leads only (`403 forbidden` for other reviewers); reviewers
authenticate with their API token, exactly as in triage.review.api. Each answers the
ticket as reviewers see it, whose `retention` key shows the hold.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify

from triage.api import authenticate_reviewer, refuse_undocumented_query
from triage.api.openapi import REFERENCE, REVIEWER, api, responses
from triage.extensions import db
from triage.retention import operations as ops
from triage.retention.schemas import LegalHoldRelease, LegalHoldRequest
from triage.review.schemas import ReviewTicket
from triage.review.serialize import review_ticket_json
from triage.tickets.operations import ticket_by_reference

bp = Blueprint("retention_api", __name__, url_prefix="/api/v1")
bp.before_request(refuse_undocumented_query)  # the OpenAPI document lists each
bp.before_request(authenticate_reviewer)  # a reviewer's API token, never the session cookie


def _action(operation_id: str):
    return api.validate(
        resp=responses({200: ReviewTicket}, 401, 403, 404, 409),
        tags=["Reviewers"],
        security=REVIEWER,
        operation_id=operation_id,
        path_parameter_descriptions=REFERENCE,
    )


@bp.post("/tickets/<reference>/legal-hold")
@_action("placeLegalHold")
def place(reference: str, json: LegalHoldRequest) -> Response:
    """Place a legal hold (leads only)

    The retention purge keeps the ticket's evidence until the hold is lifted. `409` when
    the ticket is already held, or its evidence was already deleted.
    """
    ticket = ticket_by_reference(reference)
    ops.place_hold(ticket, g.reviewer, json.reason)
    db.session.commit()
    return jsonify(review_ticket_json(ticket))


@bp.delete("/tickets/<reference>/legal-hold")
@_action("liftLegalHold")
def lift(reference: str) -> Response:
    """Lift the legal hold (leads only)

    The next purge run deletes the evidence if the retention period is over. `409` when
    the ticket is not held. To keep a reason in the history, use `legal-hold/release`.
    """
    ticket = ticket_by_reference(reference)
    ops.lift_hold(ticket, g.reviewer)
    db.session.commit()
    return jsonify(review_ticket_json(ticket))


@bp.post("/tickets/<reference>/legal-hold/release")
@_action("releaseLegalHold")
def release(reference: str, json: LegalHoldRelease) -> Response:
    """Lift the legal hold, with a reason (leads only)

    As `DELETE /tickets/<reference>/legal-hold`, with the lead's reason in the history.
    """
    ticket = ticket_by_reference(reference)
    ops.lift_hold(ticket, g.reviewer, json.reason, required=True)
    db.session.commit()
    return jsonify(review_ticket_json(ticket))
