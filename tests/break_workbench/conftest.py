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
    submitted,
)

JSON = {"Accept": "application/json"}


def browser(app, who):
    """A test client signed in as reviewer `who` (an ApiReviewer)."""
    client = app.test_client()
    assert sign_in(client, who.email).status_code == 302
    return client


def visit_urls(page_html: str, evidence_id: str) -> list[str]:
    """The picture URLs of one file on a rendered review page, with their visit token."""
    urls = re.findall(rf'src="(/review/evidence/{evidence_id}[^"]*)"', page_html)
    return [url.replace("&amp;", "&") for url in urls]


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
