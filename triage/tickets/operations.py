"""Customer operations on tickets. Services flush; the view or command commits."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from triage.errors import (
    InvalidRequest,
    NotFound,
    RequirementsNotMet,
    Unauthorized,
    UnknownMaterial,
)
from triage.extensions import db
from triage.history.models import record
from triage.requirements import MATERIALS, Facts, FactsError, parse_facts, resolve
from triage.secrets import hash_code, random_code
from triage.tickets import status as st
from triage.tickets.checklist import ticket_state
from triage.tickets.information import (
    InformationError,
    clean_email,
    clean_information,
    clean_phone,
    clean_text,
)
from triage.tickets.models import PRIORITIES, Ticket
from triage.timeutil import utcnow

CUSTOMER = "customer"

RESTRICTION_REASONS = {
    "unpaid_resources": "Pay-per-use resources were not paid for",
    "real_name_failed": "Real-name authentication failed for Chinese mainland services",
    "insufficient_balance": "The account balance is insufficient",
    "became_partner": "The account became a partner, such as a reseller",
    "member_budget": "Enterprise member account without enough budget",
    "security_risk": "Security risks were detected on the account",
    "violation": "Laws, regulations or security requirements were violated",
    "not_renewed": "Cloud services were not renewed in the retention period",
    "disable_requested": "A request to disable the cloud services was submitted",
    "partner_budget": "Spending exceeded the budget a reseller partner allocated",
    "unknown": "I don't know",
}


@dataclass(frozen=True)
class NewTicket:
    ticket: Ticket
    access_code: str  # shown to the customer once, never stored


def _reference(ticket_type: str) -> str:
    prefix = "AC" if ticket_type == "account_change" else "UF"
    alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
    body = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"{prefix}-{body[:4]}-{body[4:]}"


@dataclass(frozen=True)
class TicketRequest:
    """A creation request that passed validation: what `create_ticket` stores."""

    facts: Facts
    account_name: str
    contact_email: str
    description: str | None = None
    change_mobile: str | None = None
    change_email: str | None = None
    restriction_reason: str | None = None


def validate_new_ticket(data: Mapping[str, Any]) -> TicketRequest:
    """Check a creation request (api.md `POST /tickets`); InvalidRequest names every bad field.

    Pure: nothing is added, so the web form can collect every error at once.
    """
    if not isinstance(data, Mapping):
        raise InvalidRequest("The body must be a JSON object.", {"body": "must be an object"})
    errors: dict[str, str] = {}
    try:
        facts: Facts | None = parse_facts(data)
    except FactsError as exc:
        errors.update(exc.fields)
        facts = None

    def take(name: str, value: Any, cleaner, required: bool) -> Any:
        try:
            cleaned = None if _blank(value) else cleaner(value)
        except ValueError as exc:
            errors[name] = str(exc)
            return None
        if not cleaned:  # "", or only spaces
            if required:
                errors[name] = "is required"
            return None
        return cleaned

    account_name = take("account_name", data.get("account_name"), clean_text, True)
    contact_email = take("contact_email", data.get("contact_email"), clean_email, True)
    description = take("description", data.get("description"), _long_text, False)
    change_mobile = change_email = reason = None
    ticket_type = data.get("type")
    if ticket_type == "account_change":
        change = data.get("change")
        if change is None:
            change = {}
        if not isinstance(change, Mapping):
            errors["change"] = "must be an object with mobile and/or email"
        else:
            change_mobile = take("change.mobile", change.get("mobile"), clean_phone, False)
            change_email = take("change.email", change.get("email"), clean_email, False)
            if _blank(change.get("mobile")) and _blank(change.get("email")):
                errors["change"] = "give the new mobile number, the new email address, or both"
    elif ticket_type == "unfreeze":
        reason = data.get("restriction_reason")
        if _blank(reason):
            reason = None
        elif not isinstance(reason, str) or reason not in RESTRICTION_REASONS:
            errors["restriction_reason"] = f"must be one of: {', '.join(RESTRICTION_REASONS)}"
            reason = None
    if errors or facts is None:
        raise InvalidRequest("Some answers are missing or not valid.", errors)
    return TicketRequest(facts, account_name, contact_email, description, change_mobile,
                         change_email, reason)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _long_text(value: Any) -> str:
    return clean_text(value, 4000)


def create_ticket(data: Mapping[str, Any]) -> NewTicket:
    """Validate a creation request (api.md `POST /tickets`) and add the ticket."""
    valid = validate_new_ticket(data)
    resolution = resolve(valid.facts)
    code = random_code()
    ticket = Ticket(
        reference=_reference(valid.facts.type),
        type=valid.facts.type,
        status=st.DRAFT,
        facts=valid.facts.as_dict(),
        outcome=resolution.outcome,
        rule=resolution.rule.name if resolution.rule else None,
        account_name=valid.account_name,
        account_key=valid.account_name.casefold(),
        contact_email=valid.contact_email,
        change_mobile=valid.change_mobile,
        change_email=valid.change_email,
        restriction_reason=valid.restriction_reason,
        description=valid.description,
        information={},
        access_token_hash=hash_code(code),
        priority_rank=PRIORITIES.index("normal"),
    )
    db.session.add(ticket)
    db.session.flush()
    record(ticket.id, CUSTOMER, "created", reference=ticket.reference, type=ticket.type,
           outcome=ticket.outcome, rule=ticket.rule)
    return NewTicket(ticket, code)


def ticket_for_code(code: str) -> Ticket:
    """The ticket an access code opens; Unauthorized when it opens none."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.access_token_hash == hash_code(code)))
    if ticket is None:
        raise Unauthorized("That access code does not open any ticket.")
    return ticket


def ticket_by_reference(reference: str) -> Ticket:
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference.upper()))
    if ticket is None:
        raise NotFound()
    return ticket


def information_keys(ticket: Ticket) -> list[str]:
    """Information items this ticket may hold: its rule's, and any a reviewer asked for."""
    state = ticket_state(ticket)
    return [i.key for i in state.items if i.kind == "information"]


def update_information(ticket: Ticket, values: Mapping[str, Any], actor: str = CUSTOMER) -> None:
    if not isinstance(values, Mapping):
        raise InvalidRequest("Send a JSON object of information items.",
                             {"body": "must be an object"})
    st.require(ticket.status, st.EDITABLE, "change the information")
    unknown = sorted(k for k in values if k not in MATERIALS)
    if unknown:
        raise UnknownMaterial(
            f"“{unknown[0]}” is not a material this product knows.",
            fields={k: "is not a known material key" for k in unknown},
        )
    try:
        cleaned = clean_information(values, set(information_keys(ticket)))
    except InformationError as exc:
        raise InvalidRequest("Some information is not valid.", exc.fields) from exc
    info = dict(ticket.information or {})
    changed = dict(info.get("_changed", {}))
    now = utcnow().isoformat()
    for key, value in cleaned.items():
        if value is None:
            info.pop(key, None)
        else:
            info[key] = value
        changed[key] = now
    info["_changed"] = changed
    ticket.information = info  # a new dict, so SQLAlchemy sees the change
    ticket.updated_at = utcnow()
    record(ticket.id, actor, "information_updated", keys=sorted(cleaned))
    db.session.flush()


def submit(ticket: Ticket, explanation: str | None = None) -> None:
    """Send for review; an incomplete ticket needs an explanation and is flagged `incomplete`."""
    from triage.tickets.flags import triage_at_submission

    st.require(ticket.status, st.SUBMITTABLE, "submit")
    state = ticket_state(ticket)
    explanation = (explanation or "").strip() or None
    if not state.complete and explanation is None:
        raise RequirementsNotMet(
            "Some required materials are still missing. Add them, or explain why you "
            "cannot provide them and submit anyway.",
            state.missing,
        )
    now = utcnow()
    resubmission = ticket.status == st.NEEDS_MORE_INFO
    ticket.status = st.AWAITING_REVIEW
    ticket.submitted_at = now
    ticket.first_submitted_at = ticket.first_submitted_at or now
    if explanation:
        ticket.explanation = explanation
    triage_at_submission(ticket, state)
    record(ticket.id, CUSTOMER, "resubmitted" if resubmission else "submitted",
           complete=state.complete, missing=state.missing, explanation=explanation,
           flags=ticket.flags, priority=ticket.priority)
    db.session.flush()


def withdraw(ticket: Ticket) -> None:
    st.require(ticket.status, (st.DRAFT, st.AWAITING_REVIEW, st.IN_REVIEW, st.NEEDS_MORE_INFO),
               "withdraw")
    ticket.status = st.WITHDRAWN
    ticket.claimed_by_id = ticket.claimed_at = ticket.claim_expires_at = None
    record(ticket.id, CUSTOMER, "withdrawn")
    db.session.flush()
