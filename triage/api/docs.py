"""`GET /api/v1/openapi.json`: the contract of api.md as an OpenAPI 3 document."""

from __future__ import annotations

from flask import Blueprint, jsonify

from triage.api import refuse_undocumented_query
from triage.api.openapi import openapi_document

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")
bp.before_request(refuse_undocumented_query)  # the OpenAPI document lists each


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
