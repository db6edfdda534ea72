"""Fixtures of the attacks on the account-recovery safeguards (recovery.md)."""

from __future__ import annotations

from tests.review.helpers import (  # noqa: F401 - fixtures
    lead,
    make_reviewer,
    make_ticket,
    other_reviewer,
    reviewer,
    submitted,
)
from tests.review.second_helpers import app_config, second_approval_policy  # noqa: F401
