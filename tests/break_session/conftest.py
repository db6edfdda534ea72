"""Hostile probes of today's changes (claim in one statement, uploads, filing, 429s):
fixtures shared with tests/review."""

from __future__ import annotations

from tests.accounts.conftest import directory_down, http_config  # noqa: F401 - fixtures
from tests.review.helpers import (  # noqa: F401 - fixtures
    lead,
    make_reviewer,
    make_ticket,
    other_reviewer,
    reviewer,
    submitted,
)
from tests.tickets.conftest import web_ticket  # noqa: F401 - a fixture
