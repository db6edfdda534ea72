"""Section 1.1.17 (account change) and 1.1.10 (unfreeze) of the source, as data.

Each rule is one row of the source table; the first rule whose `when` holds applies.
Items that depend on the account type or a bound card carry their own `when`
(materials.md rulings 1 and 3). No row covers an individual, direct-sales,
unauthenticated customer with no card who made payments (ruling 2): `resolve`
answers `manual_review` for it rather than inventing a list.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .facts import Facts
from .nodes import Condition, Node, all_of, any_of, holds, need, prune

INDIVIDUAL = {"account_type": "individual"}
ENTERPRISE = {"account_type": "enterprise"}
CARD = {"card_added": True}


def _name_and_address() -> tuple[Node, ...]:
    # Ruling 3: "Individual account: user name ..." / "Enterprise account: enterprise name ...".
    return (
        need("user_name", when=INDIVIDUAL),
        need("enterprise_name", when=ENTERPRISE),
        need("contact_address"),
    )


IDENTITY_DOCUMENT = any_of(
    need("passport"),
    all_of(need("id_card_front"), need("id_card_back")),
    need("driver_license"),
)


@dataclass(frozen=True)
class Rule:
    name: str
    source: str
    when: Condition
    requirement: Node


RULES: tuple[Rule, ...] = (
    Rule(
        "partner",
        "1.1.17, Huawei Cloud partners (any authentication, any account type: ruling 6)",
        {"type": "account_change", "customer_type": "partner"},
        all_of(
            need("partner_authorization_letter"),
            need("partner_certificate"),
            need("partner_consumption_proof"),
        ),
    ),
    Rule(
        "direct_authenticated",
        "1.1.17, direct sales customers, real-name authentication completed",
        {"type": "account_change", "customer_type": "direct", "real_name_auth": "completed"},
        all_of(
            need("real_name_certificate"),
            need("authorization_letter", when=ENTERPRISE),
            need("transaction_records"),
            need("card_holder_certificate", when=CARD),  # ruling 1
            need("card_front", when=CARD),
        ),
    ),
    Rule(
        "direct_card",
        "1.1.17, direct sales customers, not authenticated, a card has been added",
        {
            "type": "account_change",
            "customer_type": "direct",
            "real_name_auth": "not_completed",
            "card_added": True,
        },
        all_of(
            need("card_holder_certificate"),
            need("card_front"),
            need("consumption_proof"),
            need("authorization_letter", when=ENTERPRISE),
        ),
    ),
    Rule(
        "direct_bank_payments",
        "1.1.17, direct sales customers, not authenticated, no card, payments made "
        "(enterprise accounts only)",
        {
            "type": "account_change",
            "customer_type": "direct",
            "real_name_auth": "not_completed",
            "card_added": False,
            "payments_made": True,
            "account_type": "enterprise",
        },
        all_of(
            need("bank_account_certificate"),
            need("bank_account_name"),
            need("bank_account_number"),
            need("bank_transfer_proof"),
            need("authorization_letter"),
        ),
    ),
    Rule(
        "direct_no_payments",
        "1.1.17, direct sales customers, not authenticated, no card and no payments",
        {
            "type": "account_change",
            "customer_type": "direct",
            "real_name_auth": "not_completed",
            "card_added": False,
            "payments_made": False,
        },
        all_of(
            need("original_mobile", optional=True),  # ruling 4
            need("email"),
            *_name_and_address(),
        ),
    ),
    Rule(
        "reseller_authenticated",
        "1.1.17, reseller customers, real-name authentication completed",
        {"type": "account_change", "customer_type": "reseller", "real_name_auth": "completed"},
        all_of(
            need("real_name_certificate"),
            need("partner_consent_email"),
            need("authorization_letter"),  # ruling 5
        ),
    ),
    Rule(
        "reseller_not_authenticated",
        "1.1.17, reseller customers, real-name authentication not completed",
        {"type": "account_change", "customer_type": "reseller", "real_name_auth": "not_completed"},
        all_of(
            need("phone_number"),
            need("email"),
            *_name_and_address(),
            need("last_service", optional=True),  # ruling 4
            need("partner_consent_email"),
            need("authorization_letter"),
        ),
    ),
    Rule(
        "unfreeze_card",
        "1.1.10, a credit card is bound: any two of identity document, card front, "
        "card transactions (ruling 8)",
        {"type": "unfreeze", "card_added": True},
        any_of(IDENTITY_DOCUMENT, need("card_front"), need("card_transactions"), min=2),
    ),
    Rule(
        "unfreeze_no_card",
        "1.1.10, no credit card bound: one identity document (ruling 8)",
        {"type": "unfreeze", "card_added": False},
        IDENTITY_DOCUMENT,
    ),
)

NO_RULE_MESSAGE = (
    "No standard list of materials applies to this combination: an individual "
    "direct-sales account that is not real-name authenticated, has no card and made "
    "payments. You can still file the ticket with whatever proof of ownership you have "
    "(identity documents, invoices, payment records); a reviewer will tell you what else "
    "is needed."
)


@dataclass(frozen=True)
class Resolution:
    outcome: str  # "checklist" or "manual_review"
    rule: Rule | None
    requirement: Node | None
    message: str = ""


@lru_cache(maxsize=512)
def resolve(facts: Facts) -> Resolution:
    """The rule for these facts, its tree pruned to them; cached, as facts repeat a lot."""
    values: dict[str, Any] = facts.as_dict()
    for rule in RULES:
        if holds(rule.when, values):
            return Resolution("checklist", rule, prune(rule.requirement, values))
    return Resolution("manual_review", None, None, NO_RULE_MESSAGE)


def authorization_letter_check(facts: Facts) -> str:
    """Ruling 7: what a reviewer must see on an authorization letter for these facts."""
    both = "The letter should carry both the official seal and a signature. "
    if facts.account_type != "enterprise":
        return both + "An individual account has no enterprise seal: the signature is required."
    if facts.enterprise_in_china is True:
        return both + "If the customer cannot meet both, a Chinese enterprise's seal suffices."
    if facts.enterprise_in_china is False:
        return both + "If the customer cannot meet both, a foreign enterprise's signature suffices."
    return both + "Where the enterprise is registered is unknown: ask before accepting only one."
