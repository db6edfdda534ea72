"""`GET /api/v1/openapi.json`: the contract of api.md as an OpenAPI 3 document, generated
from the request and response models (triage/api/openapi.py)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from triage.api import refuse_undocumented_query
from triage.api.openapi import PUBLIC, api, openapi_document, raw_response, responses

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")
bp.before_request(refuse_undocumented_query)  # the OpenAPI document lists each

raw_response(
    "getOpenApi",
    200,
    {
        "description": "OpenAPI 3.1",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
)


@bp.get("/openapi.json")
@api.validate(
    resp=responses({200: None}, uses_database=False),
    tags=["Service"],
    security=PUBLIC,
    operation_id="getOpenApi",
)
def openapi() -> Response:
    """This document"""
    return jsonify(openapi_document())
