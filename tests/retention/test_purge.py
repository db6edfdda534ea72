"""The retention purge (recovery.md "Keeping identity documents").

`RETENTION_DAYS` (default 90) after a ticket is decided or withdrawn, a periodic job deletes
its evidence objects and derived previews; the rows keep name, size, type and SHA-256,
marked `purged_at`, and the history records `evidence_purged`. Idempotent: a second run
changes nothing. Reviewers asking for a purged file are told it was deleted, and when.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.retention.conftest import (
    age,
    events,
    nothing_missing_unmarked,
    purge,
    reviewer_json,
    rows,
    stored,
    ticket_id,
    ticket_row,
)
from tests.review.helpers import sign_in
from triage.extensions import db
from triage.jobs import SCHEDULE
from triage.tickets.models import Ticket
from triage.timeutil import iso, utcnow


def test_the_defaults_and_the_hourly_job(app):
    assert app.config["RETENTION_DAYS"] == 90
    assert SCHEDULE["retention-purge"]["task"] == "triage.retention.purge"
    assert SCHEDULE["retention-purge"]["schedule"] == 3600
    assert "triage.retention.purge" in app.extensions["celery"].tasks


def test_evidence_is_purged_after_the_period_and_not_before(app, any_store, closed, lead, reviewer):
    ticket = closed()
    before = rows(app, ticket.id)
    objects = stored(app, ticket.id)
    assert len(before) == 2
    assert any(".preview/" in key for key in objects)  # the PNG's preview

    age(app, ticket.id, 89)
    report = purge(app)
    assert report.purged == {}
    assert stored(app, ticket.id) == objects
    assert ticket_row(app, ticket.id).purged_at is None

    age(app, ticket.id, 91)
    report = purge(app)
    assert report.purged == {ticket.reference: 2}
    assert stored(app, ticket.id) == set()  # files and previews
    after = rows(app, ticket.id)
    assert [{k: v for k, v in r.items() if k != "purged_at"} for r in after] == [
        {k: v for k, v in r.items() if k != "purged_at"} for r in before
    ]
    assert all(r["purged_at"] is not None for r in after)
    row = ticket_row(app, ticket.id)
    assert row.purged_at is not None
    (event,) = events(app, ticket.id, "evidence_purged")
    assert event.actor == "system"
    assert event.details["count"] == 2
    assert event.details["retention_days"] == 90

    # What reviewers see: the history, the rows with `purged_at`, the retention state,
    # and a clear 404 for the file and its preview.
    view = lead.get(f"/tickets/{ticket.reference}/history")
    assert view.json["events"][-1]["action"] == "evidence_purged"
    shown = reviewer_json(app, ticket.id)
    assert shown["retention"]["state"] == "purged"
    assert shown["retention"]["purged_at"] == iso(row.purged_at)
    evidence = shown["evidence"]
    assert all(e["purged_at"] == iso(row.purged_at) for e in evidence)
    day = row.purged_at.strftime("%Y-%m-%d")
    for e in evidence:
        response = reviewer.get(f"/evidence/{e['id']}/content")
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"
        message = response.json["error"]["message"]
        assert "deleted under the retention policy" in message and day in message
    png = next(e for e in evidence if e["content_type"] == "image/png")
    browser = app.test_client()
    sign_in(browser, reviewer.email)
    page = browser.get(f"/review/evidence/{png['id']}/pages/1.png")
    assert page.status_code == 404
    assert "deleted under the retention policy" in page.text
    review_page = browser.get(f"/review/tickets/{ticket.reference}")
    assert review_page.status_code == 200
    assert "The files were deleted on" in review_page.text
    assert review_page.text.count("Deleted under the retention policy on") == 2
    assert stored(app, ticket.id) == set()  # showing the page rendered no preview again
    # The customer's JSON shows it too (their own rows).
    customer = lead.client.get(f"/api/v1/tickets/{ticket.reference}", headers=ticket.headers)
    assert all(e["purged_at"] for e in customer.json["evidence"])


def test_a_withdrawn_ticket_counts_from_its_withdrawal_not_its_last_write(app, closed):
    ticket = closed("withdrawn", previews=False)
    age(app, ticket.id, 91)
    with app.app_context():  # a later write to the row (a recheck, a hold lifted)
        db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(updated_at=utcnow()))
        db.session.commit()
    assert purge(app).purged == {ticket.reference: 2}
    assert stored(app, ticket.id) == set()


def test_an_open_ticket_is_never_purged(app, submitted):
    ticket = submitted()
    tid = ticket_id(app, ticket.reference)
    keys = stored(app, tid)
    report = purge(app, now=utcnow() + timedelta(days=1000))
    assert report.purged == {}
    assert stored(app, tid) == keys


def test_a_second_run_changes_nothing(app, any_store, closed):
    first, second = closed(), closed(previews=False)
    for ticket in (first, second):
        age(app, ticket.id, 100)
    report = purge(app)
    assert set(report.purged) == {first.reference, second.reference}
    history = {t.id: [e.id for e in events(app, t.id)] for t in (first, second)}
    marks = {t.id: rows(app, t.id) for t in (first, second)}
    again = purge(app)
    assert (again.purged, again.resumed, again.skipped, again.failed) == ({}, {}, [], {})
    assert again.objects_deleted == 0
    assert {t.id: [e.id for e in events(app, t.id)] for t in (first, second)} == history
    assert {t.id: rows(app, t.id) for t in (first, second)} == marks


def test_the_job_and_the_command(app, runner, closed):
    due, recent = closed(previews=False), closed(previews=False)
    age(app, due.id, 120)
    dry = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would purge {due.reference} (2 file(s))" in dry.output
    assert recent.reference not in dry.output
    assert len(stored(app, due.id)) == 2  # the dry run deleted nothing
    assert ticket_row(app, due.id).purged_at is None

    done = runner.invoke(args=["retention", "purge"])
    assert done.exit_code == 0, done.output
    assert f"purged {due.reference} (2 file(s))" in done.output
    assert stored(app, due.id) == set()
    assert len(stored(app, recent.id)) == 2

    # The periodic job: nothing left to do, it says so and changes nothing.
    with app.app_context():
        result = app.extensions["celery"].tasks["triage.retention.purge"].apply()
    assert result.get(disable_sync_subtasks=False) == 0  # eager: nothing to wait for
    age(app, recent.id, 95)
    with app.app_context():
        result = app.extensions["celery"].tasks["triage.retention.purge"].apply()
    assert result.get(disable_sync_subtasks=False) == 1
    assert stored(app, recent.id) == set()
    nothing_missing_unmarked(app)


@pytest.mark.parametrize("days", [30])
def test_retention_days_is_a_setting(app_config, days, request):
    app_config["RETENTION_DAYS"] = days
    app = request.getfixturevalue("app")
    ticket = request.getfixturevalue("closed")(previews=False)
    age(app, ticket.id, days - 1)
    assert purge(app).purged == {}
    age(app, ticket.id, days + 1)
    assert purge(app).purged == {ticket.reference: 2}
