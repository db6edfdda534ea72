"""A ticket as reviewers see it: the customer's JSON plus claim and approval state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from triage.accounts.serialize import record_json
from triage.requirements import (
    INFORMATION_KEYS,
    Evaluation,
    authorization_letter_check,
    needs,
)
from triage.retention.serialize import retention_json
from triage.review.operations.approvals import approvals_json
from triage.tickets.checklist import TicketState, facts_of, ticket_state
from triage.tickets.models import Ticket
from triage.tickets.page import TodoLine, build
from triage.tickets.serialize import evidence_json, ticket_json
from triage.timeutil import iso


def letter_check(ticket: Ticket, state: TicketState) -> str | None:
    """Ruling 7: which of seal and signature this ticket's authorization letter needs."""
    if state.item("authorization_letter") is None:
        return None
    return authorization_letter_check(facts_of(ticket))


def still_to_accept(state: TicketState, evaluation: Evaluation | None) -> list[TodoLine]:
    """What accepted evidence still lacks of one list (`state.approval`, or the record's
    `record_check.approval`), group by group as the customer's checklist shows it.

    The flat `approval_missing` names every option of an unmet choice ("any two of
    identity document, card front, card transactions" lists six documents), which reads
    as if all were needed. This is the customer page's own walk of the engine's tree
    (`triage.tickets.page.build`) read with accepted evidence instead of what was sent:
    a choice stays one line with its open options ("one of", "2 of these 3").
    """
    if evaluation is None or evaluation.satisfied:
        return []
    # The tree's open parts only: `build` would add the customer's open requests too.
    items = [item for item in state.items if item.status != "requested"]
    return build(replace(state, customer=evaluation, items=items)).todo


def record_only(state: TicketState) -> list[str]:
    """The materials the account record's list names and the ticket's list does not (nor
    any file or request): the page has no card or row for them unless it makes one.

    The record panel's tree, its "still to be covered" and the approval box link every
    material they name to `#item-<key>`; a reviewer following one wants the place where
    that material is shown, even if only to read that nothing was sent.
    """
    check = state.record_check
    if check is None or check.approval is None:
        return []
    listed = {item.key for item in state.items}
    named = dict.fromkeys(need.material for need in needs(check.approval.node))
    return [key for key in named if key not in listed]


def typed_rows(state: TicketState, info: Mapping[str, object], beyond: list[str]) -> list[str]:
    """The typed items the page lists, in the list's order: each one either list names
    (`beyond`: the record's own), given or not, then any other the customer gave.

    A typed item left out still has its row ("not given"): the lists link to it, and
    what was not typed is what a reviewer has to see.
    """
    asked = [item.key for item in state.items if item.kind == "information"]
    asked += [key for key in beyond if key in INFORMATION_KEYS]
    return list(dict.fromkeys([*asked, *info]))


def review_ticket_json(ticket: Ticket, state: TicketState | None = None) -> dict[str, Any]:
    state = state or ticket_state(ticket)
    return ticket_json(ticket, state) | {
        "claimed_by": ticket.claimed_by.email if ticket.claimed_by else None,
        "claimed_at": iso(ticket.claimed_at),
        "claim_expires_at": iso(ticket.claim_expires_at),
        "first_submitted_at": iso(ticket.first_submitted_at),
        "approvable": state.approvable,
        "approval_missing": list(state.approval_missing),
        "approval_requirement": state.approval.to_json() if state.approval else None,
        "authorization_letter_check": letter_check(ticket, state),
        # Reviewers see every flag (customers only CUSTOMER_FLAGS) and the safeguards.
        "flags": ticket.flags,
        "priority": ticket.priority,
        "record": record_json(ticket, state),
        "approvals": approvals_json(ticket),
        "retention": retention_json(ticket),
        # api.md "Evidence analysis": findings in reviewers' words, and what was read.
        "evidence": [evidence_json(e, reviewer=True) for e in ticket.evidence],
    }
