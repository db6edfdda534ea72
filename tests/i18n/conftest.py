"""The reviewers' fixtures, for the pages that must stay English."""

from tests.review.helpers import lead, make_reviewer  # noqa: F401 - fixtures
