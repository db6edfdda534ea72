"""Filing a ticket sets the account-record columns and flags in the ticket's INSERT
(triage.accounts.operations.check_new_ticket): the result must be what the recheck job
gives a ticket filed while the directory was down, and the history must tell `created`
before `record_checked`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.accounts.conftest import ACME_RECORD, CLAIMS_NOTHING
from tests.accounts.test_creation import MATCHING, _recheck, _stored
from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.tickets.conftest import CHANGE_FORM, create_on_web
from triage.history.models import Event
from triage.tickets.models import Ticket

CASES = {
    "matched": (MATCHING, CHANGE_DIRECT_AUTHENTICATED),
    "mismatch": (ACME_RECORD, CLAIMS_NOTHING),
    "unknown": (None, CHANGE_DIRECT_AUTHENTICATED),
}


def comparable(stored: dict) -> dict:
    return {k: v for k, v in stored.items() if k != "checked_at"}


def actions(app, reference: str) -> list[tuple[str, str, dict]]:
    from triage.extensions import db

    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        rows = db.session.scalars(
            select(Event).where(Event.ticket_id == ticket.id).order_by(Event.at, Event.id)
        ).all()
        by_id = [e.id for e in sorted(rows, key=lambda e: e.id)]
        assert [e.id for e in rows] == by_id, "time order and insertion order differ"
        return [(e.actor, e.action, e.details) for e in rows]


@pytest.mark.parametrize("case", list(CASES))
def test_filing_while_up_equals_filing_while_down_then_rechecking(
    http_config, app, directory_down, make_ticket, case
):
    record, body = CASES[case]
    if record is not None:
        directory_down.records["acme-cloud"] = record
    late = make_ticket(body)  # the directory is down: pending
    assert _stored(app, late.reference)["status"] == "pending"
    assert _stored(app, late.reference)["flags"] == ["unknown_account"]
    directory_down.start()
    on_time = make_ticket(body)
    assert _recheck(app) == 1
    now, then = _stored(app, on_time.reference), _stored(app, late.reference)
    assert now["status"] == case
    assert comparable(now) | {"events": now["events"]} == comparable(then) | {
        "events": then["events"][1:]  # the pending one first
    }
    assert then["events"][0] == {"status": "pending"}
    assert now["checked_at"] is not None


@pytest.mark.parametrize("case", list(CASES))
def test_the_api_and_the_pages_file_the_same_record_flags_and_history(
    http_config, app, directory_down, make_ticket, client, case
):
    record, _ = CASES[case]
    directory_down.start()
    if record is not None:
        directory_down.records["acme-cloud"] = record
    form = {
        "matched": CHANGE_FORM,
        "mismatch": {**CHANGE_FORM, "real_name_auth": "not_completed"},
        "unknown": CHANGE_FORM,
    }[case]
    body = {
        "matched": CHANGE_DIRECT_AUTHENTICATED,
        "mismatch": {**CHANGE_DIRECT_AUTHENTICATED, "real_name_auth": "not_completed"},
        "unknown": CHANGE_DIRECT_AUTHENTICATED,
    }[case]
    api = make_ticket(body)
    page_reference, _ = create_on_web(client, "account_change", form)
    a, p = _stored(app, api.reference), _stored(app, page_reference)
    assert comparable(a) == comparable(p)
    for reference in (api.reference, page_reference):
        history = actions(app, reference)
        assert [action for _, action, _ in history][:2] == ["created", "record_checked"]
        assert history[1][0] == "system"
    # The customer's answer (CUSTOMER_FLAGS only) is the same filed or read back.
    from tests.conftest import ApiTicket

    assert ApiTicket(api.reference, api.token, app.test_client()).get()["flags"] == [
        f for f in a["flags"] if f not in ("unknown_account", "facts_mismatch")
    ]


def test_a_ticket_filed_while_down_shows_pending_on_its_answer(
    http_config, app, directory_down, client
):
    from tests.conftest import UNFREEZE_WITH_CARD

    response = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    assert response.status_code == 201
    stored = _stored(app, response.json["reference"])
    assert stored["flags"] == ["unknown_account"] and stored["status"] == "pending"
    read = client.get(
        f"/api/v1/tickets/{response.json['reference']}",
        headers={"Authorization": f"Bearer {response.json['access_token']}"},
    ).json
    created = {k: v for k, v in response.json.items() if k != "access_token"}
    assert created == read
    assert stored["record"] is None and stored["differences"] is None
