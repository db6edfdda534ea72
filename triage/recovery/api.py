"""The JSON API of triage.recovery. STUB: routes are added by the recovery work."""

from __future__ import annotations

from flask import Blueprint

from triage.api import refuse_undocumented_query

bp = Blueprint("recovery_api", __name__, url_prefix="/api/v1")
bp.before_request(refuse_undocumented_query)  # the OpenAPI document lists each
