"""Customer operations on tickets. Services flush; the view or command commits."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from triage.accounts.directory import look_up
from triage.accounts.operations import check_new_ticket, record_checked
from triage.errors import (
    InvalidRequest,
    Msg,
    NotFound,
    RequirementsNotMet,
    Unauthorized,
    UnknownMaterial,
)
from triage.extensions import db
from triage.history.models import record
from triage.requirements import MATERIALS, Facts, FactsError, parse_facts, resolve
from triage.secrets import hash_code, random_code
from triage.text import excerpt, normalise_name
from triage.tickets import status as st
from triage.tickets.checklist import ticket_state
from triage.tickets.information import InformationError, clean_information
from triage.tickets.models import PRIORITIES, Ticket
from triage.tickets.transitions import lock, transition
from triage.timeutil import utcnow

if TYPE_CHECKING:  # pragma: no cover - the schemas import this module's vocabulary
    from triage.tickets.schemas import TicketCreate

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
    holder_name: str | None = None  # api.md "Evidence analysis": as on the identity document


def validate_new_ticket(data: Mapping[str, Any] | TicketCreate) -> TicketRequest:
    """Check a creation request (api.md `POST /tickets`); InvalidRequest names every bad field.

    `data` is the API's validated `TicketCreate`, or the page form's answers (yes/no as
    words), validated here by the same model. Pure: nothing is added, so the web form can
    collect every error at once.
    """
    from pydantic import ValidationError

    from triage.api.schemas import fields_of
    from triage.tickets.schemas import TicketCreate

    if not isinstance(data, TicketCreate):
        if not isinstance(data, Mapping):
            raise InvalidRequest("The body must be a JSON object.", {"body": "must be an object"})
        try:
            data = TicketCreate.from_words(data)
        except ValidationError as exc:
            raise InvalidRequest("Some answers are missing or not valid.", fields_of(exc)) from exc
    try:
        facts = parse_facts(data.facts())
    except FactsError as exc:  # the model states the same rules
        raise InvalidRequest("Some answers are missing or not valid.", exc.fields) from exc
    account_change = facts.type == "account_change"
    change = data.change if account_change else None
    return TicketRequest(
        facts,
        data.account_name,
        data.contact_email,
        data.description,
        change.mobile if change else None,
        change.email if change else None,
        data.restriction_reason if facts.type == "unfreeze" else None,
        data.holder_name,
    )


def create_ticket(data: Mapping[str, Any], language: str = "en") -> NewTicket:
    """Validate a creation request (api.md `POST /tickets`) and add the ticket.

    `data` carries the optional `holder_name` (the name as on the identity document, which
    the evidence analysis compares with a passport's MRZ) like every other field, checked
    by the same model. `language`: the customer's locale ("en", "zh_Hans", "es"; api.md
    "Languages"), which the ticket's emails are written in.
    """
    valid = validate_new_ticket(data)
    resolution = resolve(valid.facts)
    # recovery.md "Accounts of record": asked before the INSERT, so no lock is held while
    # the directory answers (within ACCOUNT_DIRECTORY_TIMEOUT; silence leaves it pending).
    answer = look_up(valid.account_name)
    code = random_code()
    ticket = Ticket(
        reference=_reference(valid.facts.type),
        type=valid.facts.type,
        status=st.DRAFT,
        facts=valid.facts.as_dict(),
        outcome=resolution.outcome,
        rule=resolution.rule.name if resolution.rule else None,
        account_name=valid.account_name,
        account_key=normalise_name(valid.account_name)[:200],  # matched by flags.py
        contact_email=valid.contact_email,
        contact_key=normalise_name(valid.contact_email)[:254],  # `velocity` counts by it
        change_mobile=valid.change_mobile,
        change_email=valid.change_email,
        restriction_reason=valid.restriction_reason,
        description=valid.description,
        holder_name=valid.holder_name,
        information={},
        access_token_hash=hash_code(code),
        priority_rank=PRIORITIES.index("normal"),
        evidence_count=0,
        evidence_bytes=0,
        language=language,
    )
    # recovery.md: the record, its status and flags go in with the ticket's INSERT.
    record_status = check_new_ticket(ticket, answer)
    db.session.add(ticket)
    db.session.flush()
    # A new ticket has no files or requests: say so, so that serialising it before the
    # commit (api.md `POST /tickets` answers with the whole ticket) loads nothing. Its
    # flags are the ones just added.
    for empty in ("evidence", "requests"):
        set_committed_value(ticket, empty, [])
    record(
        ticket.id,
        CUSTOMER,
        "created",
        reference=ticket.reference,
        type=ticket.type,
        outcome=ticket.outcome,
        rule=ticket.rule,
    )
    record_checked(ticket, record_status)
    return NewTicket(ticket, code)


def ticket_for_code(code: str) -> Ticket:
    """The ticket an access code opens, in one SELECT; Unauthorized when it opens none.

    Only the ticket's own row: its flags, evidence and requests load when something reads
    them (a page, `ticket_json`), never on the upload path, which needs none of them.
    """
    ticket = db.session.scalar(
        select(Ticket)
        .where(Ticket.access_token_hash == hash_code(code))
        .options(lazyload(Ticket.flag_rows))
    )
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
        raise InvalidRequest(
            "Send a JSON object of information items.", {"body": "must be an object"}
        )
    st.require(ticket.status, st.EDITABLE, "change the information")
    unknown = sorted(k for k in values if k not in MATERIALS)
    if unknown:
        raise UnknownMaterial(
            Msg("“%(key)s” is not a material this product knows.", key=excerpt(unknown[0])),
            fields={excerpt(k): "is not a known material key" for k in unknown[:20]},
        )
    try:
        cleaned = clean_information(values, set(information_keys(ticket)))
    except InformationError as exc:
        raise InvalidRequest("Some information is not valid.", exc.fields) from exc
    # The guard (api.md "Statuses"): still editable, and the row is ours until commit, so a
    # submission or another change waits; the items are merged into what is stored now.
    lock(ticket.id, "change_information")
    db.session.refresh(ticket, ["information"])
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
    record(ticket.id, actor, "information_updated", keys=sorted(cleaned))
    db.session.flush()


def submit(ticket: Ticket, explanation: str | None = None) -> None:
    """Send for review; an incomplete ticket needs an explanation and is flagged `incomplete`.

    api.md "Statuses": `draft` or `needs_more_info` → `awaiting_review`, as one conditional
    UPDATE; InvalidState (`409 invalid_state`) when the ticket is no longer in either (a
    withdrawal won), RequirementsNotMet (`409`) when items are missing and no explanation
    was given. The caller commits, or rolls back on an error.
    """
    from triage.tickets.flags import triage_at_submission

    st.require(ticket.status, st.SUBMITTABLE, "submit")
    explanation = (explanation or "").strip() or None
    resubmission = ticket.status == st.NEEDS_MORE_INFO
    action = "resubmit" if resubmission else "submit"
    # Take the row first (the submission's own condition, changing nothing yet), then read:
    # an upload or information change that committed before is counted by the checklist
    # and the flags; one that comes later waits for our commit and finds the ticket
    # submitted. (The checklist is read before the status changes: a reviewer's open
    # requests count only while the ticket is `needs_more_info`.)
    lock(ticket.id, action)
    db.session.expire(ticket)
    state = ticket_state(ticket)
    if not state.complete and explanation is None:
        raise RequirementsNotMet(
            "Some required materials are still missing. Add them, or explain why you "
            "cannot provide them and submit anyway.",
            state.missing,
        )
    now = utcnow()
    transition(ticket.id, action, submitted_at=now)  # api.md "Statuses": one conditional UPDATE
    ticket.first_submitted_at = ticket.first_submitted_at or now
    if explanation:
        ticket.explanation = explanation
    triage_at_submission(ticket, state)
    record(
        ticket.id,
        CUSTOMER,
        "resubmitted" if resubmission else "submitted",
        complete=state.complete,
        missing=state.missing,
        explanation=explanation,
        flags=ticket.flags,
        priority=ticket.priority,
    )
    db.session.flush()


def withdraw(ticket: Ticket) -> None:
    """The customer withdraws a ticket that is not decided (api.md "Statuses").

    InvalidState (`409 invalid_state`) when it is decided or withdrawn already, also when a
    decision committed between reading the ticket and this UPDATE. Ends any claim.
    """
    st.require(ticket.status, st.WITHDRAWABLE, "withdraw")
    # One conditional UPDATE (api.md "Statuses"): a decision or submission that won the
    # row first leaves nothing to match, and this answers 409 instead of overwriting it.
    transition(ticket.id, "withdraw", claimed_by_id=None, claimed_at=None, claim_expires_at=None)
    record(ticket.id, CUSTOMER, "withdrawn")
    db.session.flush()
