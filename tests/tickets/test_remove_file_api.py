"""Removing a file through the API (`DELETE /api/v1/tickets/<ref>/evidence/<id>`)."""

from __future__ import annotations

import pytest

from tests.review.helpers import unique_pdf


def test_a_customer_removes_a_file_uploaded_by_mistake(app, make_ticket, pdf_bytes):
    from storage import StorageError
    from triage.evidence.models import Evidence
    from triage.extensions import db
    from triage.history.models import Event

    ticket = make_ticket()
    item = ticket.upload("passport", unique_pdf(pdf_bytes), "wrong.pdf").json
    with app.app_context():
        key = db.session.get(Evidence, item["id"]).storage_key
    response = ticket.client.delete(
        f"/api/v1/tickets/{ticket.reference}/evidence/{item['id']}", headers=ticket.headers
    )
    assert response.status_code == 200, response.json
    assert all(e["id"] != item["id"] for e in response.json["evidence"])
    with app.app_context():
        assert db.session.get(Evidence, item["id"]) is None
        assert "evidence_removed" in [e.action for e in db.session.query(Event)]
    with pytest.raises(StorageError):  # the stored object went after the commit
        app.extensions["evidence_store"].open(key)


def test_another_tickets_file_is_not_found(make_ticket, pdf_bytes):
    mine, theirs = make_ticket(), make_ticket()
    item = theirs.upload("passport", unique_pdf(pdf_bytes), "p.pdf").json
    response = mine.client.delete(
        f"/api/v1/tickets/{mine.reference}/evidence/{item['id']}", headers=mine.headers
    )
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_a_submitted_tickets_file_stays(make_ticket, pdf_bytes):
    ticket = make_ticket()
    item = ticket.upload("passport", unique_pdf(pdf_bytes), "p.pdf").json
    ticket.submit("The card is with my bank.")
    response = ticket.client.delete(
        f"/api/v1/tickets/{ticket.reference}/evidence/{item['id']}", headers=ticket.headers
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "invalid_state"


def test_without_the_code_nothing_is_removed(client, make_ticket, pdf_bytes):
    ticket = make_ticket()
    item = ticket.upload("passport", unique_pdf(pdf_bytes), "p.pdf").json
    response = client.delete(f"/api/v1/tickets/{ticket.reference}/evidence/{item['id']}")
    assert response.status_code == 401
    assert any(e["id"] == item["id"] for e in ticket.get()["evidence"])
