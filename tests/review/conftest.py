from tests.review.helpers import (  # noqa: F401 - fixtures
    desk,
    lead,
    make_reviewer,
    make_ticket,
    other_reviewer,
    reviewer,
    submitted,
)
