"""Validation of information items (typed fields, not uploads). No Flask here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email

from triage import text as text_rules

ADDRESS_PARTS = ("line1", "line2", "city", "province", "postal_code", "country")
ADDRESS_REQUIRED = ("line1", "city", "province", "postal_code", "country")
ADDRESS_LABELS = {
    "line1": "Address line 1",
    "line2": "Address line 2",
    "city": "City",
    "province": "Province, state or autonomous region",
    "postal_code": "Postal code",
    "country": "Country or region",
}
# What is wrong with a value, in the words of the API's `fields` (English, api.md). Pages
# show each as a whole sentence in the customer's language (`forms.tickets.sentence` knows
# these words), so they are named once here rather than written out where they are raised.
NOT_AN_EMAIL = "is not a valid email address"
NOT_A_PHONE = "is not a phone number: use digits, with the country code, e.g. +44 7700 900123"
NOT_AN_ACCOUNT_NUMBER = "must be the account number or IBAN: letters, digits and spaces"
NOT_AN_ITEM = "is not an information item of this ticket"
# A required address part left empty: "City is required" (`field` is the part's label).
PART_REQUIRED = "%(field)s is required"


def part_required(part: str) -> str:
    """The `fields` words for address part `part` left empty ("City is required")."""
    return PART_REQUIRED % {"field": ADDRESS_LABELS[part]}


# Digits with the usual separators; an optional leading "+" and an area code in brackets.
_PHONE = re.compile(r"^\+?[0-9(][0-9 ()\-.]{4,24}$")
_ACCOUNT_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{3,40}$")


class InformationError(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def clean_text(value: Any, limit: int | None = None, field: str = "information") -> str:
    """`value` as accepted one-line text (triage.text's rule for `field`), NFC, stripped.

    ValueError saying what is wrong: not text, a refused character (lone surrogate, NUL,
    control, non-character), or longer than `limit` (default: the table's limit for `field`).
    """
    return text_rules.clean(value, field, max_length=limit)


def clean_email(value: Any) -> str:
    text = clean_text(value, field="email")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"{NOT_AN_EMAIL} ({text_rules.excerpt(str(exc), 120)})") from exc


def clean_phone(value: Any) -> str:
    text = clean_text(value, field="phone_number")
    digits = sum(ch.isdigit() for ch in text)
    if not _PHONE.match(text) or not 6 <= digits <= 17:
        raise ValueError(NOT_A_PHONE)
    return text


def clean_account_number(value: Any) -> str:
    text = clean_text(value, field="bank_account_number")
    if not _ACCOUNT_NUMBER.match(text):
        raise ValueError(NOT_AN_ACCOUNT_NUMBER)
    return text


def clean_address(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InformationError({"contact_address": "must be an object with the address parts"})
    address: dict[str, str] = {}
    errors: dict[str, str] = {}
    for part in ADDRESS_PARTS:
        raw = value.get(part) or ""
        try:
            text = clean_text(raw, field=f"contact_address.{part}")
        except ValueError as exc:
            errors[f"contact_address.{part}"] = str(exc)
            continue
        if not text and part in ADDRESS_REQUIRED:
            errors[f"contact_address.{part}"] = part_required(part)
        address[part] = text
    unknown = set(value) - set(ADDRESS_PARTS)
    if unknown:
        names = ", ".join(text_rules.excerpt(str(k)) for k in sorted(unknown, key=str)[:5])
        errors["contact_address"] = f"unknown parts: {names}"
    if errors:
        raise InformationError(errors)
    return address


_CLEANERS = {
    "email": clean_email,
    "phone_number": clean_phone,
    "original_mobile": clean_phone,
    "bank_account_number": clean_account_number,
    "contact_address": clean_address,
}


def clean_information(values: Mapping[str, Any], allowed: set[str]) -> dict[str, Any]:
    """Validated values; an empty value means "remove it". InformationError names each bad key."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in values.items():
        if key not in allowed:
            errors[key] = NOT_AN_ITEM
            continue
        if _blank(value):
            cleaned[key] = None
            continue
        try:
            # Only spaces is no answer at all: remove the item rather than store "".
            cleaned[key] = _CLEANERS.get(key, clean_text)(value) or None
        except InformationError as exc:
            errors.update(exc.fields)
        except ValueError as exc:
            errors[key] = str(exc)
    if errors:
        raise InformationError(errors)
    return cleaned


def _blank(value: Any) -> bool:
    """No answer: nothing, only spaces, or an address with every part empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return isinstance(value, Mapping) and all(_blank(v) for v in value.values())


def format_value(key: str, value: Any) -> str:
    if key == "contact_address" and isinstance(value, Mapping):
        return ", ".join(value[p] for p in ADDRESS_PARTS if value.get(p))
    return str(value)
