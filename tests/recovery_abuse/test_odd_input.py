"""Odd input on the new endpoints and look-alike contacts (recovery.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.review.second_helpers import first_approved, second
from triage.accounts.importing import import_records
from triage.extensions import db
from triage.notifications.models import Notification
from triage.tickets.models import Ticket

OWNER = "alice.owner@example.org"


@pytest.mark.parametrize(
    "note",
    ["x" * 10000, "bad\x00nul", "bell\x07", "rlo \u202e gnp.exe", "\r\n" * 3000],
    ids=["10k", "nul", "bell", "bidi", "crlf"],
)
def test_odd_notes_on_second_approval_and_hold_never_break(app, reviewer, lead, submitted, note):
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED)
    first_approved(reviewer, ticket)
    refused = second(lead, ticket.reference, "rejected", note)
    assert refused.status_code in (200, 400), refused.status_code
    hold = lead.post(f"/tickets/{ticket.reference}/legal-hold", {"reason": note})
    assert hold.status_code in (200, 201, 400), hold.status_code
    assert lead.get(f"/tickets/{ticket.reference}/history").status_code == 200


@pytest.mark.parametrize(
    "contact",
    [
        "\uff41lice.owner@example.org",  # full-width a: another mailbox, same key
        "Alice.Owner@Example.ORG",  # case only: the same mailbox in practice
    ],
    ids=["fullwidth", "case"],
)
def test_a_look_alike_contact_does_not_silence_the_owner(app, make_ticket, contact):
    with app.app_context():
        import_records(
            [(1, {"account_name": "acme-cloud", "email": OWNER, "mobile": "+86 138 0013 1234"})]
        )
        db.session.commit()
    response = app.test_client().post(
        "/api/v1/tickets", json={**CHANGE_DIRECT_AUTHENTICATED, "contact_email": contact}
    )
    if response.status_code == 400:
        return  # refused outright: nothing to silence
    assert response.status_code == 201
    token = response.json["access_token"]
    reference = response.json["reference"]
    submitted = app.test_client().post(
        f"/api/v1/tickets/{reference}/submit",
        headers={"Authorization": f"Bearer {token}"},
        json={"explanation": "lost everything"},
    )
    assert submitted.status_code == 200, submitted.json
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        recipients = list(
            db.session.scalars(
                select(Notification.recipient).where(Notification.ticket_id == ticket.id)
            )
        )
    if contact.lower() == OWNER:
        return  # the owner's own mailbox gets the customer's mails
    assert OWNER in recipients, (
        f"contact {contact!r} is not the owner's mailbox, yet the owner was not told: {recipients}"
    )


@pytest.mark.parametrize(
    "note", ["x" * 10000, "bad\x00nul", "rlo \u202e gnp.exe"], ids=["10k", "nul", "bidi"]
)
def test_odd_notes_on_the_pages_never_break(app, reviewer, lead, submitted, note):
    from tests.review.helpers import page_token, sign_in

    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED)
    first_approved(reviewer, ticket)
    browser = app.test_client()
    sign_in(browser, lead.email)
    path = f"/review/tickets/{ticket.reference}"
    for action, data in (
        ("second-approval", {"decision": "rejected", "note": note}),
        ("legal-hold", {"reason": note}),
        ("legal-hold/release", {"reason": note}),
    ):
        form = page_token(browser, path)
        response = browser.post(f"{path}/{action}", data={"csrf_token": form, **data})
        assert response.status_code < 500, (action, response.status_code)
        assert browser.get(path).status_code == 200


def test_a_non_utf8_note_on_the_second_approval_page(app, reviewer, lead, submitted):
    from tests.review.helpers import page_token, sign_in

    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED)
    first_approved(reviewer, ticket)
    browser = app.test_client()
    sign_in(browser, lead.email)
    path = f"/review/tickets/{ticket.reference}"
    form = page_token(browser, path)
    response = browser.post(
        f"{path}/second-approval",
        data=f"csrf_token={form}&decision=rejected&note=%ED%A0%80%FF",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code < 500, response.status_code
    api = lead.client.post(
        f"/api/v1/tickets/{ticket.reference}/second-approval",
        headers={**lead.headers, "Content-Type": "application/json"},
        data=b'{"decision": "rejected", "note": "\\ud800 \xff"}',
    )
    assert api.status_code == 400, api.status_code


@pytest.mark.parametrize("token", ["a" * 5000, "%00", "..%2F..%2Fetc", "\u202e" * 3, "x"])
def test_odd_not_me_tokens_read_as_unknown(app, token):
    client = app.test_client()
    assert client.get(f"/not-me/{token}").status_code in (404,)
    assert client.post(f"/not-me/{token}", data={"csrf_token": "x"}).status_code < 500
