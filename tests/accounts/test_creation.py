"""The comparison when a ticket is made, from the table or a real HTTP directory, and the
job that retries it while the directory does not answer (recovery.md "Accounts of record")."""

from __future__ import annotations

from sqlalchemy import select

from tests.accounts.conftest import ACME_RECORD, CLAIMS_NOTHING
from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from triage.history.models import Event
from triage.tickets.models import Ticket

MATCHING = {
    **ACME_RECORD,
    "real_name_auth": "completed",
    "card_added": False,
    "payments_made": False,
    "card_last4": None,
}


def _stored(app, reference: str) -> dict:
    from triage.extensions import db

    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        events = db.session.scalars(
            select(Event)
            .where(Event.ticket_id == ticket.id, Event.action == "record_checked")
            .order_by(Event.id)
        ).all()
        return {
            "record": ticket.record,
            "status": ticket.record_status,
            "differences": ticket.record_differences,
            "checked_at": ticket.record_checked_at,
            "flags": ticket.flags,
            "events": [e.details for e in events],
        }


def _recheck(app) -> int:
    recheck = app.extensions["celery"].tasks["triage.accounts.recheck"]
    return recheck.delay().get(disable_sync_subtasks=False)  # eager: nothing to wait for


# --- the table (the embedded default) --------------------------------------------------------


def test_a_matching_record(app, make_ticket, load_records):
    assert load_records([MATCHING]).exit_code == 0
    ticket = make_ticket(CHANGE_DIRECT_AUTHENTICATED)
    stored = _stored(app, ticket.reference)
    assert stored["status"] == "matched"
    assert stored["differences"] == []
    assert stored["record"]["email"] == ACME_RECORD["email"]  # kept in full, shown masked
    assert stored["checked_at"] is not None
    assert stored["flags"] == []
    assert stored["events"] == [{"status": "matched"}]


def test_a_record_that_differs(app, make_ticket, load_records):
    assert load_records([ACME_RECORD]).exit_code == 0
    # A look-alike spelling of the account name finds the same record.
    ticket = make_ticket(CLAIMS_NOTHING, account_name="\uff21cme-CLOUD\u200b")
    stored = _stored(app, ticket.reference)
    assert stored["status"] == "mismatch"
    assert stored["differences"] == [
        {"fact": "real_name_auth", "declared": "not_completed", "record": "completed"},
        {"fact": "card_added", "declared": False, "record": True},
        {"fact": "payments_made", "declared": False, "record": True},
    ]
    assert stored["flags"] == ["facts_mismatch"]
    # The history says how it compared, never what the record's contacts are.
    assert stored["events"] == [{"status": "mismatch"}]


def test_an_account_with_no_record(app, make_ticket, load_records):
    assert load_records([ACME_RECORD]).exit_code == 0
    ticket = make_ticket(CHANGE_DIRECT_AUTHENTICATED, account_name="someone-else")
    stored = _stored(app, ticket.reference)
    assert stored["status"] == "unknown"
    assert stored["record"] is None
    assert stored["flags"] == ["unknown_account"]
    assert stored["events"] == [{"status": "unknown"}]


def test_the_flags_survive_submission(app, make_ticket, load_records):
    assert load_records([ACME_RECORD]).exit_code == 0
    ticket = make_ticket(CLAIMS_NOTHING)
    from tests.accounts.conftest import INFORMATION

    assert ticket.put_information(INFORMATION).status_code == 200
    assert ticket.submit().status_code == 200
    assert _stored(app, ticket.reference)["flags"] == ["facts_mismatch"]
