"""The app's vocabulary, handed to pages and scripts from where it is defined.

Statuses, their words and transitions (`triage.tickets.status`), rejection reasons
(`triage.evidence.reasons`), flags (`triage.tickets.flags`), the upload policy
(`triage.evidence.policy`) and the error codes with their statuses (`triage.errors`) are
each defined once. Templates read them as Jinja globals (the context processor below);
scripts read the upload form's `data-` attributes (`upload_policy.data_attributes()`) or
`GET /api/v1/vocabulary`, which needs no token: it says nothing about any ticket.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from triage.api import refuse_undocumented_query
from triage.api.openapi import PUBLIC, api, responses
from triage.errors import STATUS
from triage.evidence import reasons
from triage.evidence.policy import UploadPolicy
from triage.tickets import status as st
from triage.tickets.flags import FLAG_WORDS
from triage.vocabulary_schemas import Vocabulary

bp = Blueprint("vocabulary", __name__)
# Only the API route: the pages' context processor below answers no request itself.
bp.before_request(refuse_undocumented_query)


def upload_policy() -> UploadPolicy:
    """The running app's upload policy (the per-ticket caps are deployment settings)."""
    return UploadPolicy.from_config(current_app.config)


def vocabulary() -> dict[str, Any]:
    """Everything a script or an API client may need to speak the app's words."""
    return {
        **st.to_json(),
        "reasons": reasons.to_json(),
        "flags": [{"flag": flag, "words": words} for flag, words in FLAG_WORDS.items()],
        "upload": upload_policy().to_json(),
        "errors": dict(STATUS),
    }


@bp.app_context_processor
def template_vocabulary() -> dict[str, Any]:
    return {
        "upload_policy": upload_policy(),
        "customer_status_words": st.CUSTOMER_WORDS,
        "review_status_words": st.REVIEWER_WORDS,
        "reason_words": reasons.REASONS,
        "reason_labels": reasons.REASON_LABELS,
        "flag_words": FLAG_WORDS,
    }


@bp.get("/api/v1/vocabulary")
@api.validate(
    resp=responses({200: Vocabulary}, uses_database=False),
    tags=["Service"],
    security=PUBLIC,
    operation_id="getVocabulary",
)
def get_vocabulary():
    """The app's vocabulary

    Statuses with their words and allowed actions, transitions, rejection reasons, flags,
    the upload policy and the error codes with their HTTP statuses.
    """
    response = jsonify(vocabulary())
    # The same for every caller until the next deployment.
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response
