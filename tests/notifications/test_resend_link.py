"""Resend my private link (api.md "Notifications"; issue 11, item 3): a new code replaces
the old one and goes only to the ticket's contact address; always the same 202."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token
from tests.notifications.conftest import text_part

CODE = re.compile(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b")


def resend(client, reference: str, body):
    return client.post(f"/api/v1/tickets/{reference}/resend-link", json=body)


def opens(client, reference: str, code: str) -> bool:
    response = client.get(
        f"/api/v1/tickets/{reference}", headers={"Authorization": f"Bearer {code}"}
    )
    return response.status_code == 200


def test_a_new_code_replaces_the_old_and_is_emailed_to_the_contact_address_only(
    app, client, make_ticket, smtp
):
    ticket = make_ticket()
    smtp.wait_for(1)
    response = resend(client, ticket.reference, {"contact_email": " Owner@Example.com "})
    assert response.status_code == 202
    assert response.json["status"] == "accepted"

    message = smtp.wait_for(2)[-1]
    assert message["To"] == "owner@example.com"
    assert message["Subject"] == f"Your private link to ticket {ticket.reference}"
    text = text_part(message)
    new_code = CODE.search(text).group(1)
    assert f"https://triage.example/resume#{ticket.reference}:{new_code}" in text
    assert opens(client, ticket.reference, new_code)
    assert not opens(client, ticket.reference, ticket.token)  # the old code is gone
    with app.app_context():
        from sqlalchemy import select

        from triage.extensions import db
        from triage.notifications.models import Notification

        stored = db.session.scalar(select(Notification).where(Notification.kind == "access_link"))
        assert new_code not in str(stored.context)  # never stored, only its hash on the ticket


@pytest.mark.parametrize(
    "reference, address",
    [
        ("own", "someone-else@example.com"),  # a wrong address
        ("UF-ZZZZ-ZZZZ", "owner@example.com"),  # no such ticket
        ("own", "not an address"),
    ],
)
def test_the_answer_is_the_same_whatever_the_reference_and_address(
    client, make_ticket, smtp, reference, address
):
    ticket = make_ticket()
    smtp.wait_for(1)
    good = resend(client, ticket.reference, {"contact_email": "owner@example.com"})
    reference = ticket.reference if reference == "own" else reference
    other = resend(client, reference, {"contact_email": address})
    assert (other.status_code, other.json) == (good.status_code, good.json)
    assert len(smtp.wait_for(2)) == 2  # the welcome and the one good request
    assert [m["Subject"].startswith("Your private link") for m in smtp.messages] == [False, True]


def test_a_body_without_an_address_is_invalid(client):
    response = resend(client, "UF-ZZZZ-ZZZZ", {"email": "x@example.com"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_request"
    assert "contact_email" in response.json["error"]["fields"]


@pytest.fixture
def limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_STORAGE_URI"] = "memory://"


def test_requests_are_rate_limited_per_reference_and_per_address(limited, app, smtp):
    client = app.test_client()
    for n in range(5):
        answer = resend(client, "UF-AAAA-AAAA", {"contact_email": f"a{n}@example.com"})
        assert answer.status_code == 202
    refused = resend(client, "UF-AAAA-AAAA", {"contact_email": "a9@example.com"})
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "rate_limited"
    # The same address, any reference: counted too (another client, so not per client).
    other = app.test_client()
    for n in range(5):
        answer = other.post(
            f"/api/v1/tickets/UF-BBB{n}-BBBB/resend-link",
            json={"contact_email": "same@example.com"},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
        assert answer.status_code == 202
    refused = other.post(
        "/api/v1/tickets/UF-CCCC-CCCC/resend-link",
        json={"contact_email": "SAME@example.com"},
        environ_base={"REMOTE_ADDR": "10.0.0.3"},
    )
    assert refused.status_code == 429


def test_the_page_asks_for_reference_and_address_with_csrf_and_says_the_same_thing(
    client, make_ticket, smtp
):
    ticket = make_ticket()
    smtp.wait_for(1)
    page = client.get(f"/tickets/resend-link?reference={ticket.reference}")
    assert page.status_code == 200
    assert f'value="{ticket.reference}"' in page.text
    no_token = client.post(
        "/tickets/resend-link",
        data={"reference": ticket.reference, "contact_email": "owner@example.com"},
    )
    assert no_token.status_code == 400
    answers = []
    for address in ("nobody@example.com", "owner@example.com"):
        token = csrf_token(client.get("/tickets/resend-link").text)
        answers.append(
            client.post(
                "/tickets/resend-link",
                data={
                    "reference": ticket.reference,
                    "contact_email": address,
                    "csrf_token": token,
                },
            )
        )
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].text == answers[1].text
    assert "a new private link is on its way" in answers[0].text
    assert len(smtp.wait_for(2)) == 2
    assert smtp.messages[-1]["To"] == "owner@example.com"


def test_a_new_code_also_ends_every_browser_the_old_one_opened(app, client, make_ticket, smtp):
    """Someone who may have the old code is out once the new link is sent, on any device."""
    ticket = make_ticket()
    smtp.wait_for(1)
    browser = app.test_client()  # a device that opened the ticket with the old code
    page = browser.get("/resume")
    browser.post(
        "/resume",
        data={
            "reference": ticket.reference,
            "code": ticket.token,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert browser.get(f"/tickets/{ticket.reference}").status_code == 200

    assert (
        resend(client, ticket.reference, {"contact_email": "owner@example.com"}).status_code == 202
    )
    smtp.wait_for(2)
    again = browser.get(f"/tickets/{ticket.reference}")
    assert again.status_code == 302 and "/resume" in again.headers["Location"]
    new_code = CODE.search(text_part(smtp.messages[-1])).group(1)
    assert opens(client, ticket.reference, new_code)  # the new link still opens it


@pytest.mark.parametrize(
    "lang, words",
    [
        ("es", "Dirección de correo que indicó en la solicitud"),
        ("zh_Hans", "您在工单中填写的邮箱地址"),
    ],
)
def test_the_page_speaks_the_customers_language(client, lang, words):
    page = client.get(f"/tickets/resend-link?lang={lang}")
    assert page.status_code == 200 and words in page.text
    assert "Email address you gave" not in page.text
