"""The JSON API of triage.retention. STUB: routes are added by the retention work."""

from __future__ import annotations

from flask import Blueprint

from triage.api import refuse_undocumented_query

bp = Blueprint("retention_api", __name__, url_prefix="/api/v1")
bp.before_request(refuse_undocumented_query)  # the OpenAPI document lists each
