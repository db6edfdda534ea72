"""Every model, imported in one place so migrations and relationships see them all."""

from triage.evidence.models import Evidence
from triage.grants.models import TicketGrant
from triage.history.models import Event
from triage.reviewers.models import Reviewer, ReviewerToken
from triage.tickets.models import MaterialRequest, Ticket, TicketFlag

__all__ = [
    "Event",
    "Evidence",
    "MaterialRequest",
    "Reviewer",
    "ReviewerToken",
    "Ticket",
    "TicketFlag",
    "TicketGrant",
]
