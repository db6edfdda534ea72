"""Hostile probes of carried upload refusals, the owner's language, sentence field errors,
the second-approval counts and the page by status: fixtures shared with tests/review and
tests/tickets."""

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
