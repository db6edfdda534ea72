"""The retention purge as a periodic job (beat, hourly: triage.jobs.SCHEDULE).

Idempotent and resumable (triage.retention.operations): each ticket is taken with one
conditional UPDATE and its rows are marked before any object is deleted, so a second run
changes nothing and a run after a crash finishes what the crash left.
"""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from storage import StorageError
from triage.jobs import TRANSIENT

log = logging.getLogger(__name__)


@shared_task(name="triage.retention.purge", autoretry_for=(StorageError, *TRANSIENT))
def purge() -> int:
    """Delete the evidence of tickets closed more than RETENTION_DAYS ago and not held.

    recovery.md "Keeping identity documents". A store failure on some tickets does not
    stop the others; it is raised at the end, so the job is retried with backoff and a
    lead sees it on /review/jobs. Returns how many tickets were purged or finished.
    """
    from triage.retention.operations import purge_expired

    report = purge_expired(current_app.extensions["evidence_store"])
    done = len(report.purged) + len(report.resumed)
    if done:
        log.info(
            "retention purge: %d ticket(s) purged, %d finished, %d object(s) deleted",
            len(report.purged),
            len(report.resumed),
            report.objects_deleted,
        )
    if report.failed:
        raise StorageError(
            f"the evidence store failed for {len(report.failed)} ticket(s): "
            + "; ".join(f"{ref}: {why}" for ref, why in sorted(report.failed.items())[:5])
        )
    return done
