"""Removing a file uploaded by mistake: before submitting, and in `needs_more_info` for a
file the reviewer has not decided on. The row, its history and the stored object."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.tickets.conftest import JPEG, post_on_ticket, stored_keys, upload_on_web


def evidence_of(reference: str):
    from triage.evidence.models import Evidence
    from triage.extensions import db
    from triage.tickets.models import Ticket

    db.session.expire_all()
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
    return ticket, list(db.session.scalars(select(Evidence).where(Evidence.ticket_id == ticket.id)))


def remove_buttons(html: str) -> list[str]:
    return re.findall(r'action="(/tickets/[^"]+/evidence/[^"]+/remove)"', html)


def test_a_file_is_removed_before_submitting(app, client, web_ticket):
    reference, _ = web_ticket
    assert upload_on_web(client, reference, "passport", (JPEG, "wrong.jpg")).status_code == 302
    page = client.get(f"/tickets/{reference}").text
    [action] = remove_buttons(page)
    assert "Remove" in page

    response = post_on_ticket(client, reference, action.split(f"/tickets/{reference}/")[1])
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "“wrong.jpg” was removed." in page
    assert "wrong.jpg</span>" not in page
    with app.app_context():
        ticket, files = evidence_of(reference)
        assert files == []
        assert (ticket.evidence_count, ticket.evidence_bytes) == (0, 0)
        from triage.extensions import db
        from triage.history.models import Event

        actions = db.session.scalars(select(Event.action).where(Event.ticket_id == ticket.id))
        assert "evidence_removed" in list(actions)
    assert stored_keys(app) == []  # deleted after the commit


def test_only_the_tickets_own_files_can_be_removed(app, client, web_ticket, new_client):
    reference, _ = web_ticket
    upload_on_web(client, reference, "passport", (JPEG, "mine.jpg"))
    with app.app_context():
        _, [item] = evidence_of(reference)
    response = post_on_ticket(client, reference, "evidence/not-an-id/remove")
    assert response.status_code == 302
    assert "There is no such file on this ticket." in client.get(f"/tickets/{reference}").text
    other = new_client()
    assert other.post(f"/tickets/{reference}/evidence/{item.id}/remove").status_code in (400, 404)
    with app.app_context():
        assert len(evidence_of(reference)[1]) == 1


def test_after_submitting_files_cannot_be_removed(app, client, web_ticket):
    reference, _ = web_ticket
    upload_on_web(client, reference, "passport", (JPEG, "sent.jpg"))
    post_on_ticket(client, reference, "submit", {"explanation": "The rest later."})
    page = client.get(f"/tickets/{reference}").text
    assert remove_buttons(page) == []
    with app.app_context():
        _, [item] = evidence_of(reference)
    response = post_on_ticket(client, reference, f"evidence/{item.id}/remove")
    assert response.status_code == 302
    with app.app_context():
        assert len(evidence_of(reference)[1]) == 1


def test_in_needs_more_info_only_undecided_files_can_be_removed(app, client, web_ticket):
    from triage.errors import InvalidState
    from triage.evidence.removal import remove_evidence
    from triage.extensions import db

    reference, _ = web_ticket
    upload_on_web(client, reference, "passport", (JPEG, "checked.jpg"))
    upload_on_web(client, reference, "card_front", (JPEG, "new.jpg"))
    with app.app_context():
        ticket, files = evidence_of(reference)
        decided = next(f for f in files if f.filename == "checked.jpg")
        decided.decision, decided.reason = "rejected", "blurry"
        ticket.status = "needs_more_info"
        decided_id = decided.id
        undecided_id = next(f.id for f in files if f.filename == "new.jpg")
        db.session.commit()
    page = client.get(f"/tickets/{reference}").text
    [action] = remove_buttons(page)
    assert action.endswith(f"/{undecided_id}/remove")
    with app.app_context():
        ticket, _ = evidence_of(reference)
        try:
            remove_evidence(ticket, decided_id)
        except InvalidState as refused:
            assert "already checked" in refused.message
        else:
            raise AssertionError("a decided file was removed")
        db.session.rollback()
