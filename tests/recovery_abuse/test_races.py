"""Conflicting actions at the same instant (api.md "Statuses": exactly one wins, the other
answers 409, history and flags agree)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.recovery_abuse.helpers import make_link, not_me_form, row
from tests.review.helpers import evidence_ids
from tests.review.second_helpers import CHANGE, events, first_approved
from tests.state.conftest import jitter_for, post, race

ROUNDS = 6


def _not_me(token: str, form: str):
    return lambda client: client.post(f"/not-me/{token}", data={"csrf_token": form})


def _form_client(app, token):
    """A client that has opened the page (session with its CSRF token)."""
    client = app.test_client()
    return client, not_me_form(client, token)


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_second_approval_and_not_me_at_once(app, reviewer, lead, submitted, round_number):
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket)
    token = f"tok-{round_number}-{ticket.reference}"
    make_link(app, ticket.reference, token)
    owner, form = _form_client(app, token)
    approve = post(
        f"/tickets/{ticket.reference}/second-approval",
        lead.headers,
        {"decision": "approved", "note": "ok"},
    )

    from threading import Barrier, Thread

    results = {}
    start = Barrier(2)

    def run_owner():
        start.wait()
        results["owner"] = owner.post(f"/not-me/{token}", data={"csrf_token": form})

    def run_lead():
        start.wait()
        results["lead"] = approve(app.test_client())

    threads = [Thread(target=run_owner), Thread(target=run_lead)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results["owner"].status_code < 500 and results["lead"].status_code < 500
    final = row(app, ticket.reference)
    actions = Counter(e.action for e in events(app, ticket.reference))
    # Either order is legal (a dispute may follow an approval before effective_at), but
    # the end state must be that of one order: disputed with a dispute event, the
    # `disputed` flag and disputed_at.
    assert results["owner"].status_code == 200, results["owner"].status_code
    assert final.status == "disputed"
    assert final.disputed_at is not None and "disputed" in final.flags
    assert actions["disputed"] == 1
    assert actions["decided"] == (1 if results["lead"].status_code == 200 else 0)


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_holder_and_lead_first_approve_at_once(app, reviewer, lead, submitted, round_number):
    ticket = submitted(CHANGE)
    assert reviewer.claim().status_code == 200
    for evidence_id in evidence_ids(ticket).values():
        assert reviewer.review(evidence_id, "accepted").status_code == 200
    body = {"decision": "approved", "note": "fine"}
    path = f"/tickets/{ticket.reference}/decision"
    a, b = race(
        app,
        post(path, reviewer.headers, body),
        post(path, lead.headers, body),
        jitter=jitter_for(round_number),
    )
    codes = sorted([a.status_code, b.status_code])
    assert codes[0] == 200
    assert codes[1] in (403, 409), codes
    final = row(app, ticket.reference)
    assert final.status == "awaiting_second_approval"
    assert [e.action for e in events(app, ticket.reference)].count("first_approved") == 1


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_withdrawal_and_not_me_at_once(app, reviewer, submitted, round_number):
    ticket = submitted(CHANGE)
    token = f"tw-{round_number}-{ticket.reference}"
    make_link(app, ticket.reference, token)
    owner, form = _form_client(app, token)
    withdraw = post(f"/tickets/{ticket.reference}/withdraw", ticket.headers)

    from threading import Barrier, Thread

    results = {}
    start = Barrier(2)

    def run_owner():
        start.wait()
        results["owner"] = owner.post(f"/not-me/{token}", data={"csrf_token": form})

    def run_customer():
        start.wait()
        results["customer"] = withdraw(app.test_client())

    threads = [Thread(target=run_owner), Thread(target=run_customer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    o, c = results["owner"].status_code, results["customer"].status_code
    assert o < 500 and c < 500, (o, c)
    assert (o == 200) != (c == 200), (o, c)
    final = row(app, ticket.reference)
    assert final.status == ("disputed" if o == 200 else "withdrawn")
    assert ("disputed" in final.flags) == (o == 200)


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_first_approval_and_not_me_at_once(app, reviewer, submitted, round_number):
    """Either order is allowed; the end is always `disputed`, claim ended, one dispute."""
    ticket = submitted(CHANGE)
    assert reviewer.claim().status_code == 200
    for evidence_id in evidence_ids(ticket).values():
        assert reviewer.review(evidence_id, "accepted").status_code == 200
    token = f"fa-{round_number}-{ticket.reference}"
    make_link(app, ticket.reference, token)
    owner, form = _form_client(app, token)
    decide = post(
        f"/tickets/{ticket.reference}/decision", reviewer.headers, {"decision": "approved"}
    )
    from threading import Barrier, Thread

    results = {}
    start = Barrier(2)

    def run(name, fn):
        start.wait()
        results[name] = fn()

    threads = [
        Thread(
            target=run,
            args=("owner", lambda: owner.post(f"/not-me/{token}", data={"csrf_token": form})),
        ),
        Thread(target=run, args=("reviewer", lambda: decide(app.test_client()))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results["owner"].status_code == 200
    # 403 when the dispute landed first: a disputed ticket is a lead's (decide_disputed).
    assert results["reviewer"].status_code in (200, 403, 409), results["reviewer"].status_code
    final = row(app, ticket.reference)
    assert final.status == "disputed" and final.claimed_by_id is None
    actions = [e.action for e in events(app, ticket.reference)]
    assert actions.count("disputed") == 1
    assert actions.count("first_approved") == (1 if results["reviewer"].status_code == 200 else 0)


def test_two_leads_second_approval_over_real_http(
    app, live_server, reviewer, make_reviewer, submitted
):
    import threading

    import requests

    leads = [make_reviewer(f"lead{i}@example.com", role="lead") for i in range(4)]
    for _ in range(3):
        ticket = submitted(CHANGE)
        first_approved(reviewer, ticket)
        start = threading.Barrier(len(leads))
        codes: list[int] = []

        def fire(who, reference=ticket.reference, start=start, codes=codes):
            start.wait()
            codes.append(
                requests.post(
                    f"{live_server}/api/v1/tickets/{reference}/second-approval",
                    headers=who.headers,
                    json={"decision": "approved", "note": "ok"},
                    timeout=30,
                ).status_code
            )

        threads = [threading.Thread(target=fire, args=(w,)) for w in leads]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(codes) == [200, 409, 409, 409], codes
        assert [e.action for e in events(app, ticket.reference)].count("decided") == 1
        assert row(app, ticket.reference).status == "approved"
