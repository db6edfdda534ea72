"""The customer page's shape (triage.tickets.page): "any N of these" as a choice whose
options not taken fold away once it is met, and each missing item listed once."""

from __future__ import annotations

from triage.requirements import evaluate, parse_facts, resolve
from triage.tickets.checklist import ChecklistItem, TicketState
from triage.tickets.page import Group, TodoLine, build, hint_key

UNFREEZE_CARD = {"type": "unfreeze", "account_type": "individual", "card_added": True}


def state_for(facts: dict, statuses: dict[str, str]) -> TicketState:
    resolution = resolve(parse_facts(facts))
    have = {k for k, s in statuses.items() if s in ("provided", "accepted")}
    customer = evaluate(resolution.requirement, have)
    items = [ChecklistItem(key, "document", key, "", status) for key, status in statuses.items()]
    return TicketState(resolution, items, customer, None, False, [], False)


def keys_of(line: TodoLine) -> list[str]:
    if line.key:
        return [line.key]
    if line.together:
        return list(line.together)
    return [k for option in line.options for k in keys_of(option)]


def test_nothing_sent_is_one_choice_listing_every_item_once():
    page = build(state_for(UNFREEZE_CARD, {}))
    [line] = page.todo
    assert (line.more, line.of, line.met) == (2, 3, 0)
    keys = keys_of(line)
    assert len(keys) == len(set(keys)) == 6
    [group] = page.parts
    assert isinstance(group, Group) and not group.satisfied
    assert not any(option.folded for option in group.options)
    assert not any(option.sent for option in group.options)


def test_one_option_sent_asks_for_one_more_of_the_other_two():
    page = build(state_for(UNFREEZE_CARD, {"passport": "provided"}))
    [line] = page.todo
    assert (line.more, line.of, line.met) == (1, 2, 1)
    assert keys_of(line) == ["card_front", "card_transactions"]


def test_a_met_choice_folds_the_option_not_taken():
    page = build(state_for(UNFREEZE_CARD, {"passport": "provided", "card_front": "provided"}))
    assert page.todo == []
    [group] = page.parts
    assert group.satisfied
    folded = [option.keys for option in group.options if option.folded]
    assert folded == [("card_transactions",)]


def test_a_reviewers_request_is_listed_once():
    statuses = {"passport": "provided", "card_front": "requested"}
    page = build(state_for(UNFREEZE_CARD, statuses))
    listed = [k for line in page.todo for k in keys_of(line)]
    assert listed.count("card_front") == 1


def test_the_card_holders_hint_follows_the_answer_about_real_name_authentication():
    completed = parse_facts(
        {
            "type": "account_change",
            "customer_type": "direct",
            "real_name_auth": "completed",
            "account_type": "individual",
            "card_added": True,
        }
    )
    not_completed = parse_facts(
        {
            "type": "account_change",
            "customer_type": "direct",
            "real_name_auth": "not_completed",
            "account_type": "individual",
            "card_added": True,
        }
    )
    assert hint_key("card_holder_certificate", completed) == "card_holder_certificate"
    assert hint_key("card_holder_certificate", not_completed).endswith(":no_real_name")
