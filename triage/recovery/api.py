"""`GET /api/v1/changes` (recovery.md "Notice to the registered owner, and a waiting
period"): approved account changes and when each takes effect, for the team or system
that applies them. Reviewers and leads, with their API token; 401 otherwise.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from triage.api import (
    SWITCH_WORDS,
    authenticate_reviewer,
    refuse_undocumented_query,
)
from triage.api.openapi import REVIEWER, api, responses
from triage.extensions import db
from triage.recovery.changes import change_json, changes
from triage.recovery.schemas import DEFAULT_LIMIT, Changes, ChangesQuery

bp = Blueprint("recovery_api", __name__, url_prefix="/api/v1")
bp.before_request(refuse_undocumented_query)  # the OpenAPI document lists each


bp.before_request(authenticate_reviewer)  # a reviewer's API token, never a cookie


@bp.get("/changes")
@api.validate(
    resp=responses({200: Changes}, 401, 429),
    tags=["Reviewers"],
    security=REVIEWER,
    operation_id="listChanges",
)
def list_changes(query: ChangesQuery) -> Response:
    """Approved account changes and when each takes effect

    `ready=true`: only those whose waiting period (`CHANGE_WAITING_HOURS` after the final
    approval) is over, to apply now. A disputed change is never listed until a lead
    approves it again.
    """
    ready = SWITCH_WORDS[query.ready] if query.ready is not None else None
    page = changes(ready, query.limit or DEFAULT_LIMIT)
    body = {"items": [change_json(t, page.now) for t in page.items], "total": page.total}
    db.session.commit()  # token use noted
    return jsonify(body)
