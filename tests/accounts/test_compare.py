"""The comparison rules and the masks (recovery.md "Accounts of record"): pure functions."""

from __future__ import annotations

import pytest

from triage.accounts.masks import mask_email, mask_mobile
from triage.accounts.records import RecordError, clean_record, compare, record_resolution

DECLARED = {
    "type": "account_change",
    "customer_type": "direct",
    "real_name_auth": "not_completed",
    "account_type": "individual",
    "card_added": False,
    "payments_made": False,
    "enterprise_in_china": None,
}


def _record(**values):
    return clean_record({"account_name": "acme", **values})


def test_equal_facts_make_no_difference():
    record = _record(
        customer_type="direct",
        real_name_auth="not_completed",
        account_type="individual",
        card_added=False,
        payments_made=False,
    )
    assert compare("account_change", DECLARED, record) == []
    assert record_resolution("account_change", DECLARED, record) is None


def test_every_differing_fact_is_listed_in_order():
    record = _record(real_name_auth="completed", card_added=True, payments_made=True)
    assert compare("account_change", DECLARED, record) == [
        {"fact": "real_name_auth", "declared": "not_completed", "record": "completed"},
        {"fact": "card_added", "declared": False, "record": True},
        {"fact": "payments_made", "declared": False, "record": True},
    ]
    # The record's list is the one its facts give: authenticated, with a card.
    resolution = record_resolution("account_change", DECLARED, record)
    assert resolution.rule.name == "direct_authenticated"


def test_facts_the_record_does_not_have_are_not_compared():
    assert compare("account_change", DECLARED, _record(email="a@example.org")) == []


def test_facts_the_ticket_type_does_not_ask_are_not_compared():
    unfreeze = {
        "type": "unfreeze",
        "account_type": "individual",
        "card_added": True,
        "payments_made": False,
        "customer_type": None,
        "real_name_auth": None,
    }
    record = _record(
        customer_type="reseller",
        real_name_auth="completed",
        payments_made=True,
        card_added=True,
        account_type="individual",
    )
    assert compare("unfreeze", unfreeze, record) == []
    record = _record(card_added=False)
    assert compare("unfreeze", unfreeze, record) == [
        {"fact": "card_added", "declared": True, "record": False}
    ]
    assert record_resolution("unfreeze", unfreeze, record).rule.name == "unfreeze_no_card"


def test_an_unanswered_optional_fact_claims_nothing():
    enterprise = {**DECLARED, "account_type": "enterprise", "enterprise_in_china": None}
    record = _record(account_type="enterprise", enterprise_in_china=True)
    assert compare("account_change", enterprise, record) == []
    answered = {**enterprise, "enterprise_in_china": False}
    assert compare("account_change", answered, record) == [
        {"fact": "enterprise_in_china", "declared": False, "record": True}
    ]


def test_enterprise_in_china_is_kept_for_enterprise_accounts_only():
    assert (
        _record(account_type="individual", enterprise_in_china=True)["enterprise_in_china"] is None
    )
    assert (
        _record(account_type="enterprise", enterprise_in_china="yes")["enterprise_in_china"] is True
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"customer_type": "wholesale"}, "customer_type"),
        ({"card_added": "perhaps"}, "card_added"),
        ({"card_last4": "123"}, "card_last4"),
        ({"card_last4": "12345"}, "card_last4"),
        (
            {"card_last4": "\uff11\uff12\uff13\uff14"},
            "card_last4",
        ),  # full-width digits are not digits here
        ({"card_added": False, "card_last4": "1234"}, "card_last4"),
        ({"email": "nobody"}, "email"),
        ({"mobile": "call me"}, "mobile"),
        ({"account_name": " "}, "account_name"),
    ],
)
def test_bad_values_are_refused(values, field):
    with pytest.raises(RecordError) as caught:
        clean_record({"account_name": "acme", **values})
    assert field in caught.value.fields


def test_a_directory_may_answer_more_keys_than_we_use():
    raw = {"account_name": "acme", "created": "2020-01-01"}
    assert clean_record(raw, strict=False)["account_name"] == "acme"
    with pytest.raises(RecordError):
        clean_record(raw)


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("alice@example.org", "a***@example.org"),
        ("a@example.org", "a***@example.org"),
        ("x.y+tag@mail.example.com", "x***@mail.example.com"),
        ("broken", "***"),
        (None, None),
    ],
)
def test_mask_email(email, masked):
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    ("mobile", "masked"),
    [
        ("+86 138 0013 1234", "+86 ***-****-1234"),
        ("+86-138-0013-1234", "+86 ***-****-1234"),
        ("+8613800131234", "+86 ***-****-1234"),
        ("+44 7700 900123", "+44 ***-****-0123"),
        ("+1 (555) 010-1234", "+1 ***-****-1234"),
        ("13800131234", "***-****-1234"),
        ("+86 1234", "+86 ***-****-****"),  # too short to show any digit safely
        (None, None),
    ],
)
def test_mask_mobile(mobile, masked):
    assert mask_mobile(mobile) == masked
