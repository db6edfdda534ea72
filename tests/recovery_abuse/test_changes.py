"""`GET /api/v1/changes` and the waiting period's edge (recovery.md "Notice to the
registered owner, and a waiting period")."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.recovery_abuse.helpers import make_link, not_me_form, row
from tests.review.helpers import known_account
from tests.review.second_helpers import CHANGE, first_approved, second
from triage.extensions import db
from triage.tickets.models import Ticket
from triage.timeutil import utcnow


def _set(app, reference, **values):
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        for k, v in values.items():
            setattr(ticket, k, v)
        db.session.commit()


def test_the_link_pressed_as_effective_at_passes_changes_nothing(app, reviewer, lead, submitted):
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket)
    assert second(lead, ticket.reference, "approved", "ok").status_code == 200
    make_link(app, ticket.reference, "edge-token")
    owner = app.test_client()
    _set(app, ticket.reference, effective_at=utcnow() + timedelta(seconds=1.5))
    form = not_me_form(owner, "edge-token")  # still open
    time.sleep(1.6)
    pressed = owner.post("/not-me/edge-token", data={"csrf_token": form})
    assert pressed.status_code == 409
    assert row(app, ticket.reference).status == "approved"
    ready = lead.get("/changes", query_string={"ready": "true"}).json
    assert [i["reference"] for i in ready["items"]] == [ticket.reference]


@pytest.mark.parametrize(
    "query",
    [
        {"ready": "maybe"},
        {"limit": "0"},
        {"limit": "-1"},
        {"limit": "99999999999"},
        {"ready": ["true", "false"]},
        {"status": "approved"},
    ],
)
def test_changes_odd_queries_are_400(lead, query):
    response = lead.get("/changes", query_string=query)
    assert response.status_code == 400, (response.status_code, response.json)


def test_changes_name_the_account_of_record_not_the_look_alike(app, reviewer, lead, submitted):
    """Whoever applies the change reads `account_name`: it must be the account the record
    matched, not the customer's spelling with invisible or full-width characters."""
    known_account(app, "acme-cloud")
    typed = "\uff41cme-cloud\u200b"
    # known=False: the fixture would otherwise import a record under the typed spelling.
    ticket = submitted(CHANGE, account_name=typed, known=False)
    first_approved(reviewer, ticket)
    assert second(lead, ticket.reference, "approved", "ok").status_code == 200
    _set(app, ticket.reference, effective_at=utcnow() - timedelta(seconds=1))
    [item] = lead.get("/changes", query_string={"ready": "true"}).json["items"]
    assert item["account_name"] == "acme-cloud", item["account_name"]
    assert item["declared_account_name"] == typed and item["account_of_record"] is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHANGE_WAITING_HOURS", "-72"),
        ("RETENTION_DAYS", "-1"),
        ("VELOCITY_LIMIT", "-1"),
        ("SECOND_APPROVAL", "none"),
    ],
)
def test_nonsense_safeguard_settings_are_refused_at_start(monkeypatch, tmp_path, name, value):
    """A negative waiting period makes every change ready at once (the owner's link is
    dead on arrival); a negative retention purges documents on decision."""
    from config import ConfigError, load_config

    monkeypatch.setenv(name, value)
    import os

    with pytest.raises(ConfigError):
        load_config(os.environ, tmp_path)
