"""Every model, imported in one place so migrations and relationships see them all."""

from triage.accounts.models import AccountRecord
from triage.evidence.models import Evidence
from triage.grants.models import TicketGrant
from triage.history.models import Event
from triage.notifications.models import Notification
from triage.recovery.models import DisputeLink
from triage.reviewers.models import Reviewer, ReviewerToken
from triage.tickets.models import MaterialRequest, Ticket, TicketFlag

__all__ = [
    "AccountRecord",
    "DisputeLink",
    "Event",
    "Evidence",
    "MaterialRequest",
    "Notification",
    "Reviewer",
    "ReviewerToken",
    "Ticket",
    "TicketFlag",
    "TicketGrant",
]
