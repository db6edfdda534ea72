"""The customer's ticket through the JSON API: create, read, information, submit, withdraw,
with every error code and shape of api.md."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED, UNFREEZE_WITH_CARD

NO_RULE = {**CHANGE_DIRECT_AUTHENTICATED, "real_name_auth": "not_completed", "payments_made": True}
NO_PAYMENTS = {
    **CHANGE_DIRECT_AUTHENTICATED,
    "real_name_auth": "not_completed",
    "payments_made": False,
}
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    error = response.json["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"].endswith((".", ")"))
    return error


# --- create ----------------------------------------------------------------------------------


def test_create_answers_the_ticket_and_its_access_token_once(client):
    response = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    assert response.status_code == 201
    body = response.json
    assert re.fullmatch(r"UF-[2-9A-Z]{4}-[2-9A-Z]{4}", body["reference"])
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}", body["access_token"])
    assert body["type"] == "unfreeze" and body["status"] == "draft"
    assert body["facts"] == {
        "type": "unfreeze",
        "account_type": "individual",
        "card_added": True,
        "customer_type": None,
        "real_name_auth": None,
        "payments_made": False,
        "enterprise_in_china": None,
    }
    assert body["account_name"] == "acme-cloud"
    assert ISO_UTC.match(body["created_at"]) and body["submitted_at"] is None
    assert body["outcome"] == "checklist"
    assert body["requirement"]["satisfied"] is False
    assert body["requirement"]["any_of"][1] == {"material": "card_front", "satisfied": False}
    assert body["complete"] is False
    assert body["missing"] == [
        "passport",
        "id_card_front",
        "id_card_back",
        "driver_license",
        "card_front",
        "card_transactions",
    ]
    assert body["checklist"][0] == {
        "key": "passport",
        "kind": "document",
        "label": "Passport",
        "status": "missing",
        "optional": False,
    }
    assert body["evidence"] == [] and body["information"] == {} and body["requests"] == []
    assert body["flags"] == [] and body["priority"] == "normal"

    again = client.get(
        f"/api/v1/tickets/{body['reference']}",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert again.status_code == 200
    assert "access_token" not in again.json
    assert again.json["reference"] == body["reference"]


def test_the_access_token_is_stored_only_as_a_hash(client, app):
    from triage.extensions import db
    from triage.history.models import Event
    from triage.tickets.models import Ticket

    token = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD).json["access_token"]
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        plain = token.replace("-", "")
        assert ticket.access_token_hash == hashlib.sha256(plain.encode()).hexdigest()
        row = {c.name: getattr(ticket, c.key) for c in Ticket.__table__.columns}
        events = [e.details for e in db.session.scalars(select(Event))]
    assert plain not in repr(row) and token not in repr(row)
    assert token not in repr(events) and plain not in repr(events)


def test_the_token_is_forgiving_about_dashes_case_and_confusable_letters(make_ticket, client):
    ticket = make_ticket()
    sloppy = ticket.token.replace("-", " ").lower().replace("0", "o").replace("1", "l")
    response = client.get(
        f"/api/v1/tickets/{ticket.reference.lower()}", headers={"Authorization": f"Bearer {sloppy}"}
    )
    assert response.status_code == 200
    assert response.json["reference"] == ticket.reference


def test_account_change_keeps_the_requested_change(client):
    body = {
        **CHANGE_DIRECT_AUTHENTICATED,
        "change": {"mobile": "+86 138 0013 8000", "email": "New.Owner@Example.com"},
    }
    created = client.post("/api/v1/tickets", json=body).json
    assert created["reference"].startswith("AC-")
    assert created["change"] == {"mobile": "+86 138 0013 8000", "email": "New.Owner@example.com"}
    assert created["missing"] == ["real_name_certificate", "transaction_records"]


def test_a_combination_without_a_rule_is_filed_for_manual_review(make_ticket):
    body = make_ticket(NO_RULE).get()
    assert body["outcome"] == "manual_review"
    assert body["requirement"] is None and body["checklist"] == []
    assert "No standard list" in body["message"]
    assert body["complete"] is False and body["missing"] == []


def test_create_names_every_missing_or_wrong_field(client):
    error = error_of(
        client.post("/api/v1/tickets", json={"type": "account_change"}), 400, "invalid_request"
    )
    assert error["fields"] == {
        "customer_type": "is required",
        "real_name_auth": "is required",
        "account_type": "is required",
        "card_added": "is required",
        "account_name": "is required",
        "contact_email": "is required",
        "change": "give the new mobile number, the new email address, or both",
    }


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"account_name": "   "}, "account_name", "is required"),
        ({"account_name": 42}, "account_name", "must be text"),
        ({"account_name": "x" * 201}, "account_name", "must be at most 200 characters"),
        ({"contact_email": "owner@"}, "contact_email", "is not a valid email address"),
        ({"card_added": "perhaps"}, "card_added", "must be true or false"),
        ({"type": "refund"}, "type", "must be one of: account_change, unfreeze"),
        ({"restriction_reason": "bored"}, "restriction_reason", "must be one of:"),
        ({"restriction_reason": ["unknown"]}, "restriction_reason", "must be one of:"),
        ({"description": "a\x00b"}, "description", "contains control characters"),
    ],
)
def test_create_refuses_bad_values_with_fields(client, changes, field, words):
    response = client.post("/api/v1/tickets", json={**UNFREEZE_WITH_CARD, **changes})
    error = error_of(response, 400, "invalid_request")
    assert error["fields"][field].startswith(words)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mobile": "call me"}, "change.mobile"),
        ({"email": "nope"}, "change.email"),
        ("+44 7700 900123", "change"),
        ({"mobile": "  ", "email": ""}, "change"),
    ],
)
def test_create_checks_the_requested_change(client, change, field):
    response = client.post(
        "/api/v1/tickets", json={**CHANGE_DIRECT_AUTHENTICATED, "change": change}
    )
    assert field in error_of(response, 400, "invalid_request")["fields"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b""])
def test_create_refuses_a_body_that_is_not_a_json_object(client, body):
    response = client.post("/api/v1/tickets", data=body, content_type="application/json")
    error = error_of(response, 400, "invalid_request")
    assert error["fields"] == {"body": "malformed JSON or not an object"}


def test_nothing_is_created_when_create_is_refused(client, app):
    from triage.extensions import db
    from triage.tickets.models import Ticket

    client.post("/api/v1/tickets", json={**UNFREEZE_WITH_CARD, "contact_email": "x"})
    with app.app_context():
        assert db.session.scalars(select(Ticket)).all() == []


# --- who may read ----------------------------------------------------------------------------


def test_no_token_and_a_wrong_token_answer_401(make_ticket, client):
    ticket = make_ticket()
    path = f"/api/v1/tickets/{ticket.reference}"
    error = error_of(client.get(path), 401, "unauthorized")
    assert "Bearer" in error["message"]
    error_of(client.get(path, headers={"Authorization": "Bearer WRONG-CODE"}), 401, "unauthorized")
    error_of(
        client.get(path, headers={"Authorization": f"Basic {ticket.token}"}), 401, "unauthorized"
    )


def test_another_tickets_token_answers_404_like_a_missing_ticket(make_ticket, client):
    mine, theirs = make_ticket(), make_ticket(account_name="someone-else")
    foreign = client.get(f"/api/v1/tickets/{theirs.reference}", headers=mine.headers)
    missing = client.get("/api/v1/tickets/UF-2222-2222", headers=mine.headers)
    assert error_of(foreign, 404, "not_found") == error_of(missing, 404, "not_found")
    for path, kwargs in [
        ("evidence", {"data": {"material": "passport"}}),
        ("submit", {"json": {"explanation": "x"}}),
        ("withdraw", {}),
    ]:
        response = client.post(
            f"/api/v1/tickets/{theirs.reference}/{path}", headers=mine.headers, **kwargs
        )
        error_of(response, 404, "not_found")
    response = client.put(
        f"/api/v1/tickets/{theirs.reference}/information",
        headers=mine.headers,
        json={"email": "a@example.com"},
    )
    error_of(response, 404, "not_found")
    assert theirs.get()["status"] == "draft"


# --- information -----------------------------------------------------------------------------


def test_information_is_validated_and_saved(make_ticket):
    ticket = make_ticket(NO_PAYMENTS)
    response = ticket.put_information(
        {
            "email": "Me@Example.com",
            "user_name": "  Li Wei ",
            "original_mobile": "",
            "contact_address": {
                "line1": "1 Main Street",
                "city": "Hangzhou",
                "province": "Zhejiang",
                "postal_code": "310000",
                "country": "China",
            },
        }
    )
    assert response.status_code == 200
    body = response.json
    assert body["information"] == {
        "email": "Me@example.com",
        "user_name": "Li Wei",
        "contact_address": {
            "line1": "1 Main Street",
            "line2": "",
            "city": "Hangzhou",
            "province": "Zhejiang",
            "postal_code": "310000",
            "country": "China",
        },
    }
    statuses = {i["key"]: i["status"] for i in body["checklist"]}
    assert statuses == {
        "original_mobile": "missing",
        "email": "provided",
        "user_name": "provided",
        "contact_address": "provided",
    }
    assert body["complete"] is True and body["missing"] == []


def test_information_errors_name_each_field(make_ticket):
    ticket = make_ticket(NO_PAYMENTS)
    response = ticket.put_information(
        {
            "email": "not-an-address",
            "original_mobile": "12",
            "contact_address": {"line1": "1 Main Street"},
        }
    )
    error = error_of(response, 400, "invalid_request")
    fields = error["fields"]
    assert fields["email"].startswith("is not a valid email address")
    assert fields["original_mobile"].startswith("is not a phone number")
    assert fields["contact_address.city"] == "City is required"
    assert "contact_address.line2" not in fields
    assert ticket.get()["information"] == {}


def test_an_unknown_information_key_answers_422(make_ticket):
    ticket = make_ticket(NO_PAYMENTS)
    error = error_of(ticket.put_information({"shoe_size": "42"}), 422, "unknown_material")
    assert error["fields"] == {"shoe_size": "is not a known material key"}


def test_a_key_this_ticket_does_not_ask_for_is_invalid(make_ticket):
    ticket = make_ticket()  # unfreeze: documents only
    error = error_of(
        ticket.put_information({"email": "a@example.com", "passport": "x"}), 400, "invalid_request"
    )
    assert error["fields"] == {
        "email": "is not an information item of this ticket",
        "passport": "is not an information item of this ticket",
    }


@pytest.mark.parametrize("body", [b"{oops", b"[]", b"null"])
def test_information_must_be_a_json_object(make_ticket, client, body):
    ticket = make_ticket(NO_PAYMENTS)
    response = client.put(
        f"/api/v1/tickets/{ticket.reference}/information",
        data=body,
        headers=ticket.headers,
        content_type="application/json",
    )
    assert "body" in error_of(response, 400, "invalid_request")["fields"]


def test_an_empty_value_removes_an_item(make_ticket):
    ticket = make_ticket(NO_PAYMENTS)
    ticket.put_information({"email": "me@example.com", "user_name": "Li Wei"})
    body = ticket.put_information({"email": "  "}).json
    assert body["information"] == {"user_name": "Li Wei"}


# --- submit and withdraw ---------------------------------------------------------------------


def test_submit_refuses_an_incomplete_ticket_with_the_missing_keys(make_ticket, pdf_bytes):
    ticket = make_ticket()
    assert ticket.upload("passport", pdf_bytes, "passport.pdf").status_code == 201
    error = error_of(ticket.submit(), 409, "requirements_not_met")
    assert error["missing"] == ["card_front", "card_transactions"]
    assert ticket.get()["status"] == "draft"


def test_submit_with_an_explanation_flags_the_ticket_incomplete(make_ticket):
    ticket = make_ticket()
    response = ticket.submit("My passport is at the embassy for a visa.")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "awaiting_review"
    assert "incomplete" in body["flags"]
    assert body["explanation"] == "My passport is at the embassy for a visa."
    assert ISO_UTC.match(body["submitted_at"])


def test_a_complete_ticket_is_submitted_without_flags(make_ticket, pdf_bytes):
    ticket = make_ticket(NO_PAYMENTS)
    ticket.put_information(
        {
            "email": "me@example.com",
            "user_name": "Li Wei",
            "contact_address": {
                "line1": "1 Main St",
                "city": "Leeds",
                "province": "West Yorkshire",
                "postal_code": "LS1 1AA",
                "country": "United Kingdom",
            },
        }
    )
    body = ticket.submit().json
    assert body["status"] == "awaiting_review" and body["flags"] == []
    assert body["complete"] is True


def test_submit_twice_is_an_invalid_state(make_ticket):
    ticket = make_ticket()
    ticket.submit("Nothing to hand yet.")
    error_of(ticket.submit("again"), 409, "invalid_state")


@pytest.mark.parametrize("body", [b"{oops", b'{"explanation": 7}'])
def test_submit_refuses_a_bad_body(make_ticket, client, body):
    ticket = make_ticket()
    response = client.post(
        f"/api/v1/tickets/{ticket.reference}/submit",
        data=body,
        headers=ticket.headers,
        content_type="application/json",
    )
    error_of(response, 400, "invalid_request")
    assert ticket.get()["status"] == "draft"


def test_withdraw_closes_the_ticket_for_good(make_ticket, client, pdf_bytes):
    ticket = make_ticket()
    path = f"/api/v1/tickets/{ticket.reference}/withdraw"
    response = client.post(path, headers=ticket.headers)
    assert response.status_code == 200 and response.json["status"] == "withdrawn"
    error_of(client.post(path, headers=ticket.headers), 409, "invalid_state")
    error_of(ticket.upload("passport", pdf_bytes, "p.pdf"), 409, "invalid_state")
    error_of(ticket.submit("x"), 409, "invalid_state")
    error_of(ticket.put_information({}), 409, "invalid_state")


def test_a_submitted_ticket_may_still_be_withdrawn(make_ticket, client):
    ticket = make_ticket()
    ticket.submit("No documents at hand.")
    response = client.post(f"/api/v1/tickets/{ticket.reference}/withdraw", headers=ticket.headers)
    assert response.json["status"] == "withdrawn"


# --- upload codes (the full bad-input list is in test_uploads.py) ----------------------------


def test_upload_error_codes_and_shapes(make_ticket, pdf_bytes, client):
    ticket = make_ticket()
    error_of(ticket.upload("passport", b"hello", "notes.txt"), 415, "unsupported_file_type")
    error_of(ticket.upload("passport", pdf_bytes, "passport.jpg"), 415, "file_type_mismatch")
    error_of(ticket.upload("passport", b"", "passport.pdf"), 400, "empty_file")
    error_of(
        ticket.upload("passport", pdf_bytes + b" " * (5 * 1024 * 1024), "big.pdf"),
        413,
        "file_too_large",
    )
    error = error_of(ticket.upload("selfie", pdf_bytes, "me.pdf"), 422, "unknown_material")
    assert "selfie" in error["message"]
    response = client.post(
        f"/api/v1/tickets/{ticket.reference}/evidence", headers=ticket.headers, data={}
    )
    error = error_of(response, 400, "invalid_request")
    assert set(error["fields"]) == {"material", "file"}


def test_an_information_key_is_not_an_upload(make_ticket, pdf_bytes):
    ticket = make_ticket(NO_PAYMENTS)
    error = error_of(ticket.upload("email", pdf_bytes, "mail.pdf"), 422, "unknown_material")
    assert "information form" in error["message"]


# --- rate limits -----------------------------------------------------------------------------


@pytest.fixture
def limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True


def test_ticket_creation_is_rate_limited(limited, client):
    statuses = [
        client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD).status_code for _ in range(6)
    ]
    assert statuses == [201] * 5 + [429]
    response = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    error = error_of(response, 429, "rate_limited")
    assert "wait" in error["message"]
    # When to come back, though no other answer carries the limiter's headers.
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    assert not any(h.lower().startswith("x-ratelimit") for h, _ in response.headers.items())


def test_guessing_access_codes_is_rate_limited(limited, make_ticket, client):
    ticket = make_ticket()
    path = f"/api/v1/tickets/{ticket.reference}"
    statuses = [
        client.get(path, headers={"Authorization": f"Bearer GUESS-{i}"}).status_code
        for i in range(31)
    ]
    assert statuses == [401] * 30 + [429]
    error_of(client.get(path, headers=ticket.headers), 429, "rate_limited")


def test_the_right_code_is_not_counted_as_a_guess(limited, make_ticket, client):
    ticket = make_ticket()
    for _ in range(35):
        assert (
            client.get(f"/api/v1/tickets/{ticket.reference}", headers=ticket.headers).status_code
            == 200
        )
