"""The background job of triage.accounts: the comparison the directory did not answer."""

from __future__ import annotations

from celery import shared_task

from triage.accounts.operations import recheck_pending


@shared_task(name="triage.accounts.recheck")
def recheck() -> int:
    """Compare pending tickets with their account's record (beat, every minute).

    recovery.md "Accounts of record": "A directory that does not answer never blocks a
    customer: the comparison is retried by a job, and the ticket is flagged until it
    succeeds". Idempotent: a ticket is taken with one conditional UPDATE while pending.
    """
    return recheck_pending()
