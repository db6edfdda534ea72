"""Helpers shared by the JSON API blueprints: bearer tokens, request bodies read with the
deep-JSON and text checks, and undocumented query parameters refused. The models and the
generated OpenAPI document are in triage/api/schemas.py and triage/api/openapi.py."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from functools import cache
from typing import Any

from flask import request
from sqlalchemy import Select, bindparam, select

from triage.errors import InvalidRequest, Unauthorized
from triage.extensions import db
from triage.reviewers.models import Reviewer, ReviewerToken
from triage.secrets import hash_token
from triage.text import excerpt, find_problems
from triage.timeutil import aware, utcnow


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send your token as “Authorization: Bearer <token>”.")
    return token.strip()


# A token's last use is worth knowing to the minute, not worth an UPDATE on every request.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


@cache
def _token_lookup() -> Select:
    """The token's SELECT, built once: every reviewer request runs it, and building a
    statement costs more than sending this one. Built on first use, not at import: joining
    through the relationship configures every mapper, which must wait until all models are
    imported."""
    return (
        select(Reviewer, ReviewerToken.id, ReviewerToken.last_used_at)
        .select_from(ReviewerToken)
        .join(Reviewer, ReviewerToken.reviewer)
        .where(ReviewerToken.token_hash == bindparam("token_hash"))
    )


def reviewer_for_token(token: str) -> Reviewer | None:
    """The active reviewer whose API token this is, else None.

    One SELECT (`_token_lookup`) of the reviewer and the token's id and last use, not the
    token as an object: every reviewer request pays for loading it. The token's
    `last_used_at` is written only when it is older than TOKEN_USE_RESOLUTION (then the
    token is read and updated), so a busy client costs neither per request.
    """
    row = db.session.execute(_token_lookup(), {"token_hash": hash_token(token)}).one_or_none()
    if row is None or not row.Reviewer.active:
        return None
    reviewer, token_id, last_used_at = row
    now = utcnow()
    last = aware(last_used_at)
    if last is None or now - last >= TOKEN_USE_RESOLUTION:
        # Written at the request's commit (the row is locked only then), as before.
        db.session.get(ReviewerToken, token_id).last_used_at = now
    return reviewer


def authenticate_reviewer() -> None:
    """`before_request` of the reviewers' API blueprints: the bearer must be a reviewer's
    API token (`g.reviewer`), else `401 unauthorized`; `429` once this address has failed
    too often (security.md, token guessing)."""
    from flask import g

    from triage.security import count_failed_token, refuse_token_guessing

    refuse_token_guessing()
    reviewer = reviewer_for_token(bearer_token())
    if reviewer is None:
        count_failed_token()
        raise Unauthorized(
            "This endpoint is for reviewers: send a reviewer's API token. A ticket's access "
            "code opens only that ticket."
        )
    g.reviewer = reviewer


# Our deepest body is two levels (an address inside the information); JSON nested deeper
# than this is refused before anything walks it (security.md: "Deeply nested JSON answers 400").
MAX_JSON_DEPTH = 8


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes) -> Any:
    """The JSON document in `raw` (RFC 8259: UTF-8, no NaN or Infinity).

    InvalidRequest for malformed or too deeply nested JSON (the parser's own recursion
    guard answers RecursionError long before the stack is at risk), and for any string,
    object keys included, that breaks triage.text's rule for its field: lone surrogates,
    NUL and other controls, non-characters, over the field's length limit.
    """
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise InvalidRequest(
            "The body is nested too deeply.",
            {"body": f"is nested more than {MAX_JSON_DEPTH} levels deep"},
        ) from None
    except ValueError as exc:  # also UnicodeDecodeError and over-long integers
        raise InvalidRequest(
            "The body must be a JSON object.", {"body": "malformed JSON or not an object"}
        ) from exc
    problems = find_problems(data, max_depth=MAX_JSON_DEPTH)
    if problems:
        raise InvalidRequest("Some of the text sent is not accepted.", problems)
    return data


def json_body(optional: bool = False) -> dict[str, Any]:
    """The request's JSON object, every string checked (`parse_json`).

    `optional`: an empty body is `{}`. InvalidRequest (400 `invalid_request`, `fields`
    naming each bad field) for anything else: malformed, not an object, too deep, bad text.
    """
    raw = request.get_data(cache=True)
    if optional and not raw.strip():
        return {}
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise InvalidRequest(
            "The body must be a JSON object.", {"body": "malformed JSON or not an object"}
        )
    return data


# Query switches (the review schemas' `Switch`): absent means off; any other word is a
# mistake to say so, not to read as "off" (schemathesis sent `counts=null`, answered 200).
SWITCH_WORDS = {"1": True, "true": True, "0": False, "false": False}


# Asked of every API call (api.md, "Languages"), whether the operation lists it or not.
ALWAYS_ALLOWED_QUERY = frozenset({"lang"})


@cache
def _documented_query_parameters() -> dict[tuple[str, str], frozenset[str]]:
    """(method, path template with blank parameters) -> the query parameters it documents."""
    from triage.api.openapi import openapi_document

    known: dict[tuple[str, str], frozenset[str]] = {}
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
                known[(method.upper(), _blank(path))] = frozenset(names)
    return known


def _blank(path: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?[^<>]+>|\{[^}]+\}", "{}", path)


def refuse_undocumented_query() -> None:
    """A `before_request` for the API blueprints: a query parameter the OpenAPI document
    does not list for this operation is a 400 naming it, not silently ignored (a mistyped
    `?count=true` would otherwise just answer without the counts)."""
    if request.url_rule is None or not request.args:
        return
    allowed = _documented_query_parameters().get((request.method, _blank(request.url_rule.rule)))
    if allowed is None:
        return
    unknown = [name for name in request.args if name not in allowed | ALWAYS_ALLOWED_QUERY]
    if unknown:
        raise InvalidRequest(
            "This operation does not take some of the query parameters sent.",
            {excerpt(name): "is not a parameter of this operation" for name in unknown[:10]},
        )
