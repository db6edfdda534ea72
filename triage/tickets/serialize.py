"""Tickets and evidence as api.md's JSON."""

from __future__ import annotations

from typing import Any

from triage.evidence.models import Evidence
from triage.requirements import MATERIALS, node_json
from triage.tickets import status as st
from triage.tickets.checklist import TicketState, information_values, ticket_state
from triage.tickets.flags import CUSTOMER_FLAGS
from triage.tickets.models import Ticket
from triage.timeutil import iso


def evidence_json(item: Evidence, reviewer: bool = False) -> dict[str, Any]:
    """One file as api.md shows it; `reviewer` adds what was read (`extracted`) and gives
    findings in a reviewer's words instead of the customer's advice."""
    from triage.evidence.analysis import findings_json

    review = None
    if item.decision:
        review = {
            "decision": item.decision,
            "reason": item.reason,
            "note": item.note,
            "at": iso(item.reviewed_at),
        }
    return {
        "id": item.id,
        "material": item.material,
        "filename": item.filename,
        "size": item.size,
        "content_type": item.content_type,
        "sha256": item.sha256,
        "uploaded_at": iso(item.uploaded_at),
        "warnings": list(item.warnings or []),
        "review": review,
        # recovery.md: the retention purge deleted the file (the row stays).
        "purged_at": iso(item.purged_at),
        # api.md "Evidence analysis": findings in the reader's words; customers never get
        # `extracted`.
        "analysis": item.analysis,
        "findings": findings_json(item, reviewer=reviewer),
    } | ({"extracted": item.extracted or None} if reviewer else {})


def customer_priority(ticket: Ticket) -> str:
    """The priority a customer is shown: from what they can see themselves (the type and
    `incomplete`), never from what other tickets or the account's record say (a
    `duplicate_evidence`, `near_duplicate` or `disputed` ticket is `high` for reviewers
    only). Rule of triage.tickets.flags; a ticket not yet submitted is `normal`, as made."""
    if ticket.first_submitted_at is None:
        return "normal"
    if ticket.type == "unfreeze":
        return "high"
    return "low" if "incomplete" in ticket.flags else "normal"


def ticket_json(ticket: Ticket, state: TicketState | None = None) -> dict[str, Any]:
    state = state or ticket_state(ticket)
    return {
        "reference": ticket.reference,
        "type": ticket.type,
        "status": ticket.status,
        "facts": dict(ticket.facts),
        "account_name": ticket.account_name,
        "contact_email": ticket.contact_email,
        "change": {"mobile": ticket.change_mobile, "email": ticket.change_email}
        if ticket.type == "account_change"
        else None,
        "restriction_reason": ticket.restriction_reason,
        "description": ticket.description,
        "holder_name": ticket.holder_name,
        "created_at": iso(ticket.created_at),
        "submitted_at": iso(ticket.submitted_at),
        "decided_at": iso(ticket.decided_at),
        "outcome": state.resolution.outcome,
        "message": state.resolution.message or None,
        "requirement": state.customer.to_json() if state.customer else None,
        "complete": state.complete,
        "missing": state.missing,
        "checklist": [
            {
                "key": i.key,
                "kind": i.kind,
                "label": i.label,
                "status": i.status,
                "optional": i.optional,
            }
            for i in state.items
        ],
        "evidence": [evidence_json(e) for e in ticket.evidence],
        "information": information_values(ticket),
        "requests": [
            {"materials": list(r.materials), "message": r.message, "at": iso(r.at)}
            for r in ticket.requests
        ],
        "explanation": ticket.explanation,
        "decision_note": ticket.decision_note if ticket.status in st.DECIDED else None,
        "flags": [f for f in ticket.flags if f in CUSTOMER_FLAGS],
        "priority": customer_priority(ticket),
        # recovery.md: an approved account change takes effect at this time.
        "effective_at": iso(ticket.effective_at),
    }


def requirements_json(resolution, ticket_type: str) -> dict[str, Any]:
    from triage.requirements import needs

    out: dict[str, Any] = {"type": ticket_type, "outcome": resolution.outcome}
    if resolution.message:
        out["message"] = resolution.message
    out["requirement"] = node_json(resolution.requirement) if resolution.requirement else None
    out["materials"] = [
        {
            "key": n.material,
            "kind": MATERIALS[n.material].kind,
            "label": MATERIALS[n.material].label,
            "optional": n.optional,
        }
        for n in (needs(resolution.requirement) if resolution.requirement else [])
    ]
    if resolution.rule:
        out["rule"] = {"name": resolution.rule.name, "source": resolution.rule.source}
    return out
