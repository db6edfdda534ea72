"""Every cell of source sections 1.1.17 and 1.1.10, and every ruling of materials.md.

The expected trees below are written out by hand from the source table, in api.md's
JSON shape; nothing here is derived from `RULES`, so a wrong rule cannot pass by
agreeing with itself.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from triage.requirements import (
    DOCUMENT_KEYS,
    INFORMATION_KEYS,
    MATERIALS,
    RULES,
    FactsError,
    evaluate,
    needs,
    node_json,
    parse_facts,
    resolve,
)
from triage.requirements import authorization_letter_check as letter_check

# --- api.md node shapes, written by hand ----------------------------------------------------


def M(key: str) -> dict[str, Any]:
    return {"material": key}


def OPT(key: str) -> dict[str, Any]:
    return {"material": key, "optional": True}


def ALL(*children: dict[str, Any]) -> dict[str, Any]:
    return {"all_of": list(children)}


def ANY(*children: dict[str, Any], min: int = 1) -> dict[str, Any]:
    return {"any_of": list(children), "min": min}


# 1.1.17, direct sales, real-name authentication completed ("Credit card details (if one
# was added)": ruling 1). The enterprise row puts the authorization letter second.
DIRECT_AUTH_INDIVIDUAL = ALL(M("real_name_certificate"), M("transaction_records"))
DIRECT_AUTH_INDIVIDUAL_CARD = ALL(
    M("real_name_certificate"),
    M("transaction_records"),
    M("card_holder_certificate"),
    M("card_front"),
)
DIRECT_AUTH_ENTERPRISE = ALL(
    M("real_name_certificate"), M("authorization_letter"), M("transaction_records")
)
DIRECT_AUTH_ENTERPRISE_CARD = ALL(
    M("real_name_certificate"),
    M("authorization_letter"),
    M("transaction_records"),
    M("card_holder_certificate"),
    M("card_front"),
)
# Not completed, a card has been added; enterprise: "materials mentioned above and an
# authorization letter".
DIRECT_CARD_INDIVIDUAL = ALL(M("card_holder_certificate"), M("card_front"), M("consumption_proof"))
DIRECT_CARD_ENTERPRISE = ALL(
    M("card_holder_certificate"),
    M("card_front"),
    M("consumption_proof"),
    M("authorization_letter"),
)
# Not completed, no card, actual payments (only for enterprise accounts).
DIRECT_BANK_ENTERPRISE = ALL(
    M("bank_account_certificate"),
    M("bank_account_name"),
    M("bank_account_number"),
    M("bank_transfer_proof"),
    M("authorization_letter"),
)
# Not completed, no card, no payments; account type "/" (ruling 3), mobile optional (ruling 4).
DIRECT_NO_PAYMENTS_INDIVIDUAL = ALL(
    OPT("original_mobile"), M("email"), M("user_name"), M("contact_address")
)
DIRECT_NO_PAYMENTS_ENTERPRISE = ALL(
    OPT("original_mobile"), M("email"), M("enterprise_name"), M("contact_address")
)
# Resellers (ruling 5: the letter for both account types).
RESELLER_AUTH = ALL(
    M("real_name_certificate"), M("partner_consent_email"), M("authorization_letter")
)
RESELLER_NOT_AUTH_INDIVIDUAL = ALL(
    M("phone_number"),
    M("email"),
    M("user_name"),
    M("contact_address"),
    OPT("last_service"),
    M("partner_consent_email"),
    M("authorization_letter"),
)
RESELLER_NOT_AUTH_ENTERPRISE = ALL(
    M("phone_number"),
    M("email"),
    M("enterprise_name"),
    M("contact_address"),
    OPT("last_service"),
    M("partner_consent_email"),
    M("authorization_letter"),
)
# Huawei Cloud partners: "/" everywhere (ruling 6).
PARTNER = ALL(
    M("partner_authorization_letter"), M("partner_certificate"), M("partner_consumption_proof")
)
# 1.1.10 (ruling 8).
IDENTITY = ANY(M("passport"), ALL(M("id_card_front"), M("id_card_back")), M("driver_license"))
UNFREEZE_CARD = ANY(IDENTITY, M("card_front"), M("card_transactions"), min=2)
UNFREEZE_NO_CARD = IDENTITY

EXPECTED: dict[str, tuple[str | None, dict[str, Any] | None]] = {
    "DIRECT_AUTH_INDIVIDUAL": ("direct_authenticated", DIRECT_AUTH_INDIVIDUAL),
    "DIRECT_AUTH_INDIVIDUAL_CARD": ("direct_authenticated", DIRECT_AUTH_INDIVIDUAL_CARD),
    "DIRECT_AUTH_ENTERPRISE": ("direct_authenticated", DIRECT_AUTH_ENTERPRISE),
    "DIRECT_AUTH_ENTERPRISE_CARD": ("direct_authenticated", DIRECT_AUTH_ENTERPRISE_CARD),
    "DIRECT_CARD_INDIVIDUAL": ("direct_card", DIRECT_CARD_INDIVIDUAL),
    "DIRECT_CARD_ENTERPRISE": ("direct_card", DIRECT_CARD_ENTERPRISE),
    "DIRECT_BANK_ENTERPRISE": ("direct_bank_payments", DIRECT_BANK_ENTERPRISE),
    "DIRECT_NO_PAYMENTS_INDIVIDUAL": ("direct_no_payments", DIRECT_NO_PAYMENTS_INDIVIDUAL),
    "DIRECT_NO_PAYMENTS_ENTERPRISE": ("direct_no_payments", DIRECT_NO_PAYMENTS_ENTERPRISE),
    "RESELLER_AUTH": ("reseller_authenticated", RESELLER_AUTH),
    "RESELLER_NOT_AUTH_INDIVIDUAL": ("reseller_not_authenticated", RESELLER_NOT_AUTH_INDIVIDUAL),
    "RESELLER_NOT_AUTH_ENTERPRISE": ("reseller_not_authenticated", RESELLER_NOT_AUTH_ENTERPRISE),
    "PARTNER": ("partner", PARTNER),
    "UNFREEZE_CARD": ("unfreeze_card", UNFREEZE_CARD),
    "UNFREEZE_NO_CARD": ("unfreeze_no_card", UNFREEZE_NO_CARD),
    "MANUAL_REVIEW": (None, None),
}

# Every combination of the account_change facts, one line each.
ACCOUNT_CHANGE_TABLE = """
direct   completed      individual  no   no   DIRECT_AUTH_INDIVIDUAL
direct   completed      individual  no   yes  DIRECT_AUTH_INDIVIDUAL
direct   completed      individual  yes  no   DIRECT_AUTH_INDIVIDUAL_CARD
direct   completed      individual  yes  yes  DIRECT_AUTH_INDIVIDUAL_CARD
direct   completed      enterprise  no   no   DIRECT_AUTH_ENTERPRISE
direct   completed      enterprise  no   yes  DIRECT_AUTH_ENTERPRISE
direct   completed      enterprise  yes  no   DIRECT_AUTH_ENTERPRISE_CARD
direct   completed      enterprise  yes  yes  DIRECT_AUTH_ENTERPRISE_CARD
direct   not_completed  individual  no   no   DIRECT_NO_PAYMENTS_INDIVIDUAL
direct   not_completed  individual  no   yes  MANUAL_REVIEW
direct   not_completed  individual  yes  no   DIRECT_CARD_INDIVIDUAL
direct   not_completed  individual  yes  yes  DIRECT_CARD_INDIVIDUAL
direct   not_completed  enterprise  no   no   DIRECT_NO_PAYMENTS_ENTERPRISE
direct   not_completed  enterprise  no   yes  DIRECT_BANK_ENTERPRISE
direct   not_completed  enterprise  yes  no   DIRECT_CARD_ENTERPRISE
direct   not_completed  enterprise  yes  yes  DIRECT_CARD_ENTERPRISE
reseller completed      individual  no   no   RESELLER_AUTH
reseller completed      individual  no   yes  RESELLER_AUTH
reseller completed      individual  yes  no   RESELLER_AUTH
reseller completed      individual  yes  yes  RESELLER_AUTH
reseller completed      enterprise  no   no   RESELLER_AUTH
reseller completed      enterprise  no   yes  RESELLER_AUTH
reseller completed      enterprise  yes  no   RESELLER_AUTH
reseller completed      enterprise  yes  yes  RESELLER_AUTH
reseller not_completed  individual  no   no   RESELLER_NOT_AUTH_INDIVIDUAL
reseller not_completed  individual  no   yes  RESELLER_NOT_AUTH_INDIVIDUAL
reseller not_completed  individual  yes  no   RESELLER_NOT_AUTH_INDIVIDUAL
reseller not_completed  individual  yes  yes  RESELLER_NOT_AUTH_INDIVIDUAL
reseller not_completed  enterprise  no   no   RESELLER_NOT_AUTH_ENTERPRISE
reseller not_completed  enterprise  no   yes  RESELLER_NOT_AUTH_ENTERPRISE
reseller not_completed  enterprise  yes  no   RESELLER_NOT_AUTH_ENTERPRISE
reseller not_completed  enterprise  yes  yes  RESELLER_NOT_AUTH_ENTERPRISE
partner  completed      individual  no   no   PARTNER
partner  completed      individual  no   yes  PARTNER
partner  completed      individual  yes  no   PARTNER
partner  completed      individual  yes  yes  PARTNER
partner  completed      enterprise  no   no   PARTNER
partner  completed      enterprise  no   yes  PARTNER
partner  completed      enterprise  yes  no   PARTNER
partner  completed      enterprise  yes  yes  PARTNER
partner  not_completed  individual  no   no   PARTNER
partner  not_completed  individual  no   yes  PARTNER
partner  not_completed  individual  yes  no   PARTNER
partner  not_completed  individual  yes  yes  PARTNER
partner  not_completed  enterprise  no   no   PARTNER
partner  not_completed  enterprise  no   yes  PARTNER
partner  not_completed  enterprise  yes  no   PARTNER
partner  not_completed  enterprise  yes  yes  PARTNER
"""

UNFREEZE_TABLE = """
individual  no   UNFREEZE_NO_CARD
individual  yes  UNFREEZE_CARD
enterprise  no   UNFREEZE_NO_CARD
enterprise  yes  UNFREEZE_CARD
"""

YES_NO = {"yes": True, "no": False}
IN_CHINA = (None, True, False)  # enterprise_in_china: unknown, Chinese, foreign


def _account_change_rows() -> list[tuple[str, str, str, bool, bool, str]]:
    rows = []
    for line in ACCOUNT_CHANGE_TABLE.strip().splitlines():
        customer, auth, account, card, paid, expected = line.split()
        rows.append((customer, auth, account, YES_NO[card], YES_NO[paid], expected))
    return rows


def _unfreeze_rows() -> list[tuple[str, bool, str]]:
    rows = []
    for line in UNFREEZE_TABLE.strip().splitlines():
        account, card, expected = line.split()
        rows.append((account, YES_NO[card], expected))
    return rows


ACCOUNT_CHANGE_ROWS = _account_change_rows()
UNFREEZE_ROWS = _unfreeze_rows()


def change_facts(customer, auth, account, card, paid, in_china=None) -> dict[str, Any]:
    raw = {
        "type": "account_change",
        "customer_type": customer,
        "real_name_auth": auth,
        "account_type": account,
        "card_added": card,
        "payments_made": paid,
    }
    if in_china is not None:
        raw["enterprise_in_china"] = in_china
    return raw


def assert_resolves_to(raw: dict[str, Any], expected: str) -> None:
    rule_name, tree = EXPECTED[expected]
    resolution = resolve(parse_facts(raw))
    if tree is None:
        assert resolution.outcome == "manual_review"
        assert resolution.rule is None
        assert resolution.requirement is None
        assert "No standard list of materials applies" in resolution.message
        assert "still file the ticket" in resolution.message
    else:
        assert resolution.outcome == "checklist"
        assert resolution.message == ""
        assert resolution.rule is not None and resolution.rule.name == rule_name
        assert node_json(resolution.requirement) == tree


# --- the tables are complete -----------------------------------------------------------------


def test_account_change_table_lists_every_combination_once():
    combos = [row[:5] for row in ACCOUNT_CHANGE_ROWS]
    everything = list(
        itertools.product(
            ("direct", "reseller", "partner"),
            ("completed", "not_completed"),
            ("individual", "enterprise"),
            (False, True),
            (False, True),
        )
    )
    assert len(combos) == len(set(combos)) == 48
    assert set(combos) == set(everything)


def test_unfreeze_table_lists_every_combination_once():
    combos = [row[:2] for row in UNFREEZE_ROWS]
    assert sorted(combos) == sorted(itertools.product(("individual", "enterprise"), (False, True)))


def test_every_rule_is_reached_by_some_combination():
    reached = {EXPECTED[row[-1]][0] for row in ACCOUNT_CHANGE_ROWS + UNFREEZE_ROWS}
    assert {rule.name for rule in RULES} == reached - {None}


# --- every cell -------------------------------------------------------------------------------


@pytest.mark.parametrize("in_china", IN_CHINA, ids=["china_unknown", "china", "abroad"])
@pytest.mark.parametrize(
    ("customer", "auth", "account", "card", "paid", "expected"),
    ACCOUNT_CHANGE_ROWS,
    ids=["-".join(map(str, row[:5])) for row in ACCOUNT_CHANGE_ROWS],
)
def test_account_change_cell(customer, auth, account, card, paid, expected, in_china):
    assert_resolves_to(change_facts(customer, auth, account, card, paid, in_china), expected)


@pytest.mark.parametrize(
    ("customer", "auth", "account", "card", "paid", "expected"),
    ACCOUNT_CHANGE_ROWS,
    ids=["-".join(map(str, row[:5])) for row in ACCOUNT_CHANGE_ROWS],
)
def test_account_change_cell_from_query_string(customer, auth, account, card, paid, expected):
    # GET /requirements sends every fact as text.
    raw = change_facts(customer, auth, account, str(card).lower(), str(paid).lower())
    assert_resolves_to(raw, expected)


@pytest.mark.parametrize("in_china", IN_CHINA, ids=["china_unknown", "china", "abroad"])
@pytest.mark.parametrize(
    ("account", "card", "expected"),
    UNFREEZE_ROWS,
    ids=[f"{account}-card_{card}" for account, card, _ in UNFREEZE_ROWS],
)
def test_unfreeze_cell(account, card, expected, in_china):
    raw = {"type": "unfreeze", "account_type": account, "card_added": card}
    if in_china is not None:
        raw["enterprise_in_china"] = in_china
    assert_resolves_to(raw, expected)


@pytest.mark.parametrize(("account", "card", "expected"), UNFREEZE_ROWS)
def test_unfreeze_ignores_the_account_change_facts(account, card, expected):
    # A form may send every field; the unfreeze rule (1.1.10) asks none of these.
    for customer, auth, paid in itertools.product(
        ("direct", "reseller", "partner"), ("completed", "not_completed"), (True, False)
    ):
        raw = {
            "type": "unfreeze",
            "account_type": account,
            "card_added": card,
            "customer_type": customer,
            "real_name_auth": auth,
            "payments_made": paid,
        }
        assert_resolves_to(raw, expected)


def test_payments_made_defaults_to_false():
    for customer, auth, account, card, paid, expected in ACCOUNT_CHANGE_ROWS:
        if paid:
            continue
        raw = change_facts(customer, auth, account, card, paid)
        del raw["payments_made"]
        assert_resolves_to(raw, expected)


def test_no_combination_crashes():
    """Resolve, evaluate and serialise every combination against several evidence sets."""
    every_key = set(MATERIALS)
    combos = [
        change_facts(*row[:5], in_china) for row in ACCOUNT_CHANGE_ROWS for in_china in IN_CHINA
    ] + [
        {"type": "unfreeze", "account_type": account, "card_added": card, **extra}
        for account, card, _ in UNFREEZE_ROWS
        for extra in ({}, {"enterprise_in_china": True}, {"enterprise_in_china": False})
    ]
    for raw in combos:
        resolution = resolve(parse_facts(raw))
        if resolution.requirement is None:
            continue
        keys = [n.material for n in needs(resolution.requirement)]
        assert set(keys) <= every_key
        for have in (set(), every_key, *({k} for k in keys)):
            result = evaluate(resolution.requirement, have)
            json.dumps(node_json(resolution.requirement, result))
        assert evaluate(resolution.requirement, every_key).satisfied
        assert not evaluate(resolution.requirement, set()).satisfied


# --- the rulings of materials.md ----------------------------------------------------------------


@pytest.mark.parametrize("account", ["individual", "enterprise"])
def test_ruling_1_card_details_only_when_a_card_was_added(account):
    for paid in (False, True):
        without = resolve(parse_facts(change_facts("direct", "completed", account, False, paid)))
        with_card = resolve(parse_facts(change_facts("direct", "completed", account, True, paid)))
        keys_without = [n.material for n in needs(without.requirement)]
        keys_with = [n.material for n in needs(with_card.requirement)]
        assert "card_holder_certificate" not in keys_without
        assert "card_front" not in keys_without
        assert keys_with == [*keys_without, "card_holder_certificate", "card_front"]
        assert not any(n.optional for n in needs(with_card.requirement))


def test_ruling_2_individual_direct_unauthenticated_no_card_with_payments_has_no_rule():
    raw = change_facts("direct", "not_completed", "individual", False, True)
    resolution = resolve(parse_facts(raw))
    assert resolution.outcome == "manual_review"
    assert resolution.requirement is None
    assert resolution.rule is None
    assert resolution.message.startswith("No standard list of materials applies")
    assert "a reviewer will tell you what else is needed" in resolution.message
    # The bank-payment row is enterprise-only; its enterprise twin does resolve.
    twin = resolve(parse_facts({**raw, "account_type": "enterprise"}))
    assert twin.outcome == "checklist"
    assert node_json(twin.requirement) == DIRECT_BANK_ENTERPRISE


@pytest.mark.parametrize(
    ("customer", "auth"), [("direct", "not_completed"), ("reseller", "not_completed")]
)
def test_ruling_3_slash_rows_pick_the_name_for_the_account_type(customer, auth):
    individual = resolve(parse_facts(change_facts(customer, auth, "individual", False, False)))
    enterprise = resolve(parse_facts(change_facts(customer, auth, "enterprise", False, False)))
    assert individual.rule.name == enterprise.rule.name  # one row of the table, not two
    individual_keys = {n.material for n in needs(individual.requirement)}
    enterprise_keys = {n.material for n in needs(enterprise.requirement)}
    assert "user_name" in individual_keys and "enterprise_name" not in individual_keys
    assert "enterprise_name" in enterprise_keys and "user_name" not in enterprise_keys
    assert "contact_address" in individual_keys & enterprise_keys
    assert individual_keys ^ enterprise_keys == {"user_name", "enterprise_name"}


def test_ruling_4_original_mobile_and_last_service_are_optional():
    direct = resolve(
        parse_facts(change_facts("direct", "not_completed", "individual", False, False))
    )
    reseller = resolve(
        parse_facts(change_facts("reseller", "not_completed", "enterprise", False, False))
    )
    assert {n.material for n in needs(direct.requirement) if n.optional} == {"original_mobile"}
    assert {n.material for n in needs(reseller.requirement) if n.optional} == {"last_service"}
    # Everything else given: satisfied without the optional item, and it is never missing.
    direct_have = {"email", "user_name", "contact_address"}
    assert evaluate(direct.requirement, direct_have).satisfied
    assert "original_mobile" not in evaluate(direct.requirement, set()).missing
    reseller_have = {
        "phone_number",
        "email",
        "enterprise_name",
        "contact_address",
        "partner_consent_email",
        "authorization_letter",
    }
    assert evaluate(reseller.requirement, reseller_have).satisfied
    assert "last_service" not in evaluate(reseller.requirement, set()).missing
    # No other rule has optional items.
    for customer, auth, account, card, paid, _ in ACCOUNT_CHANGE_ROWS:
        resolution = resolve(parse_facts(change_facts(customer, auth, account, card, paid)))
        if resolution.requirement is None:
            continue
        optional = {n.material for n in needs(resolution.requirement) if n.optional}
        assert optional <= {"original_mobile", "last_service"}


@pytest.mark.parametrize("auth", ["completed", "not_completed"])
def test_ruling_5_resellers_need_the_authorization_letter_for_both_account_types(auth):
    for account, card, paid in itertools.product(
        ("individual", "enterprise"), (False, True), (False, True)
    ):
        resolution = resolve(parse_facts(change_facts("reseller", auth, account, card, paid)))
        keys = [n.material for n in needs(resolution.requirement)]
        assert "authorization_letter" in keys
        assert "partner_consent_email" in keys


def test_ruling_6_partner_row_applies_to_any_authentication_and_account_type():
    trees = set()
    for auth, account, card, paid in itertools.product(
        ("completed", "not_completed"), ("individual", "enterprise"), (False, True), (False, True)
    ):
        resolution = resolve(parse_facts(change_facts("partner", auth, account, card, paid)))
        assert resolution.rule.name == "partner"
        trees.add(json.dumps(node_json(resolution.requirement)))
    assert trees == {json.dumps(PARTNER)}


def test_ruling_6_a_partner_need_not_answer_the_authentication_question():
    facts = {
        "type": "account_change",
        "customer_type": "partner",
        "account_type": "individual",
        "card_added": "false",
    }
    resolution = resolve(parse_facts(facts))
    assert resolution.rule.name == "partner"
    assert node_json(resolution.requirement) == PARTNER
    with pytest.raises(FactsError) as error:
        parse_facts({**facts, "customer_type": "direct"})
    assert error.value.fields == {"real_name_auth": "is required"}


def test_ruling_7_letter_check_depends_on_where_the_enterprise_is():
    base = change_facts("reseller", "completed", "enterprise", False, False)
    china = letter_check(parse_facts({**base, "enterprise_in_china": True}))
    abroad = letter_check(parse_facts({**base, "enterprise_in_china": "false"}))
    unknown = letter_check(parse_facts(base))
    individual = letter_check(parse_facts({**base, "account_type": "individual"}))
    for text in (china, abroad, unknown, individual):
        assert "both the official seal and a signature" in text
    assert "a Chinese enterprise's seal suffices" in china
    assert "a foreign enterprise's signature suffices" in abroad
    assert "unknown" in unknown and "ask before accepting only one" in unknown
    assert "the signature is required" in individual
    assert len({china, abroad, unknown, individual}) == 4


def test_ruling_7_enterprise_in_china_is_kept_only_for_enterprises():
    base = change_facts("direct", "completed", "enterprise", False, False)
    assert parse_facts({**base, "enterprise_in_china": True}).enterprise_in_china is True
    assert parse_facts({**base, "enterprise_in_china": False}).enterprise_in_china is False
    assert parse_facts(base).enterprise_in_china is None
    individual = {**base, "account_type": "individual", "enterprise_in_china": True}
    assert parse_facts(individual).enterprise_in_china is None
    # Where the enterprise is does not change the list itself, only the reviewer's check.
    trees = {
        json.dumps(node_json(resolve(parse_facts({**base, "enterprise_in_china": v})).requirement))
        for v in IN_CHINA
    }
    assert trees == {json.dumps(DIRECT_AUTH_ENTERPRISE)}


def test_ruling_8_unfreeze_with_card_needs_any_two_of_three_groups():
    card = resolve(
        parse_facts({"type": "unfreeze", "account_type": "individual", "card_added": True})
    ).requirement
    satisfied = [
        {"passport", "card_front"},
        {"id_card_front", "id_card_back", "card_transactions"},
        {"driver_license", "card_front"},
        {"card_front", "card_transactions"},
        {"passport", "driver_license", "card_front"},
    ]
    unsatisfied = [
        {"passport"},
        {"card_front"},
        {"passport", "driver_license"},  # two documents, still one group
        {"id_card_front", "card_front"},  # half an identity card is no identity document
        {"id_card_back", "card_transactions"},
    ]
    for have in satisfied:
        assert evaluate(card, have).satisfied, have
    for have in unsatisfied:
        assert not evaluate(card, have).satisfied, have
    assert evaluate(card, {"passport"}).missing == ("card_front", "card_transactions")
    assert evaluate(card, {"id_card_front", "card_front"}).missing == (
        "passport",
        "id_card_back",
        "driver_license",
        "card_transactions",
    )


def test_ruling_8_unfreeze_without_card_needs_one_identity_document():
    no_card = resolve(
        parse_facts({"type": "unfreeze", "account_type": "enterprise", "card_added": False})
    ).requirement
    for have in ({"passport"}, {"driver_license"}, {"id_card_front", "id_card_back"}):
        assert evaluate(no_card, have).satisfied
    for have in ({"card_front", "card_transactions"}, {"id_card_front"}, set()):
        assert not evaluate(no_card, have).satisfied
    assert evaluate(no_card, {"id_card_back"}).missing == (
        "passport",
        "id_card_front",
        "driver_license",
    )


def test_ruling_9_more_files_than_the_list_asks_for_never_hurt():
    extra = {"passport", "bank_transfer_proof", "partner_certificate"}
    for customer, auth, account, card, paid, _ in ACCOUNT_CHANGE_ROWS:
        requirement = resolve(
            parse_facts(change_facts(customer, auth, account, card, paid))
        ).requirement
        if requirement is None:
            continue
        keys = {n.material for n in needs(requirement)}
        for have in (set(), keys):
            plain = evaluate(requirement, have)
            more = evaluate(requirement, have | extra | {"not_a_material_key"})
            assert more.satisfied or not plain.satisfied
            assert set(more.missing) <= set(plain.missing)
        assert evaluate(requirement, keys | extra).satisfied


def test_ruling_9_any_material_may_be_asked_for_beyond_the_list():
    # A reviewer's request can name any key of the vocabulary, listed in a rule or not.
    in_some_rule = set()
    for rule in RULES:
        in_some_rule |= {n.material for n in needs(rule.requirement)}
    assert in_some_rule <= set(MATERIALS)
    assert set(MATERIALS) == DOCUMENT_KEYS | INFORMATION_KEYS


# --- the vocabulary ---------------------------------------------------------------------------

# materials.md, "Material keys", copied verbatim.
MATERIALS_TABLE = """
real_name_certificate|document|Real-name authentication certificate
transaction_records|document|The last 3 transaction records (invoices, payment records, bank transfer records)
card_holder_certificate|document|Credit card holder's identity certificate
card_front|document|Front of the credit card: first 6 and last 4 digits, issuing bank and holder name readable; other digits hidden
authorization_letter|document|Authorization letter on the template, stamped with the official seal and signed
consumption_proof|document|Consumption proof for the last 3 consecutive months, or the whole period if shorter (card bill details, invoices, historical bills)
bank_account_certificate|document|Company certificate of the paying bank account
bank_transfer_proof|document|Bank transfer proof for the last 3 consecutive months, or the whole period if shorter
partner_consent_email|document|Email proving that the partner agreed
partner_authorization_letter|document|Partner authorization letter
partner_certificate|document|Partner certificate materials
partner_consumption_proof|document|Consumption proof, invoices, bills and payment records
passport|document|Passport
id_card_front|document|Resident identity card, front
id_card_back|document|Resident identity card, back
driver_license|document|Driver license
card_transactions|document|Transaction details of the bound credit card for the last 6 months
bank_account_name|information|Name of the paying bank account (the enterprise name)
bank_account_number|information|Number of the paying bank account
original_mobile|information|Original mobile number
phone_number|information|Phone number
email|information|Email address
user_name|information|User name
enterprise_name|information|Enterprise name
contact_address|information|Contact address: address line 1, optional line 2, city, province/state/autonomous region, postal code, country/region
last_service|information|Name and date of the cloud service provisioned last time
"""  # noqa: E501 - the table's own lines


def test_materials_match_the_vocabulary_table():
    table = [line.split("|") for line in MATERIALS_TABLE.strip().splitlines()]
    assert list(MATERIALS) == [key for key, _, _ in table]
    for key, kind, label in table:
        assert MATERIALS[key].key == key
        assert (MATERIALS[key].kind, MATERIALS[key].label) == (kind, label)
    assert {key for key, kind, _ in table if kind == "document"} == DOCUMENT_KEYS
    assert {key for key, kind, _ in table if kind == "information"} == INFORMATION_KEYS


def test_every_rule_cites_its_source_section():
    for rule in RULES:
        section = "1.1.10" if rule.when.get("type") == "unfreeze" else "1.1.17"
        assert rule.source.startswith(section), rule.name
