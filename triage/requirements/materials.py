"""The material vocabulary of materials.md: every key a requirement may name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["document", "information"]


@dataclass(frozen=True)
class Material:
    key: str
    kind: Kind
    label: str
    hint: str = ""  # what a reviewer will look for, in the customer's words


def _doc(key: str, label: str, hint: str = "") -> Material:
    return Material(key, "document", label, hint)


def _info(key: str, label: str, hint: str = "") -> Material:
    return Material(key, "information", label, hint)


_CLEAR = "A clear, flat, well-lit photo or scan, without glare, showing all four edges."

MATERIALS: dict[str, Material] = {
    m.key: m
    for m in (
        _doc("real_name_certificate", "Real-name authentication certificate"),
        _doc(
            "transaction_records",
            "The last 3 transaction records (invoices, payment records, bank transfer records)",
        ),
        _doc(
            "card_holder_certificate",
            "Credit card holder's identity certificate",
            "The same identity document that was used for real-name authentication. " + _CLEAR,
        ),
        _doc(
            "card_front",
            "Front of the credit card: first 6 and last 4 digits, issuing bank and holder "
            "name readable; other digits hidden",
            "Cover the middle digits of the card number before you take the photo. " + _CLEAR,
        ),
        _doc(
            "authorization_letter",
            "Authorization letter on the template, stamped with the official seal and signed",
        ),
        _doc(
            "consumption_proof",
            "Consumption proof for the last 3 consecutive months, or the whole period if "
            "shorter (card bill details, invoices, historical bills)",
        ),
        _doc("bank_account_certificate", "Company certificate of the paying bank account"),
        _doc(
            "bank_transfer_proof",
            "Bank transfer proof for the last 3 consecutive months, or the whole period if shorter",
        ),
        _doc("partner_consent_email", "Email proving that the partner agreed"),
        _doc("partner_authorization_letter", "Partner authorization letter"),
        _doc("partner_certificate", "Partner certificate materials"),
        _doc("partner_consumption_proof", "Consumption proof, invoices, bills and payment records"),
        _doc("passport", "Passport", "The page with your photo. " + _CLEAR),
        _doc("id_card_front", "Resident identity card, front", _CLEAR),
        _doc("id_card_back", "Resident identity card, back", _CLEAR),
        _doc("driver_license", "Driver license", _CLEAR),
        _doc(
            "card_transactions",
            "Transaction details of the bound credit card for the last 6 months",
            "Your name on the statement must match your identity document.",
        ),
        _info("bank_account_name", "Name of the paying bank account (the enterprise name)"),
        _info("bank_account_number", "Number of the paying bank account"),
        _info(
            "original_mobile",
            "Original mobile number",
            "Leave empty if no mobile number was given at registration.",
        ),
        _info("phone_number", "Phone number"),
        _info("email", "Email address"),
        _info("user_name", "User name"),
        _info("enterprise_name", "Enterprise name"),
        _info(
            "contact_address",
            "Contact address: address line 1, optional line 2, city, "
            "province/state/autonomous region, postal code, country/region",
        ),
        _info(
            "last_service",
            "Name and date of the cloud service provisioned last time",
            "Leave empty if no cloud service was ever enabled.",
        ),
    )
}

DOCUMENT_KEYS = frozenset(k for k, m in MATERIALS.items() if m.kind == "document")
INFORMATION_KEYS = frozenset(k for k, m in MATERIALS.items() if m.kind == "information")
