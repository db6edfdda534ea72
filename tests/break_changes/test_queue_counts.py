"""The queue's counts are the listed queue's (triage.review.queue.queue_counts(statuses);
GET /api/v1/queue?status=…&counts=true): for every status, with and without a type or a
flag, the per-type counts add up to the total listed; unknown values are 400; the number
of queries does not grow with the number of tickets."""

from __future__ import annotations

import pytest
from sqlalchemy import event, update

from tests.review.second_helpers import CHANGE
from triage.extensions import db
from triage.tickets import status as st
from triage.tickets.models import Ticket

STATUSES = [None, st.AWAITING_REVIEW, st.IN_REVIEW, st.AWAITING_SECOND_APPROVAL, st.DISPUTED]
PLACED = [
    st.AWAITING_REVIEW,
    st.IN_REVIEW,
    st.AWAITING_SECOND_APPROVAL,
    st.AWAITING_SECOND_APPROVAL,
    st.DISPUTED,
    st.NEEDS_MORE_INFO,
]


def _place(app, references, statuses):
    with app.app_context():
        for reference, status in zip(references, statuses, strict=True):
            db.session.execute(
                update(Ticket).where(Ticket.reference == reference).values(status=status)
            )
        db.session.commit()


@pytest.fixture
def spread(app, submitted, lead):
    tickets = [submitted() for _ in range(3)] + [submitted(CHANGE) for _ in range(3)]
    _place(app, [t.reference for t in tickets], PLACED)
    return tickets


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("ticket_type", [None, "unfreeze", "account_change"])
def test_each_queues_counts_add_up_to_its_listing(spread, lead, status, ticket_type):
    params = {"counts": "true", "limit": 200}
    if status:
        params["status"] = status
    if ticket_type:
        params["type"] = ticket_type
    response = lead.queue(**params)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["total"] == len(body["items"])
    statuses = [status] if status else [st.AWAITING_REVIEW, st.IN_REVIEW]
    by_type = body["counts"]["by_type"]
    types = [ticket_type] if ticket_type else list(by_type)
    counted = sum(by_type[t][s] for t in types for s in statuses)
    assert counted == body["total"], (by_type, body["total"])
    assert all(set(by_type[t]) == set(statuses) for t in by_type)
    for one in statuses:
        assert body["counts"][one] == sum(by_type[t][one] for t in by_type)


@pytest.mark.parametrize(
    "status", ["approved", "needs_more_info", "DISPUTED", "awaiting_review ", "%", "a" * 500]
)
def test_unknown_statuses_are_refused(spread, lead, status):
    response = lead.queue(status=status, counts="true")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_request"


def test_a_reviewer_is_refused_the_disputed_queue(spread, reviewer):
    assert reviewer.queue(status=st.DISPUTED, counts="true").status_code == 403


def _queries(app, lead, **params) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert lead.queue(**params).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.parametrize("status", [st.AWAITING_SECOND_APPROVAL, st.DISPUTED])
def test_the_counts_make_no_query_per_ticket(app, submitted, lead, status):
    few = [submitted() for _ in range(2)]
    _place(app, [t.reference for t in few], [status] * 2)
    _queries(app, lead, status=status, counts="true")  # the token's first use writes more
    before = _queries(app, lead, status=status, counts="true")
    more = [submitted() for _ in range(6)]
    _place(app, [t.reference for t in more], [status] * 6)
    assert _queries(app, lead, status=status, counts="true") == before
