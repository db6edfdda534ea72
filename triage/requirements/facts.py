"""The facts a customer answers, parsed and checked without Flask."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

TICKET_TYPES = ("account_change", "unfreeze")
CHOICES: dict[str, tuple[str, ...]] = {
    "type": TICKET_TYPES,
    "customer_type": ("direct", "reseller", "partner"),
    "real_name_auth": ("completed", "not_completed"),
    "account_type": ("individual", "enterprise"),
}
FLAGS = ("card_added", "payments_made", "enterprise_in_china")
REQUIRED: dict[str, tuple[str, ...]] = {
    "account_change": ("customer_type", "real_name_auth", "account_type", "card_added"),
    "unfreeze": ("account_type", "card_added"),
}
FACT_KEYS = (*CHOICES, *FLAGS)


class FactsError(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class Facts:
    type: str
    account_type: str
    card_added: bool
    customer_type: str | None = None
    real_name_auth: str | None = None
    payments_made: bool = False
    enterprise_in_china: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError


def parse_facts(raw: Mapping[str, Any]) -> Facts:
    """Facts from JSON or query-string values; FactsError names every bad field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, allowed in CHOICES.items():
        value = raw.get(name)
        if value in (None, ""):
            continue
        if value not in allowed:
            errors[name] = f"must be one of: {', '.join(allowed)}"
        else:
            values[name] = value
    for name in FLAGS:
        value = raw.get(name)
        if value in (None, ""):
            continue
        try:
            values[name] = _flag(value)
        except ValueError:
            errors[name] = "must be true or false"
    ticket_type = values.get("type")
    if ticket_type is None and "type" not in errors:
        errors["type"] = f"is required: one of {', '.join(TICKET_TYPES)}"
    required = REQUIRED.get(ticket_type, ())
    if values.get("customer_type") == "partner":
        # Ruling 6: the partner row applies whatever the authentication state.
        required = tuple(n for n in required if n != "real_name_auth")
    for name in required:
        if name not in values and name not in errors:
            errors[name] = "is required"
    if errors:
        raise FactsError(errors)
    if ticket_type == "unfreeze":
        # The unfreeze rule asks neither; keep them out so equal facts compare equal.
        values.pop("customer_type", None)
        values.pop("real_name_auth", None)
        values.pop("payments_made", None)
    if values.get("account_type") != "enterprise":
        values.pop("enterprise_in_china", None)
    return Facts(**values)
