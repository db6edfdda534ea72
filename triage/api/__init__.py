"""Helpers shared by the JSON API blueprints: bearer tokens and request bodies."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import select

from triage.errors import InvalidRequest, Unauthorized
from triage.extensions import db
from triage.reviewers.models import Reviewer, ReviewerToken
from triage.secrets import hash_token
from triage.timeutil import utcnow


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send your token as “Authorization: Bearer <token>”.")
    return token.strip()


def reviewer_for_token(token: str) -> Reviewer | None:
    row = db.session.scalar(
        select(ReviewerToken).where(ReviewerToken.token_hash == hash_token(token))
    )
    if row is None or not row.reviewer.active:
        return None
    row.last_used_at = utcnow()
    return row.reviewer


def json_body(optional: bool = False) -> dict[str, Any]:
    """The request's JSON object; InvalidRequest for anything else (malformed, a list...)."""
    if optional and not request.get_data(cache=True):
        return {}
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise InvalidRequest(
            "The body must be a JSON object.", {"body": "malformed JSON or not an object"}
        )
    return data
