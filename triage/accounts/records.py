"""Accounts of record as data: what a record holds, how a row is validated, and how the
facts a customer declared compare with it. Pure: no Flask, no database.

recovery.md "Accounts of record": a record holds `account_name`, `customer_type`,
`real_name_auth`, `account_type`, `card_added`, `payments_made`, `enterprise_in_china`, the
registered `email` and `mobile`, and `card_last4` where a card is bound. The facts decide
the list of materials, so the declared ones are compared with the record's.

A record may also say the account's `language` (one this product writes: en, zh_Hans, es):
the registered owner's notices are written in it (triage.recovery.notices.owner_language),
never in the language of whoever filed the change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from triage import text as text_rules
from triage.languages import LANGUAGES, normalise
from triage.requirements import Facts, FactsError, Resolution, parse_facts, resolve
from triage.requirements.facts import CHOICES
from triage.tickets.information import clean_email, clean_phone

RECORD_KEYS = (
    "account_name",
    "customer_type",
    "real_name_auth",
    "account_type",
    "card_added",
    "payments_made",
    "enterprise_in_china",
    "email",
    "mobile",
    "card_last4",
    "language",
)
BOOLEAN_KEYS = ("card_added", "payments_made", "enterprise_in_china")
CHOICE_KEYS = ("customer_type", "real_name_auth", "account_type")
# The facts each ticket type asks (triage.requirements.facts): only these are compared, so
# an unfreeze ticket, which never asks the customer type, is not "mismatched" on it.
COMPARED_FACTS = {
    "account_change": (
        "customer_type",
        "real_name_auth",
        "account_type",
        "card_added",
        "payments_made",
        "enterprise_in_china",
    ),
    "unfreeze": ("account_type", "card_added", "enterprise_in_china"),
}
# Record statuses (Ticket.record_status).
MATCHED, MISMATCH, UNKNOWN, PENDING = "matched", "mismatch", "unknown", "pending"
RECORD_STATUSES = (MATCHED, MISMATCH, UNKNOWN, PENDING)

_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}
_LAST4 = re.compile(r"^[0-9]{4}$")


class RecordError(ValueError):
    """A record that breaks the rules; `fields` says what is wrong with each key."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("must be true or false")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def record_language(value: Any) -> str | None:
    """The supported language a record's `language` names, read as `?lang=` is
    (triage.languages.normalise: "zh-CN" → "zh_Hans", "es-MX" → "es"), or None."""
    return normalise(value)


def clean_record(raw: Mapping[str, Any], *, strict: bool = True) -> dict[str, Any]:
    """A record row (a CSV line, a JSON Lines object, the HTTP directory's answer) checked
    and normalised: every key of RECORD_KEYS, None where the row does not say.

    recovery.md "Accounts of record". Choices come from the facts' vocabulary
    (triage.requirements), booleans are true/false (yes/no, 1/0 in a CSV), `card_last4` is
    four digits and only where a card is bound, email and mobile follow the ticket's own
    rules. `enterprise_in_china` is kept for enterprise accounts only, as the facts keep
    it. `language` is one of LANGUAGES (in any of its spellings). `strict`: a key outside
    RECORD_KEYS is an error (an import's typo), and so is a language this product does not
    write; not strict, unknown
    keys are ignored (a directory may answer more than we use) and a language we do not
    write is None, so the owner is written in the default language rather than the
    directory being taken for down. RecordError names every bad key.
    """
    errors: dict[str, str] = {}
    if strict:
        for key in raw:
            if key not in RECORD_KEYS:
                errors[text_rules.excerpt(str(key), 40)] = "is not a field of an account record"
    out: dict[str, Any] = dict.fromkeys(RECORD_KEYS)
    name = raw.get("account_name")
    if _blank(name):
        errors["account_name"] = "is required"
    else:
        try:
            out["account_name"] = text_rules.clean(name, "account_name")
        except ValueError as exc:
            errors["account_name"] = str(exc)
    for key in CHOICE_KEYS:
        value = raw.get(key)
        if _blank(value):
            continue
        value = value.strip() if isinstance(value, str) else value
        if value not in CHOICES[key]:
            errors[key] = f"must be one of: {', '.join(CHOICES[key])}"
        else:
            out[key] = value
    for key in BOOLEAN_KEYS:
        value = raw.get(key)
        if _blank(value):
            continue
        try:
            out[key] = _boolean(value)
        except ValueError as exc:
            errors[key] = str(exc)
    for key, cleaner in (("email", clean_email), ("mobile", clean_phone)):
        value = raw.get(key)
        if _blank(value):
            continue
        try:
            out[key] = cleaner(value)
        except ValueError as exc:
            errors[key] = str(exc)
    last4 = raw.get("card_last4")
    if isinstance(last4, int) and not isinstance(last4, bool):
        last4 = f"{last4:04d}"  # a JSON number loses its leading zeros
    if not _blank(last4):
        if not isinstance(last4, str) or not _LAST4.match(last4.strip()):
            errors["card_last4"] = "must be exactly 4 digits"
        elif out["card_added"] is False:
            errors["card_last4"] = "is only for an account with a card bound (card_added)"
        else:
            out["card_last4"] = last4.strip()
    language = raw.get("language")
    if not _blank(language):
        out["language"] = record_language(language)
        if out["language"] is None and strict:
            errors["language"] = f"must be one of: {', '.join(LANGUAGES)}"
    if errors:
        raise RecordError(errors)
    if out["account_type"] != "enterprise":
        out["enterprise_in_china"] = None
    return out


def compare(
    ticket_type: str, declared: Mapping[str, Any], record: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The facts where the declaration and the record disagree, as
    `[{"fact", "declared", "record"}]`, in the facts' order.

    recovery.md "Accounts of record": the declared facts are compared with the record's
    where the record has them. Only the facts the ticket's type asks are compared, and
    only those the customer answered (an unanswered optional fact claims nothing).
    """
    differences = []
    for fact in COMPARED_FACTS.get(ticket_type, ()):
        mine, theirs = declared.get(fact), record.get(fact)
        if mine is None or theirs is None:
            continue
        if mine != theirs:
            differences.append({"fact": fact, "declared": mine, "record": theirs})
    return differences


def record_facts(
    ticket_type: str, declared: Mapping[str, Any], record: Mapping[str, Any]
) -> Facts | None:
    """The ticket's facts as the record tells them: the declared ones, each replaced by
    the record's value where the record has it. None when they cannot make facts.

    recovery.md "Accounts of record": "Approval follows the stricter": the record's facts
    give the second list of materials.
    """
    values = dict(declared)
    values["type"] = ticket_type
    for fact in COMPARED_FACTS.get(ticket_type, ()):
        if record.get(fact) is not None:
            values[fact] = record[fact]
    try:
        return parse_facts(values)
    except FactsError:
        return None


def record_resolution(
    ticket_type: str, declared: Mapping[str, Any], record: Mapping[str, Any] | None
) -> Resolution | None:
    """The record's list of materials when the record's facts differ from the declared
    ones (recovery.md "Approval follows the stricter"); None when there is no record or
    it agrees (the declared list is then the record's too)."""
    if not record or not compare(ticket_type, declared, record):
        return None
    facts = record_facts(ticket_type, declared, record)
    return resolve(facts) if facts is not None else None
