from tests.review.helpers import (  # noqa: F401 - fixtures
    lead,
    make_reviewer,
    other_reviewer,
    reviewer,
    submitted,
)
