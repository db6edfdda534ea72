"""`POST /api/v1/tickets/<reference>/resend-link` (api.md "Notifications").

Accepts `{"contact_email": "..."}` (no token). Answers `202 {"status": "accepted",
"message": ...}` whatever the reference and the address: nobody learns whether either
exists. `400 invalid_request` only for a body without a `contact_email` string,
`429 rate_limited` past the limits (per reference, per address, per client),
`503 service_unavailable` when the job queue did not take the request.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from triage.api import refuse_undocumented_query
from triage.api.openapi import PUBLIC, REFERENCE, api, responses
from triage.notifications import resend
from triage.notifications.schemas import LinkRequested, ResendLink

bp = Blueprint("notifications_api", __name__, url_prefix="/api/v1")
bp.before_request(refuse_undocumented_query)  # the OpenAPI document lists each


@bp.post("/tickets/<reference>/resend-link")
@resend.per_client
@resend.per_reference
@resend.per_address
@api.validate(
    resp=responses({202: LinkRequested}, 429),
    tags=["Tickets"],
    security=PUBLIC,
    operation_id="resendLink",
    path_parameter_descriptions=REFERENCE,
)
def resend_link(reference: str, json: ResendLink) -> tuple[Response, int]:
    """Email me a new private link

    `202` whatever the reference and the address; when they match a ticket, a new access
    code replaces the old one and is emailed to the ticket's contact address only.
    """
    resend.request_new_link(reference, json.contact_email)
    return jsonify(status="accepted", message=str(resend.ACCEPTED_MESSAGE)), 202
