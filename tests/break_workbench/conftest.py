"""Hostile probes of the reviewer's workbench (issue 13): fixtures shared with tests/review."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.review.helpers import (  # noqa: F401 - fixtures
    evidence_ids,
    lead,
    make_reviewer,
    make_ticket,
    other_reviewer,
    page_token,
    reviewer,
    sign_in,
    signed_in,
    submitted,
    visit_urls,
)

browser = signed_in  # a test client signed in as a reviewer

JSON = {"Accept": "application/json"}


def visit_token(page_html: str) -> str:
    match = re.search(r'data-visit="([^"]+)"', page_html)
    assert match, "the page carries no visit token"
    return unescape(match.group(1))


def reads(who, reference: str) -> list[dict]:
    return [e for e in who.history(reference) if e["action"] == "evidence_read"]


def post_form(client, path: str, page: str, data: dict, json: bool = True):
    """Post one of the review page's forms with that page's CSRF token."""
    token = page_token(client, page)
    return client.post(path, data={**data, "csrf_token": token}, headers=JSON if json else {})


@pytest.fixture
def held(reviewer, submitted):  # noqa: F811 - the imported fixtures
    """A submitted ticket (passport PDF, card photo) that `reviewer` holds."""
    ticket = submitted()
    assert reviewer.claim().status_code == 200
    return ticket
