"""recovery.md "Signals": look-alike account names match, and `velocity` marks a burst.

- `repeat_request`, `duplicate_evidence` and account-name matching use the normalised key
  (NFKC, case-folded, zero-width and bidirectional controls removed, spaces collapsed),
  so a look-alike name cannot hide a repeat.
- `velocity`: more than VELOCITY_LIMIT tickets (default 3) for one account, or from one
  contact email, in VELOCITY_WINDOW_HOURS (default 72); flagged at submission, shown in
  the queue and filterable there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from tests.review import helpers
from tests.review.helpers import sign_in, unique_pdf
from triage.extensions import db
from triage.text import normalise_name
from triage.tickets.models import Ticket
from triage.timeutil import utcnow

make_reviewer = helpers.make_reviewer  # the reviewer fixtures of tests/review
reviewer = helpers.reviewer

EXPLANATION = "The card was cancelled by the bank."

# One account written eight ways a person cannot tell apart (or barely).
LOOK_ALIKES = [
    "acme-cloud",
    "ACME-Cloud",  # case
    "\uff41\uff43\uff4d\uff45-cloud",  # full-width letters
    "acme\u200b-cloud",  # zero-width space
    "\ufeffacme-cloud",  # byte order mark
    "acme\u00ad-cloud",  # soft hyphen
    "\u202eacme-cloud\u202c",  # right-to-left override ... pop
    "\u2066acme\u200d-cloud\u2069",  # isolate, zero-width joiner
]


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_look_alike_names_have_one_key(name):
    assert normalise_name(name) == "acme-cloud"


def test_spaces_collapse_and_distinct_names_stay_distinct():
    assert normalise_name("  Acme\u3000\u00a0 Cloud\t") == "acme cloud"  # ideographic, no-break
    assert normalise_name("Stra\u00dfe") == normalise_name("STRASSE")  # full case folding
    assert normalise_name("acme-cloud") != normalise_name("acme-c1oud")
    assert normalise_name("acme cloud") != normalise_name("acme-cloud")


def _submit(make_ticket, **overrides: Any):
    ticket = make_ticket(**overrides)
    response = ticket.submit(EXPLANATION)
    assert response.status_code == 200, response.json
    return ticket


def _flags(app, reference: str) -> list[str]:
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        return ticket.flags


def test_a_look_alike_name_is_a_repeat_request(app, make_ticket):
    first = _submit(make_ticket, account_name="acme-cloud", contact_email="a@example.com")
    second = _submit(
        make_ticket, account_name="\uff21CME\u200b-Cloud ", contact_email="b@example.com"
    )
    assert "repeat_request" not in _flags(app, first.reference)
    assert "repeat_request" in _flags(app, second.reference)


def test_the_same_file_under_a_look_alike_name_is_not_another_accounts(app, make_ticket, pdf_bytes):
    data = unique_pdf(pdf_bytes)
    first = make_ticket(account_name="acme-cloud", contact_email="a@example.com")
    assert first.upload("passport", data, "p.pdf").status_code == 201
    assert first.submit(EXPLANATION).status_code == 200
    same = make_ticket(account_name="\u202eACME-cloud", contact_email="b@example.com")
    assert same.upload("passport", data, "p.pdf").status_code == 201
    assert same.submit(EXPLANATION).status_code == 200
    other = make_ticket(account_name="globex", contact_email="c@example.com")
    assert other.upload("passport", data, "p.pdf").status_code == 201
    assert other.submit(EXPLANATION).status_code == 200
    assert "duplicate_evidence" not in _flags(app, same.reference)
    assert "duplicate_evidence" in _flags(app, other.reference)


# --- velocity -----------------------------------------------------------------------------------


def test_the_fourth_ticket_for_one_account_in_the_window_is_flagged(app, make_ticket):
    # Default VELOCITY_LIMIT 3: three are fine, the fourth is "more than 3". Look-alike
    # spellings and different contact addresses do not hide it.
    made = [
        _submit(make_ticket, account_name=name, contact_email=f"c{i}@example.com")
        for i, name in enumerate(LOOK_ALIKES[:4])
    ]
    assert [("velocity" in _flags(app, t.reference)) for t in made] == [
        False,
        False,
        False,
        True,
    ]


def test_drafts_count_and_a_resubmission_is_judged_again(app, make_ticket):
    for i in range(3):
        make_ticket(account_name="acme-cloud", contact_email=f"d{i}@example.com")  # drafts
    fourth = _submit(make_ticket, account_name="Acme-Cloud", contact_email="x@example.com")
    assert "velocity" in _flags(app, fourth.reference)


def test_one_contact_email_for_many_accounts_is_flagged(app, make_ticket):
    addresses = [
        "owner@example.com",
        "Owner@Example.com",
        "\uff4fwner@example.com",
        "OWNER@EXAMPLE.COM",
    ]
    made = [
        _submit(make_ticket, account_name=f"account-{i}", contact_email=address)
        for i, address in enumerate(addresses)
    ]
    assert "velocity" not in _flags(app, made[2].reference)
    assert "velocity" in _flags(app, made[3].reference)


def test_tickets_before_the_window_do_not_count(app, make_ticket):
    old = [
        make_ticket(account_name="acme-cloud", contact_email=f"o{i}@example.com") for i in range(3)
    ]
    with app.app_context():
        db.session.execute(
            update(Ticket)
            .where(Ticket.reference.in_([t.reference for t in old]))
            .values(created_at=utcnow() - timedelta(hours=73))
        )
        db.session.commit()
    fresh = _submit(make_ticket, account_name="acme-cloud", contact_email="new@example.com")
    assert "velocity" not in _flags(app, fresh.reference)


@pytest.mark.parametrize("limit", [1, 2])
def test_the_limit_and_window_are_settings(app_config, limit, request):
    app_config.update(VELOCITY_LIMIT=limit, VELOCITY_WINDOW_HOURS=1)
    app = request.getfixturevalue("app")
    make_ticket = request.getfixturevalue("make_ticket")
    made = [
        _submit(make_ticket, account_name="acme-cloud", contact_email=f"s{i}@example.com")
        for i in range(limit + 1)
    ]
    assert "velocity" not in _flags(app, made[limit - 1].reference)
    assert "velocity" in _flags(app, made[limit].reference)
    # Two hours later (VELOCITY_WINDOW_HOURS=1), the burst is over.
    with app.app_context():
        db.session.execute(update(Ticket).values(created_at=utcnow() - timedelta(hours=2)))
        db.session.commit()
    later = _submit(make_ticket, account_name="acme-cloud", contact_email="t@example.com")
    assert "velocity" not in _flags(app, later.reference)


def test_velocity_is_two_indexed_queries(app, make_ticket):
    from triage.tickets.flags import _velocity

    for i in range(2):
        make_ticket(account_name="acme-cloud", contact_email=f"q{i}@example.com")
    ticket = make_ticket(account_name="acme-cloud", contact_email="q@example.com")
    with app.app_context():
        row = db.session.scalar(select(Ticket).where(Ticket.reference == ticket.reference))
        statements: list[tuple[str, Any]] = []

        def note(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert _velocity(row) is False
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        assert len(statements) == 2, statements
        if db.engine.dialect.name == "sqlite":
            indexes = ("ix_tickets_account_key", "ix_tickets_contact_key")
            for (statement, parameters), index in zip(statements, indexes, strict=True):
                plan = db.session.connection().exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters
                )
                assert index in " ".join(str(step) for step in plan.all())


# --- shown and filtered -------------------------------------------------------------------------


def test_the_queue_shows_and_filters_velocity(app, make_ticket, reviewer):
    calm = _submit(make_ticket, account_name="calm-account", contact_email="calm@example.com")
    burst = [
        _submit(make_ticket, account_name="acme-cloud", contact_email=f"b{i}@example.com")
        for i in range(4)
    ]
    response = reviewer.queue(flag="velocity")
    assert response.status_code == 200, response.json
    assert [i["reference"] for i in response.json["items"]] == [burst[3].reference]
    assert response.json["items"][0]["flags"].count("velocity") == 1
    everything = {i["reference"] for i in reviewer.queue().json["items"]}
    assert calm.reference in everything
    # The reviewers' JSON of the ticket shows it; the customer's never does.
    assert "velocity" not in burst[3].get()["flags"]


def test_the_queue_page_lists_the_flag_and_filters_by_it(app, make_ticket, reviewer):
    burst = [
        _submit(make_ticket, account_name="acme-cloud", contact_email=f"p{i}@example.com")
        for i in range(4)
    ]
    browser = app.test_client()
    sign_in(browser, reviewer.email)
    page = browser.get("/review/?flag=velocity")
    assert page.status_code == 200
    assert 'value="velocity" selected' in page.text
    assert "Many tickets for this account or from this contact email" in page.text
    assert burst[3].reference in page.text
    assert burst[0].reference not in page.text


def test_the_defaults_are_recovery_mds(app):
    assert app.config["VELOCITY_LIMIT"] == 3
    assert app.config["VELOCITY_WINDOW_HOURS"] == 72
