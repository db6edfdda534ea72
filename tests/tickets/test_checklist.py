"""The customer's "still needed" list: what is missing, with choices kept as choices."""

from __future__ import annotations

from triage.requirements import evaluate, parse_facts, resolve
from triage.tickets.checklist import ChecklistItem, Missing, TicketState, still_needed


def state_for(facts: dict, have: set[str], items: list[ChecklistItem] | None = None):
    resolution = resolve(parse_facts(facts))
    customer = evaluate(resolution.requirement, have) if resolution.requirement else None
    return TicketState(resolution, items or [], customer, None, False, [], False)


UNFREEZE_CARD = {"type": "unfreeze", "account_type": "individual", "card_added": True}


def test_nothing_yet_offers_any_two_of_the_three_groups():
    assert still_needed(state_for(UNFREEZE_CARD, set())) == [
        Missing(
            "Any two of these:",
            options=(
                Missing(
                    "Any one of these:",
                    options=(
                        Missing("Passport", "passport"),
                        Missing(
                            "All of these:",
                            options=(
                                Missing("Resident identity card, front", "id_card_front"),
                                Missing("Resident identity card, back", "id_card_back"),
                            ),
                        ),
                        Missing("Driver license", "driver_license"),
                    ),
                ),
                Missing("Front of the credit card", "card_front"),
                Missing(
                    "Transaction details of the bound credit card for the last 6 months",
                    "card_transactions",
                ),
            ),
        )
    ]


def test_one_group_done_asks_for_one_more_of_the_rest():
    lines = still_needed(state_for(UNFREEZE_CARD, {"id_card_front", "id_card_back"}))
    assert lines == [
        Missing(
            "Any one more of these:",
            options=(
                Missing("Front of the credit card", "card_front"),
                Missing(
                    "Transaction details of the bound credit card for the last 6 months",
                    "card_transactions",
                ),
            ),
        )
    ]


def test_all_of_lists_each_missing_item_and_skips_optional_ones():
    facts = {
        "type": "account_change",
        "customer_type": "direct",
        "real_name_auth": "not_completed",
        "account_type": "individual",
        "card_added": False,
        "payments_made": False,
    }
    lines = still_needed(state_for(facts, {"email"}))
    assert [line.key for line in lines] == ["user_name", "contact_address"]
    assert lines[1].text == "Contact address"


def test_a_complete_ticket_and_a_manual_review_need_nothing_from_the_rule():
    assert still_needed(state_for(UNFREEZE_CARD, {"passport", "card_front"})) == []
    manual = {
        "type": "account_change",
        "customer_type": "direct",
        "real_name_auth": "not_completed",
        "account_type": "individual",
        "card_added": False,
        "payments_made": True,
    }
    assert still_needed(state_for(manual, set())) == []


def test_what_a_reviewer_asked_for_is_added():
    asked = ChecklistItem("driver_license", "document", "Driver license", "", "requested")
    lines = still_needed(state_for(UNFREEZE_CARD, {"passport", "card_front"}, [asked]))
    assert lines == [Missing("Driver license", "driver_license")]
