"""Validation of information items: email, phone numbers, addresses, plain text."""

from __future__ import annotations

import pytest

from triage.tickets.information import (
    InformationError,
    clean_address,
    clean_email,
    clean_information,
    clean_phone,
    clean_text,
    format_value,
)

ADDRESS = {
    "line1": "1 Main Street",
    "line2": "Flat 4",
    "city": "Hangzhou",
    "province": "Zhejiang",
    "postal_code": "310000",
    "country": "China",
}
ALL_INFO = {
    "email",
    "phone_number",
    "original_mobile",
    "user_name",
    "contact_address",
    "bank_account_number",
    "bank_account_name",
    "last_service",
}


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("li.wei@example.com", "li.wei@example.com"),
        ("  Li.Wei@Example.COM ", "Li.Wei@example.com"),  # the domain is case-insensitive
        ("王伟@例子.中国", "王伟@例子.中国"),
        ("a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"),
    ],
)
def test_good_email_addresses(typed, kept):
    assert clean_email(typed) == kept


@pytest.mark.parametrize(
    "typed",
    [
        "li.wei",
        "li@",
        "@example.com",
        "li wei@example.com",
        "li@@example.com",
        "li@example",
        "x" * 250 + "@e.com",
    ],
)
def test_bad_email_addresses(typed):
    with pytest.raises(ValueError) as error:
        clean_email(typed)
    assert str(error.value).startswith(("is not a valid email address", "must be at most"))


@pytest.mark.parametrize(
    "typed",
    [
        "+44 7700 900123",
        "+86 138-0013-8000",
        "13800138000",
        "(010) 6552 9988",
        "+1.415.555.0100",
        "020 7946 0958",
    ],
)
def test_good_phone_numbers_are_kept_as_typed(typed):
    assert clean_phone(f"  {typed} ") == typed


@pytest.mark.parametrize(
    "typed",
    [
        "12345",
        "call me",
        "+44 7700 9001 23 45 67 89 01",
        "+",
        "44-",
        "7700 900123 ext. 4",
        "+44 (0) 7700 900123 4567 8",
    ],
)
def test_bad_phone_numbers(typed):
    with pytest.raises(ValueError) as error:
        clean_phone(typed)
    assert "phone number" in str(error.value) or "at most" in str(error.value)


def test_a_complete_address_is_kept_and_line2_is_optional():
    assert clean_address(ADDRESS) == ADDRESS
    without_line2 = {k: v for k, v in ADDRESS.items() if k != "line2"}
    assert clean_address(without_line2) == {**without_line2, "line2": ""}


def test_every_missing_address_part_is_named():
    with pytest.raises(InformationError) as error:
        clean_address({"line1": "  ", "line2": "x"})
    assert error.value.fields == {
        "contact_address.line1": "Address line 1 is required",
        "contact_address.city": "City is required",
        "contact_address.province": "Province, state or autonomous region is required",
        "contact_address.postal_code": "Postal code is required",
        "contact_address.country": "Country or region is required",
    }


def test_address_parts_must_be_text_and_known():
    with pytest.raises(InformationError) as error:
        clean_address({**ADDRESS, "city": 7, "planet": "Earth"})
    assert error.value.fields == {
        "contact_address.city": "must be text",
        "contact_address": "unknown parts: planet",
    }
    with pytest.raises(InformationError) as error:
        clean_address("1 Main Street, Hangzhou")
    assert error.value.fields == {"contact_address": "must be an object with the address parts"}


def test_text_is_normalised_and_checked():
    assert clean_text("  Cafe\u0301  ") == "Café"  # NFC
    with pytest.raises(ValueError, match="control characters"):
        clean_text("Li\x07Wei")
    with pytest.raises(ValueError, match="at most 200 characters"):
        clean_text("x" * 201)
    with pytest.raises(ValueError, match="must be text"):
        clean_text(["Li"])


def test_clean_information_collects_every_error():
    values = {
        "email": "nope",
        "phone_number": "12",
        "user_name": "Li Wei",
        "contact_address": {"line1": "1 Main St"},
        "bank_account_number": "#!",
    }
    with pytest.raises(InformationError) as error:
        clean_information(values, ALL_INFO)
    fields = error.value.fields
    assert set(fields) == {
        "email",
        "phone_number",
        "bank_account_number",
        "contact_address.city",
        "contact_address.province",
        "contact_address.postal_code",
        "contact_address.country",
    }


def test_clean_information_refuses_items_the_ticket_does_not_have():
    with pytest.raises(InformationError) as error:
        clean_information({"email": "li@example.com"}, {"user_name"})
    assert error.value.fields == {"email": "is not an information item of this ticket"}


@pytest.mark.parametrize("empty", [None, "", "   ", {"line1": "", "city": "  "}])
def test_an_empty_answer_means_remove(empty):
    key = "contact_address" if isinstance(empty, dict) else "user_name"
    assert clean_information({key: empty}, ALL_INFO) == {key: None}


def test_format_value_joins_the_address_parts():
    assert format_value("contact_address", {**ADDRESS, "line2": ""}) == (
        "1 Main Street, Hangzhou, Zhejiang, 310000, China"
    )
    assert format_value("email", "li@example.com") == "li@example.com"


def test_the_api_returns_the_same_validation(make_ticket):
    from tests.tickets.test_api_tickets import NO_PAYMENTS

    ticket = make_ticket(NO_PAYMENTS)
    response = ticket.put_information(
        {
            "email": "li@",
            "original_mobile": "+44 7700 900123",
            "contact_address": {**ADDRESS, "postal_code": ""},
        }
    )
    assert response.status_code == 400
    fields = response.json["error"]["fields"]
    assert set(fields) == {"email", "contact_address.postal_code"}
    assert ticket.get()["information"] == {}
