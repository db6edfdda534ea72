"""GET /api/v1/requirements: what a ticket with these facts needs, creating nothing."""

from __future__ import annotations

from sqlalchemy import func, select


def requirements(client, **params):
    return client.get("/api/v1/requirements", query_string=params)


def test_unfreeze_with_a_card_needs_any_two_of_three_groups(client):
    response = requirements(client, type="unfreeze", account_type="individual", card_added="true")
    assert response.status_code == 200
    body = response.json
    assert body["type"] == "unfreeze" and body["outcome"] == "checklist"
    assert "message" not in body
    top = body["requirement"]
    assert top["min"] == 2 and len(top["any_of"]) == 3
    identity, card_front, transactions = top["any_of"]
    assert identity == {
        "any_of": [
            {"material": "passport"},
            {"all_of": [{"material": "id_card_front"}, {"material": "id_card_back"}]},
            {"material": "driver_license"},
        ],
        "min": 1,
    }
    assert card_front == {"material": "card_front"}
    assert transactions == {"material": "card_transactions"}
    keys = [m["key"] for m in body["materials"]]
    assert keys == [
        "passport",
        "id_card_front",
        "id_card_back",
        "driver_license",
        "card_front",
        "card_transactions",
    ]
    passport = body["materials"][0]
    assert passport == {
        "key": "passport",
        "kind": "document",
        "label": "Passport",
        "optional": False,
    }
    # A satisfied flag belongs to a ticket's tree only.
    assert "satisfied" not in top


def test_unfreeze_without_a_card_needs_one_identity_document(client):
    body = requirements(client, type="unfreeze", account_type="enterprise", card_added="false").json
    assert body["requirement"]["min"] == 1
    assert [m["key"] for m in body["materials"]] == [
        "passport",
        "id_card_front",
        "id_card_back",
        "driver_license",
    ]


def test_direct_authenticated_enterprise_with_card_lists_letter_and_card_items(client):
    body = requirements(
        client,
        type="account_change",
        customer_type="direct",
        real_name_auth="completed",
        account_type="enterprise",
        card_added="true",
    ).json
    assert [m["key"] for m in body["materials"]] == [
        "real_name_certificate",
        "authorization_letter",
        "transaction_records",
        "card_holder_certificate",
        "card_front",
    ]
    assert body["rule"]["name"] == "direct_authenticated"


def test_information_items_are_marked_and_optional_ones_flagged(client):
    body = requirements(
        client,
        type="account_change",
        customer_type="direct",
        real_name_auth="not_completed",
        account_type="individual",
        card_added="false",
        payments_made="false",
    ).json
    materials = {m["key"]: m for m in body["materials"]}
    assert materials["original_mobile"] == {
        "key": "original_mobile",
        "kind": "information",
        "label": "Original mobile number",
        "optional": True,
    }
    assert materials["email"]["optional"] is False
    assert "user_name" in materials and "enterprise_name" not in materials
    assert {"material": "original_mobile", "optional": True} in body["requirement"]["all_of"]


def test_the_combination_without_a_rule_answers_manual_review(client):
    body = requirements(
        client,
        type="account_change",
        customer_type="direct",
        real_name_auth="not_completed",
        account_type="individual",
        card_added="false",
        payments_made="true",
    ).json
    assert body["outcome"] == "manual_review"
    assert body["requirement"] is None and body["materials"] == []
    assert "No standard list" in body["message"]


def test_missing_facts_are_named_one_by_one(client):
    response = requirements(client, type="account_change", account_type="individual")
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "invalid_request"
    assert error["fields"] == {
        "customer_type": "is required",
        "real_name_auth": "is required",
        "card_added": "is required",
    }
    assert error["message"]


def test_wrong_values_and_no_type_are_refused_with_fields(client):
    response = requirements(client, account_type="alien", card_added="maybe")
    assert response.status_code == 400
    fields = response.json["error"]["fields"]
    assert fields["type"].startswith("is required")
    assert fields["account_type"] == "must be one of: individual, enterprise"
    assert fields["card_added"] == "must be true or false"


def test_asking_creates_nothing(client, app):
    from triage.extensions import db
    from triage.tickets.models import Ticket

    requirements(client, type="unfreeze", account_type="individual", card_added="true")
    with app.app_context():
        assert db.session.scalar(select(func.count(Ticket.id))) == 0
