"""A reviewer's verdicts: on one file, a request for more materials, the ticket's decision.

Each is checked against the ticket as read (`leases.check_hold`), validated, then written
as one conditional UPDATE of the ticket's row (`leases.act`) that also extends or ends the
lease. Services flush and never commit; the page or API endpoint commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from triage import text as text_rules
from triage.errors import Forbidden, InvalidRequest, InvalidState, UnknownMaterial
from triage.evidence.models import Evidence
from triage.evidence.reasons import REASONS
from triage.extensions import db
from triage.history.models import record
from triage.recovery.waiting import effective_at_after
from triage.requirements import MATERIALS, Node, evaluate, needs
from triage.review.operations.approvals import (
    check_decision,
    needs_second_approval,
    require_approvable,
    second_approval_reasons,
)
from triage.review.operations.approvals import note_text as _note
from triage.review.operations.leases import act, check_hold
from triage.reviewers.models import Reviewer
from triage.tickets import status as st
from triage.tickets.checklist import TicketState
from triage.tickets.models import MaterialRequest, Ticket
from triage.tickets.transitions import transition
from triage.timeutil import iso, utcnow

NOTE_LIMIT = text_rules.limit("note")
REVIEW_DECISIONS = ("accepted", "rejected")


def review_evidence(
    item: Evidence, reviewer: Reviewer, decision: Any, reason: Any = None, note: Any = None
) -> Evidence:
    """Accept or reject one file. A rejection needs a reason code; `other` needs a note.

    A reason sent with an acceptance is ignored: the customer is only told why a file
    was not accepted.
    """
    ticket = item.ticket
    now = check_hold(ticket, reviewer, "review this file")
    errors: dict[str, str] = {}
    if decision not in REVIEW_DECISIONS:
        errors["decision"] = "must be “accepted” or “rejected”"
    note = _note(note, "note", errors)
    if reason not in (None, "") and (not isinstance(reason, str) or reason not in REASONS):
        # Even with an acceptance, where a valid reason is ignored: `{}` is no reason code.
        errors["reason"] = f"must be one of: {', '.join(REASONS)}"
    elif reason == "" and decision != "rejected":
        errors["reason"] = f"must be one of: {', '.join(REASONS)} (or left out)"
    elif decision == "rejected":
        if reason in (None, ""):
            errors["reason"] = "is required to reject a file: the customer reads it"
        elif reason not in REASONS:
            errors["reason"] = f"must be one of: {', '.join(REASONS)}"
        elif reason == "other" and not note:
            errors["note"] = "is required with the reason “other”: say what is wrong"
    if errors:
        raise InvalidRequest("The review was not saved.", errors)
    # The verdict as this request read it: another verdict written meanwhile (a lead and the
    # holder at once, or two tabs) makes this one lose, rather than half-overwrite it.
    as_read = (
        Evidence.reviewed_at.is_(None)
        if item.reviewed_at is None
        else Evidence.reviewed_at == item.reviewed_at
    )
    # Serialised with every status change of the ticket (and extends the lease).
    act(ticket, "review_evidence", now)
    verdict = {
        "decision": decision,
        "reason": reason if decision == "rejected" else None,
        "note": note,
        "reviewed_by_id": reviewer.id,
        "reviewed_at": utcnow(),
    }
    # One UPDATE of the whole verdict: the ORM would write only the columns it saw change
    # on its copy of the row, keeping another verdict's reason beside this one's decision.
    won = db.session.execute(
        update(Evidence)
        .where(Evidence.id == item.id, as_read)
        .values(**verdict)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        db.session.expire(item)
        raise InvalidState(
            "Someone else decided this file while you were looking at it. Reload the ticket "
            "to see their verdict, then decide again if you still need to."
        )
    for name, value in verdict.items():
        set_committed_value(item, name, value)
    record(
        ticket.id,
        reviewer.actor,
        "evidence_reviewed",
        evidence_id=item.id,
        material=item.material,
        filename=item.filename,
        decision=decision,
        reason=item.reason,
        note=note,
    )
    db.session.flush()
    return item


def request_materials(
    ticket: Ticket, reviewer: Reviewer, materials: Any, message: Any
) -> MaterialRequest:
    """Ask the customer for more (any material key, ruling 9); the ticket waits for them."""
    now = check_hold(ticket, reviewer, "ask for more materials")
    errors: dict[str, str] = {}
    if (
        not isinstance(materials, list)
        or not materials
        or not all(isinstance(m, str) for m in materials)
    ):
        errors["materials"] = "must be a non-empty list of material keys"
        materials = []
    text = _note(message, "message", errors)
    if not text and "message" not in errors:
        errors["message"] = "is required: the customer reads exactly this"
    if errors:
        raise InvalidRequest("The request was not sent.", errors)
    unknown = [m for m in materials if m not in MATERIALS]
    if unknown:
        shown = [text_rules.excerpt(m) for m in unknown[:5]]  # never a long echo
        raise UnknownMaterial(
            f"Unknown material key{'s' if len(unknown) > 1 else ''}: {', '.join(shown)}.",
            unknown=shown,
        )
    materials = list(dict.fromkeys(materials))
    act(
        ticket,
        "request_materials",
        now,
        claimed_by_id=None,
        claimed_at=None,
        claim_expires_at=None,
    )
    asked = MaterialRequest(materials=materials, message=text, at=now, reviewer_id=reviewer.id)
    ticket.requests.append(asked)
    record(ticket.id, reviewer.actor, "materials_requested", materials=materials, message=text)
    db.session.flush()
    return asked


def materials_to_ask_again(state: TicketState) -> list[str]:
    """The rejected items that "Ask the customer for more" ticks before the reviewer does:
    only those the ticket cannot be approved without, whatever else the customer sends.

    Every item of a request becomes required of the customer (their page asks for it, and
    "Send again" refuses to go without it or an explanation). Ticking a rejected item that
    the rule lets the customer replace (ruling 8: any two of identity document, card
    front, card transactions) would turn an option into an obligation; where a choice
    remains, the reviewer ticks what they want and says in the message what else would do.
    With no rule (ruling 2) nothing is indispensable: the reviewer ticks what they need.
    """
    trees = [state.resolution.requirement]
    if state.record_check is not None and state.record_check.resolution is not None:
        trees.append(state.record_check.resolution.requirement)
    rejected = [item.key for item in state.items if item.status == "rejected"]
    return _indispensable(rejected, [tree for tree in trees if tree is not None])


def record_materials_to_ask(state: TicketState) -> list[str]:
    """Of what the account record's list still lacks (recovery.md), what the page's "ask
    for what the record's list lacks" form ticks: only what that list cannot be met
    without, for the reason `materials_to_ask_again` gives."""
    check = state.record_check
    if check is None or check.resolution is None or check.resolution.requirement is None:
        return []
    return _indispensable(check.missing, [check.resolution.requirement])


def _indispensable(keys: list[str], trees: list[Node]) -> list[str]:
    """The `keys` without which one of `trees` stays unmet even with every OTHER item of
    the trees accepted: the requirements engine's own `evaluate`, no rule re-derived."""
    everything = {need.material for tree in trees for need in needs(tree)}
    return [
        key
        for key in keys
        if any(not evaluate(tree, everything - {key}).satisfied for tree in trees)
    ]


def decide(ticket: Ticket, reviewer: Reviewer, decision: Any, note: Any = None) -> None:
    """Approve (only when accepted evidence meets the rule) or reject (with a note).

    recovery.md "Second approval": the approval of a ticket that needs two
    (`approvals.needs_second_approval`) is a first approval: the ticket goes to
    `awaiting_second_approval` for a lead, the claim ends, and the customer hears nothing
    yet. Any other approval is final, with `effective_at` (the waiting period of an
    account change). A `disputed` ticket is decided again by a lead (`decide_disputed`).
    """
    if ticket.status == st.DISPUTED:
        decide_disputed(ticket, reviewer, decision, note)
        return
    now = check_hold(ticket, reviewer, "decide this ticket")
    note = check_decision(
        decision, note, reject_note="is required to reject a ticket: tell the customer why"
    )
    ends_claim = {"claimed_by_id": None, "claimed_at": None, "claim_expires_at": None}
    if decision == "rejected":
        act(ticket, "reject", now, decided_at=now, decision_note=note, **ends_claim)
        record(ticket.id, reviewer.actor, "decided", decision=decision, note=note)
        db.session.flush()
        return
    # Chosen from the ticket as read; checked again under the lock below.
    two = needs_second_approval(ticket)
    if two:
        act(
            ticket,
            "first_approve",
            now,
            first_approved_by_id=reviewer.id,
            first_approved_at=now,
            first_approval_note=note,
            **ends_claim,
        )
    else:
        act(
            ticket,
            "approve",
            now,
            decided_at=now,
            decision_note=note,
            effective_at=effective_at_after(ticket, now),
            **ends_claim,
        )
    require_approvable(ticket)  # re-reads the ticket under the lock the UPDATE took
    if not two and needs_second_approval(ticket):
        # A flag that calls for a second approval arrived between our read and our UPDATE
        # (a background check): the rollback undoes the final approval.
        raise InvalidState(
            "This ticket changed while you were deciding: it now needs a second approval. "
            "Reload it and approve again."
        )
    if two:
        record(
            ticket.id,
            reviewer.actor,
            "first_approved",
            note=note,
            first_approver=reviewer.email,
            first_approved_at=iso(now),
            reasons=second_approval_reasons(ticket),
        )
    else:
        record(ticket.id, reviewer.actor, "decided", decision=decision, note=note)
    db.session.flush()


def decide_disputed(ticket: Ticket, lead: Reviewer, decision: Any, note: Any = None) -> None:
    """A lead decides again on a `disputed` ticket (recovery.md "Notice to the registered
    owner": the owner's "this was not me" blocks the change until a lead decides again).

    No claim is needed; a note is required either way. A rejection is final (`decided`,
    with `after_dispute: true`, tells the customer). An approval needs what any approval
    needs (checked under the lock) and is the FIRST of two: the ticket is flagged
    `disputed`, and recovery.md asks two approvals of such a ticket, so one lead cannot
    let a disputed change through alone. It waits in `awaiting_second_approval` for a lead
    other than this one; that approval starts a new waiting period. `403 forbidden` for a
    reviewer who is not a lead.
    """
    if not lead.is_lead:
        raise Forbidden(
            "Only a lead decides a disputed ticket: the account's registered owner said "
            "“this was not me”."
        )
    if ticket.status != st.DISPUTED:
        raise InvalidState(
            f"You cannot decide this disputed ticket now: {st.WORDS[ticket.status].not_in_review}."
        )
    note = check_decision(
        decision,
        note,
        reject_note="is required to reject a disputed ticket: tell the customer why",
        approve_note="is required to approve a disputed ticket: say why the change goes ahead "
        "although the registered owner disputed it",
    )
    now = utcnow()
    ends_claim = {"claimed_by_id": None, "claimed_at": None, "claim_expires_at": None}
    if decision == "approved":
        transition(
            ticket.id,
            "approve_disputed",
            first_approved_by_id=lead.id,
            first_approved_at=now,
            first_approval_note=note,
            second_approved_by_id=None,
            second_approved_at=None,
            second_approval_note=None,
            effective_at=None,
            updated_at=now,
            **ends_claim,
        )
        require_approvable(ticket)
        record(ticket.id, lead.actor, "first_approved", note=note, after_dispute=True)
    else:
        transition(
            ticket.id,
            "reject_disputed",
            decided_at=now,
            decision_note=note,
            effective_at=None,
            updated_at=now,
            **ends_claim,
        )
        record(ticket.id, lead.actor, "decided", decision=decision, note=note, after_dispute=True)
    db.session.flush()
