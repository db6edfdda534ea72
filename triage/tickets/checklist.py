"""What a ticket has against what its rule asks: the checklist, `complete` and `missing`.

Two readings of one tree: for the customer, evidence counts once provided and not
rejected; for approval, only accepted evidence counts (api.md, "Tickets").

recovery.md "Accounts of record" adds a second tree where the account's record tells
other facts than the customer declared: approval follows the stricter (both lists met by
accepted evidence), while the customer's checklist keeps following what they declared
(the product never tells a stranger what the record says).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from triage.accounts.masks import mask_email, mask_mobile
from triage.accounts.records import COMPARED_FACTS, record_resolution
from triage.requirements import (
    INFORMATION_KEYS,
    MATERIALS,
    AllOf,
    Evaluation,
    Facts,
    Need,
    Resolution,
    evaluate,
    needs,
    resolve,
)
from triage.tickets.models import Ticket
from triage.timeutil import aware


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    kind: str
    label: str
    hint: str
    status: str  # missing | provided | accepted | rejected | requested
    optional: bool = False
    in_rule: bool = True
    request_message: str | None = None
    reasons: tuple[str, ...] = ()  # rejection reasons of this item's evidence


@dataclass(frozen=True)
class RecordCheck:
    """The declared facts against the account's record, as reviewers read it.

    recovery.md "Accounts of record": `record` is the record with its contacts masked
    (never the full values); `resolution` and `approval` are the record's own list and
    what accepted evidence covers of it, present only when the record's facts differ.
    """

    status: str | None  # matched | mismatch | unknown | pending; None: never checked
    checked_at: datetime | None
    record: dict[str, object] | None
    differences: list[dict[str, object]]
    compared: tuple[str, ...] = ()  # the facts this ticket's type asks, in order
    resolution: Resolution | None = None
    approval: Evaluation | None = None
    # Material keys the record's list lacks; ["evidence"] when no rule fits the record's
    # facts and no file is accepted yet (ruling 2, as for the declared list).
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TicketState:
    resolution: Resolution
    items: list[ChecklistItem]
    customer: Evaluation | None
    approval: Evaluation | None
    complete: bool
    missing: list[str]
    approvable: bool
    approval_missing: list[str] = field(default_factory=list)
    # recovery.md "Approval follows the stricter": what the record's list still lacks
    # (also in `approval_missing`), and the comparison itself. Reviewers only.
    record_missing: list[str] = field(default_factory=list)
    record_check: RecordCheck | None = None

    def item(self, key: str) -> ChecklistItem | None:
        return next((i for i in self.items if i.key == key), None)


def facts_of(ticket: Ticket) -> Facts:
    return Facts(**ticket.facts)


def open_requests(ticket: Ticket) -> dict[str, tuple[datetime, str]]:
    """Material → (time, message) of reviewer requests the customer has not answered yet."""
    if ticket.status != "needs_more_info":
        return {}
    asked: dict[str, tuple[datetime, str]] = {}
    for request in ticket.requests:
        for key in request.materials:
            asked[key] = (aware(request.at), request.message)
    answered = {
        key
        for key, (at, _) in asked.items()
        if any(e.material == key and aware(e.uploaded_at) > at for e in ticket.evidence)
        or (key in INFORMATION_KEYS and _info_changed_after(ticket, key, at))
    }
    return {k: v for k, v in asked.items() if k not in answered}


def _info_changed_after(ticket: Ticket, key: str, at: datetime) -> bool:
    changed = (ticket.information or {}).get("_changed", {}).get(key)
    return changed is not None and datetime.fromisoformat(changed) > at


def information_values(ticket: Ticket) -> dict[str, object]:
    return {k: v for k, v in (ticket.information or {}).items() if not k.startswith("_")}


def ticket_state(ticket: Ticket) -> TicketState:
    resolution = resolve(facts_of(ticket))
    info = information_values(ticket)
    requested = open_requests(ticket)
    by_key: dict[str, list] = {}
    for item in ticket.evidence:
        by_key.setdefault(item.material, []).append(item)

    def status(key: str) -> str:
        if key in requested:
            return "requested"
        if key in INFORMATION_KEYS:
            return "provided" if info.get(key) else "missing"
        decisions = [e.decision for e in by_key.get(key, [])]
        if "accepted" in decisions:
            return "accepted"
        if None in decisions:
            return "provided"
        return "rejected" if decisions else "missing"

    rule_needs = list(needs(resolution.requirement)) if resolution.requirement else []
    keys = [n.material for n in rule_needs]
    extra = [k for k in [*requested, *by_key] if k not in keys]
    optional = {n.material for n in rule_needs if n.optional}
    items = [
        ChecklistItem(
            key=key,
            kind=MATERIALS[key].kind,
            label=MATERIALS[key].label,
            hint=MATERIALS[key].hint,
            status=status(key),
            optional=key in optional,
            in_rule=key in keys,
            request_message=requested[key][1] if key in requested else None,
            reasons=tuple(e.reason for e in by_key.get(key, []) if e.decision == "rejected"),
        )
        for key in dict.fromkeys([*keys, *extra])
    ]

    statuses = {i.key: i.status for i in items}
    have_customer = {k for k, s in statuses.items() if s in ("provided", "accepted")}
    have_approval = {k for k, s in statuses.items() if s == "accepted"} | {
        k for k in info if k in INFORMATION_KEYS and info[k]
    }
    pending = [k for k in requested]
    if resolution.requirement is None:
        # No rule applies (ruling 2): any accepted piece of evidence lets a reviewer decide.
        customer = approval = None
        complete = bool(have_customer) and not pending
        missing = pending
        approvable = bool(have_approval - INFORMATION_KEYS)
        approval_missing: list[str] = [] if approvable else ["evidence"]
    else:
        customer = evaluate(resolution.requirement, have_customer)
        approval = evaluate(resolution.requirement, have_approval)
        missing = list(dict.fromkeys([*customer.missing, *pending]))
        complete = not missing
        approvable = approval.satisfied
        approval_missing = list(approval.missing)
    check = record_check(ticket, have_approval)
    if check is not None and check.missing:
        approvable = False
        approval_missing = list(dict.fromkeys([*approval_missing, *check.missing]))
    return TicketState(
        resolution,
        items,
        customer,
        approval,
        complete,
        missing,
        approvable,
        approval_missing,
        record_missing=list(check.missing) if check else [],
        record_check=check,
    )


def record_check(ticket: Ticket, have_approval: set[str]) -> RecordCheck | None:
    """The comparison with the account's record, and the record's own list evaluated
    against accepted evidence (`have_approval`) when its facts differ; None before any
    check (tickets made before recovery.md).

    recovery.md "Accounts of record": "Approval follows the stricter: every required item
    of the record's list and of the declared list must be satisfied by accepted evidence".
    """
    if ticket.record_status is None:
        return None
    stored = ticket.record or None
    masked = (
        {
            **stored,
            "email": mask_email(stored.get("email")),
            "mobile": mask_mobile(stored.get("mobile")),
        }
        if stored
        else None
    )
    differences = list(ticket.record_differences or [])
    resolution = record_resolution(ticket.type, ticket.facts, stored) if differences else None
    approval = None
    missing: list[str] = []
    if resolution is not None and resolution.requirement is not None:
        approval = evaluate(resolution.requirement, have_approval)
        missing = list(approval.missing)
    elif resolution is not None and not have_approval - INFORMATION_KEYS:
        # No rule fits the record's facts (ruling 2): as for a ticket declaring them, a
        # reviewer decides, on at least one accepted file, never on typed answers alone.
        missing = ["evidence"]
    return RecordCheck(
        status=ticket.record_status,
        checked_at=aware(ticket.record_checked_at) if ticket.record_checked_at else None,
        record=masked,
        differences=differences,
        compared=COMPARED_FACTS.get(ticket.type, ()),
        resolution=resolution,
        approval=approval,
        missing=missing,
    )


@dataclass(frozen=True)
class Missing:
    """One line of "still needed" in the customer's words (the flat `missing` list cannot
    say that one of two items is enough)."""

    text: str
    key: str | None = None  # a single item: the page links to it
    options: tuple[Missing, ...] = ()  # "any N of these": the choices still open


_COUNTS = {1: "one", 2: "two", 3: "three", 4: "four"}


def still_needed(state: TicketState) -> list[Missing]:
    """What the customer must still add: the rule's open parts, with "any N of these"
    kept as a choice, then whatever a reviewer asked for that is not there yet."""
    lines = _lines(state.customer)
    listed = {key for line in lines for key in _keys(line)}
    lines += [
        Missing(_short(i.key), i.key)
        for i in state.items
        if i.status == "requested" and i.key not in listed
    ]
    return lines


def _short(key: str) -> str:
    return MATERIALS[key].label.split(":")[0]


def _keys(line: Missing) -> set[str]:
    return {line.key} if line.key else {k for option in line.options for k in _keys(option)}


def _lines(evaluation: Evaluation | None) -> list[Missing]:
    if evaluation is None or evaluation.satisfied:
        return []
    node = evaluation.node
    if isinstance(node, Need):
        return [Missing(_short(node.material), node.material)]
    if isinstance(node, AllOf):
        return [line for child in evaluation.children for line in _lines(child)]
    met = sum(child.satisfied for child in evaluation.children)
    more = node.min - met
    text = f"Any {_COUNTS.get(more, str(more))} {'more ' if met else ''}of these:"
    return [
        Missing(
            text,
            options=tuple(_option(child) for child in evaluation.children if not child.satisfied),
        )
    ]


def _option(evaluation: Evaluation) -> Missing:
    lines = _lines(evaluation)
    return lines[0] if len(lines) == 1 else Missing("All of these:", options=tuple(lines))
