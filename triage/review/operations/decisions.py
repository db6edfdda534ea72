"""A reviewer's verdicts: on one file, a request for more materials, the ticket's decision.

Each is checked against the ticket as read (`leases.check_hold`), validated, then written
as one conditional UPDATE of the ticket's row (`leases.act`) that also extends or ends the
lease. Services flush and never commit; the page or API endpoint commits.
"""

from __future__ import annotations

from typing import Any

from triage import text as text_rules
from triage.errors import InvalidRequest, RequirementsNotMet, UnknownMaterial
from triage.evidence.models import Evidence
from triage.evidence.reasons import REASONS
from triage.extensions import db
from triage.history.models import record
from triage.requirements import MATERIALS
from triage.review.operations.leases import act, check_hold
from triage.reviewers.models import Reviewer
from triage.tickets.checklist import ticket_state
from triage.tickets.models import MaterialRequest, Ticket
from triage.timeutil import utcnow

NOTE_LIMIT = text_rules.limit("note")
DECISIONS = ("approved", "rejected")
REVIEW_DECISIONS = ("accepted", "rejected")


def _note(value: Any, field: str, errors: dict[str, str]) -> str | None:
    """A reviewer's free text (`note`, `message`) by triage.text's rule for `field`:
    several lines allowed, at most the table's limit; the problem goes into `errors`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return text_rules.clean(value, field) or None
    except ValueError as exc:
        errors[field] = str(exc)
        return None


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
    # Serialised with every status change of the ticket (and extends the lease).
    act(ticket, "review_evidence", now)
    item.decision = decision
    item.reason = reason if decision == "rejected" else None
    item.note = note
    item.reviewed_by_id = reviewer.id
    item.reviewed_at = utcnow()
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


def decide(ticket: Ticket, reviewer: Reviewer, decision: Any, note: Any = None) -> None:
    """Approve (only when accepted evidence meets the rule) or reject (with a note)."""
    now = check_hold(ticket, reviewer, "decide this ticket")
    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = "must be “approved” or “rejected”"
    note = _note(note, "note", errors)
    if decision == "rejected" and not note and "note" not in errors:
        errors["note"] = "is required to reject a ticket: tell the customer why"
    if errors:
        raise InvalidRequest("The decision was not saved.", errors)
    act(
        ticket,
        "approve" if decision == "approved" else "reject",
        now,
        decided_at=now,
        decision_note=note,
        claimed_by_id=None,
        claimed_at=None,
        claim_expires_at=None,
    )
    if decision == "approved":
        # Read under the lock the UPDATE took, so no verdict on a file (a lead's, in
        # another request) slips in between this check and the commit. Everything is
        # re-read: files loaded earlier in this request may be stale. If it fails, the
        # caller's rollback undoes the UPDATE.
        db.session.expire_all()
        state = ticket_state(ticket)
        if not state.approvable:
            raise RequirementsNotMet(
                "The ticket cannot be approved yet: accepted evidence does not cover every "
                "required item. Accept the files that are good, or ask for what is missing.",
                list(state.approval_missing),
            )
    record(ticket.id, reviewer.actor, "decided", decision=decision, note=note)
    db.session.flush()
