"""The notification jobs: send one outbox row, sweep rows whose job was lost, resend a link."""

from __future__ import annotations

import socket

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from triage.extensions import db
from triage.jobs import BACKOFF_MAX_SECONDS, enqueue
from triage.notifications import operations as ops


class NotificationNotSent(RuntimeError):
    """The last attempt failed (already in the ticket's history): the job ends failed."""


@shared_task(bind=True, name="triage.notifications.send", max_retries=ops.MAX_ATTEMPTS - 1)
def send(self, notification_id: int) -> str:
    """Send outbox row `notification_id` once; retried with backoff while the server fails."""
    backoff = get_exponential_backoff_interval(
        factor=30, retries=self.request.retries, maximum=BACKOFF_MAX_SECONDS, full_jitter=True
    )
    worker = f"{socket.gethostname()}/{self.request.id or 'direct'}"
    attempt = ops.send_notification(notification_id, worker, backoff=max(backoff, 1))
    if attempt.outcome == "retry":
        raise self.retry(countdown=attempt.retry_in, exc=NotificationNotSent(attempt.error))
    if attempt.outcome == "failed":
        raise NotificationNotSent(attempt.error)  # a lead sees it on /review/jobs
    return attempt.outcome


@shared_task(name="triage.notifications.sweep")
def sweep() -> int:
    """Enqueue the send job of every row whose job was lost (beat, every minute)."""
    due = ops.due_for_sweep()
    db.session.rollback()
    for notification_id in due:
        enqueue("triage.notifications.send", notification_id)
    return len(due)


@shared_task(name="triage.notifications.resend_link")
def resend_link(reference: str, contact_email: str) -> None:
    """Queue a new private link if the address is the ticket's (the API always says 202)."""
    if ops.resend_link(reference, contact_email):
        db.session.commit()  # the send job is enqueued after this commit
    else:
        db.session.rollback()
