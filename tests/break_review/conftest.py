"""Hostile probes of 'Ask the customer for more', 'Not approvable yet', the record panel's
refresh, the queue tabs, and the PDF checkers' end: fixtures shared
with tests/review and tests/tickets."""

from __future__ import annotations

from tests.accounts.conftest import directory_down, http_config  # noqa: F401 - fixtures
from tests.review.helpers import (  # noqa: F401 - fixtures
    desk,
    lead,
    make_reviewer,
    make_ticket,
    other_reviewer,
    reviewer,
    submitted,
)
from tests.tickets.conftest import web_ticket  # noqa: F401 - a fixture
