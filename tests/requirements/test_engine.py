"""The requirement engine itself: trees, evaluation, JSON, facts parsing. No Flask."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from triage.requirements import (
    AllOf,
    AnyOf,
    Facts,
    FactsError,
    Need,
    evaluate,
    needs,
    node_json,
    parse_facts,
)
from triage.requirements.nodes import all_of, any_of, holds, need, prune

ROOT = Path(__file__).resolve().parents[2]

# passport | (id front & back) | driver license — the unfreeze identity group.
IDENTITY = any_of(
    need("passport"), all_of(need("id_card_front"), need("id_card_back")), need("driver_license")
)
TWO_OF_THREE = any_of(IDENTITY, need("card_front"), need("card_transactions"), min=2)


# --- all_of / any_of / optional -----------------------------------------------------------------


def test_all_of_needs_every_member_and_lists_what_is_missing_in_order():
    node = all_of(need("email"), need("user_name"), need("contact_address"))
    assert evaluate(node, {"email", "user_name", "contact_address"}).satisfied
    result = evaluate(node, {"user_name"})
    assert not result.satisfied
    assert result.missing == ("email", "contact_address")
    assert [c.satisfied for c in result.children] == [False, True, False]


def test_any_of_defaults_to_one_member():
    node = any_of(need("passport"), need("driver_license"))
    assert node.min == 1
    assert evaluate(node, {"driver_license"}).satisfied
    assert evaluate(node, {"driver_license"}).missing == ()
    empty = evaluate(node, set())
    assert not empty.satisfied
    assert empty.missing == ("passport", "driver_license")


def test_any_of_with_min_counts_satisfied_members():
    node = any_of(need("a"), need("b"), need("c"), min=2)
    assert not evaluate(node, {"a"}).satisfied
    assert evaluate(node, {"a", "c"}).satisfied
    assert evaluate(node, {"a", "b", "c"}).satisfied


def test_any_of_missing_lists_its_unsatisfied_members_recursively():
    # Half an identity card: the group lacks the other half, not the half it has.
    result = evaluate(TWO_OF_THREE, {"id_card_front", "card_transactions"})
    assert not result.satisfied
    assert result.missing == ("passport", "id_card_back", "driver_license", "card_front")
    identity, card_front, transactions = result.children
    assert identity.missing == ("passport", "id_card_back", "driver_license")
    assert identity.children[1].missing == ("id_card_back",)
    assert card_front.missing == ("card_front",)
    assert transactions.satisfied and transactions.missing == ()


def test_a_satisfied_group_has_nothing_missing_even_with_unsatisfied_members():
    result = evaluate(TWO_OF_THREE, {"passport", "card_front"})
    assert result.satisfied
    assert result.missing == ()
    assert result.children[2].missing == ("card_transactions",)


def test_missing_keys_are_not_repeated():
    node = all_of(any_of(need("a"), need("b")), any_of(need("b"), need("c")))
    assert evaluate(node, set()).missing == ("a", "b", "c")


def test_optional_items_are_satisfied_and_never_missing():
    node = all_of(need("original_mobile", optional=True), need("email"))
    result = evaluate(node, set())
    assert result.missing == ("email",)
    assert result.children[0].satisfied
    assert evaluate(node, {"email"}).satisfied
    # Inside a group an optional member counts as present, so it never shows up as missing.
    group = any_of(need("last_service", optional=True), need("passport"), min=2)
    assert evaluate(group, set()).missing == ("passport",)


def test_per_node_satisfied_mirrors_the_tree():
    result = evaluate(TWO_OF_THREE, {"id_card_front", "id_card_back", "card_front"})
    assert result.satisfied
    identity = result.children[0]
    assert identity.satisfied
    assert [c.satisfied for c in identity.children] == [False, True, False]
    assert [c.satisfied for c in identity.children[1].children] == [True, True]
    assert [c.satisfied for c in result.children] == [True, True, False]
    assert result.node is TWO_OF_THREE


def test_evaluate_takes_any_collection_of_keys():
    for have in (
        ["passport", "card_front"],
        {"passport", "card_front"},
        frozenset({"passport", "card_front"}),
        ("passport", "card_front"),
    ):
        assert evaluate(TWO_OF_THREE, have).satisfied


def test_empty_all_of_is_satisfied():
    assert evaluate(AllOf(()), set()).satisfied


@pytest.mark.parametrize("bad_min", [0, -1, 4])
def test_any_of_rejects_a_min_outside_one_to_the_member_count(bad_min):
    with pytest.raises(ValueError, match=r"any_of needs 1 <= min <= 3"):
        any_of(need("a"), need("b"), need("c"), min=bad_min)


def test_any_of_accepts_min_equal_to_the_member_count():
    assert any_of(need("a"), need("b"), min=2).min == 2


# --- conditions and traversal -------------------------------------------------------------------


def test_prune_keeps_only_branches_whose_condition_holds():
    node = all_of(
        need("real_name_certificate"),
        need("authorization_letter", when={"account_type": "enterprise"}),
        need("card_front", when={"card_added": True}),
    )
    individual = prune(node, {"account_type": "individual", "card_added": True})
    assert node_json(individual) == {
        "all_of": [{"material": "real_name_certificate"}, {"material": "card_front"}]
    }
    enterprise = prune(node, {"account_type": "enterprise", "card_added": False})
    assert [n.material for n in needs(enterprise)] == [
        "real_name_certificate",
        "authorization_letter",
    ]
    assert prune(need("x", when={"card_added": True}), {"card_added": False}) is None
    # Pruned nodes carry no conditions any more.
    assert all(n.when == {} for n in needs(individual))


def test_holds_compares_every_named_fact():
    assert holds({}, {"anything": 1})
    assert holds({"a": 1, "b": False}, {"a": 1, "b": False, "c": 3})
    assert not holds({"b": False}, {"b": None})
    assert not holds({"a": 1}, {})


def test_needs_walks_depth_first_in_source_order():
    assert [(n.material, n.optional) for n in needs(TWO_OF_THREE)] == [
        ("passport", False),
        ("id_card_front", False),
        ("id_card_back", False),
        ("driver_license", False),
        ("card_front", False),
        ("card_transactions", False),
    ]
    assert list(needs(need("email", optional=True))) == [Need("email", True)]


# --- node_json (api.md shape) -------------------------------------------------------------------


def test_node_json_shapes_without_evaluation():
    node = all_of(
        need("original_mobile", optional=True),
        need("email"),
        any_of(need("passport"), need("driver_license")),
        any_of(need("a"), need("b"), need("c"), min=2),
    )
    assert node_json(node) == {
        "all_of": [
            {"material": "original_mobile", "optional": True},
            {"material": "email"},
            {"any_of": [{"material": "passport"}, {"material": "driver_license"}], "min": 1},
            {"any_of": [{"material": "a"}, {"material": "b"}, {"material": "c"}], "min": 2},
        ]
    }
    # Conditions are internal: never part of the contract.
    assert "when" not in json.dumps(node_json(need("x", when={"card_added": True})))


def test_node_json_with_evaluation_puts_satisfied_on_every_node():
    node = all_of(need("original_mobile", optional=True), need("email"), IDENTITY)
    result = evaluate(node, {"id_card_front"})
    assert node_json(node, result) == {
        "all_of": [
            {"material": "original_mobile", "optional": True, "satisfied": True},
            {"material": "email", "satisfied": False},
            {
                "any_of": [
                    {"material": "passport", "satisfied": False},
                    {
                        "all_of": [
                            {"material": "id_card_front", "satisfied": True},
                            {"material": "id_card_back", "satisfied": False},
                        ],
                        "satisfied": False,
                    },
                    {"material": "driver_license", "satisfied": False},
                ],
                "min": 1,
                "satisfied": False,
            },
        ],
        "satisfied": False,
    }
    assert result.to_json() == node_json(node, result)


def test_node_json_is_plain_json():
    result = evaluate(TWO_OF_THREE, {"passport"})
    assert json.loads(json.dumps(result.to_json())) == result.to_json()


def test_node_types_are_the_public_dataclasses():
    assert isinstance(IDENTITY, AnyOf)
    assert isinstance(IDENTITY.children[1], AllOf)
    assert IDENTITY.children[0] == Need("passport")


# --- parse_facts -------------------------------------------------------------------------------


def test_parse_facts_account_change():
    facts = parse_facts(
        {
            "type": "account_change",
            "customer_type": "reseller",
            "real_name_auth": "not_completed",
            "account_type": "enterprise",
            "card_added": False,
            "payments_made": True,
            "enterprise_in_china": False,
        }
    )
    assert facts == Facts(
        type="account_change",
        account_type="enterprise",
        card_added=False,
        customer_type="reseller",
        real_name_auth="not_completed",
        payments_made=True,
        enterprise_in_china=False,
    )
    assert facts.as_dict() == {
        "type": "account_change",
        "account_type": "enterprise",
        "card_added": False,
        "customer_type": "reseller",
        "real_name_auth": "not_completed",
        "payments_made": True,
        "enterprise_in_china": False,
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("false", False),
        ("TRUE", True),
        (" False ", False),
        ("1", True),
        ("0", False),
    ],
)
def test_parse_facts_reads_string_booleans(text, value):
    facts = parse_facts({"type": "unfreeze", "account_type": "individual", "card_added": text})
    assert facts.card_added is value


def test_parse_facts_names_the_missing_type():
    with pytest.raises(FactsError) as caught:
        parse_facts({})
    assert caught.value.fields == {"type": "is required: one of account_change, unfreeze"}


def test_parse_facts_names_every_missing_account_change_field():
    with pytest.raises(FactsError) as caught:
        parse_facts({"type": "account_change"})
    assert caught.value.fields == {
        "customer_type": "is required",
        "real_name_auth": "is required",
        "account_type": "is required",
        "card_added": "is required",
    }


def test_parse_facts_names_every_missing_unfreeze_field():
    with pytest.raises(FactsError) as caught:
        parse_facts({"type": "unfreeze", "account_type": ""})
    assert caught.value.fields == {"account_type": "is required", "card_added": "is required"}


def test_parse_facts_names_every_bad_field_at_once():
    with pytest.raises(FactsError) as caught:
        parse_facts(
            {
                "type": "account_change",
                "customer_type": "vip",
                "real_name_auth": True,
                "account_type": "company",
                "card_added": "maybe",
                "payments_made": 2,
                "enterprise_in_china": ["yes"],
            }
        )
    assert caught.value.fields == {
        "customer_type": "must be one of: direct, reseller, partner",
        "real_name_auth": "must be one of: completed, not_completed",
        "account_type": "must be one of: individual, enterprise",
        "card_added": "must be true or false",
        "payments_made": "must be true or false",
        "enterprise_in_china": "must be true or false",
    }
    assert isinstance(caught.value, ValueError)
    assert "customer_type: must be one of" in str(caught.value)


def test_parse_facts_names_an_unknown_type():
    with pytest.raises(FactsError) as caught:
        parse_facts({"type": "refund", "account_type": "individual", "card_added": True})
    assert caught.value.fields == {"type": "must be one of: account_change, unfreeze"}


def test_parse_facts_drops_what_the_unfreeze_rule_does_not_ask():
    facts = parse_facts(
        {
            "type": "unfreeze",
            "account_type": "individual",
            "card_added": "true",
            "customer_type": "direct",
            "real_name_auth": "completed",
            "payments_made": "true",
            "enterprise_in_china": "true",
        }
    )
    assert facts == Facts(type="unfreeze", account_type="individual", card_added=True)


def test_parse_facts_defaults():
    facts = parse_facts(
        {
            "type": "account_change",
            "customer_type": "direct",
            "real_name_auth": "completed",
            "account_type": "enterprise",
            "card_added": False,
        }
    )
    assert facts.payments_made is False
    assert facts.enterprise_in_china is None


# --- purity --------------------------------------------------------------------------------------


def test_engine_imports_no_flask():
    code = (
        "import sys, triage.requirements; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'werkzeug', 'flask_sqlalchemy', 'sqlalchemy')); "
        "assert not bad, bad"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
