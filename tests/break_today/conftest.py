"""Hostile probes of today's changes: the PDF checker pool's locks (triage.evidence.pdf),
the development secret file (config.development_secret) and the pages' notices and
upload previews (static/js): fixtures shared with tests/review and tests/browser."""

from __future__ import annotations

from tests.browser.conftest import browser, new_page, reviewer_login  # noqa: F401
from tests.review.helpers import (  # noqa: F401 - fixtures
    lead,
    make_reviewer,
    make_ticket,
    other_reviewer,
    reviewer,
    submitted,
)
