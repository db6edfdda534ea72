"""The evidence analysis jobs (api.md "Evidence analysis", "Background work").

`triage.evidence.analyse` analyses one file after its upload's commit; the store not
answering is retried with backoff, and the last attempt (or running out of time) marks the
file `failed`. `triage.evidence.analysis_sweep` (beat) enqueues files whose job was lost.
Both are idempotent: the result is stored with one conditional UPDATE while the row is
still pending (triage.evidence.analysis).
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval

from storage import StorageError
from triage.extensions import db
from triage.jobs import BACKOFF_MAX_SECONDS, enqueue

log = logging.getLogger(__name__)

STORE_RETRIES = 3


@shared_task(
    bind=True,
    name="triage.evidence.analyse",
    max_retries=STORE_RETRIES,
    # The engine bounds itself (BUDGET_SECONDS, pdftoppm's limits); this stops a job stuck
    # on the store or the database.
    soft_time_limit=90,
    time_limit=120,
)
def analyse(self, evidence_id: str) -> str:
    """Analyse evidence `evidence_id` and store its findings (triage.evidence.analysis)."""
    from triage.evidence import analysis

    last = self.request.retries >= STORE_RETRIES
    try:
        outcome = analysis.analyse_evidence(evidence_id, give_up=last)
        db.session.commit()
    except StorageError as exc:
        db.session.rollback()
        countdown = get_exponential_backoff_interval(
            factor=10, retries=self.request.retries, maximum=BACKOFF_MAX_SECONDS, full_jitter=True
        )
        raise self.retry(countdown=max(countdown, 1), exc=exc) from exc
    except SoftTimeLimitExceeded:
        db.session.rollback()
        outcome = analysis.mark_failed(evidence_id, "out of time")
        db.session.commit()
    return outcome


@shared_task(name="triage.evidence.analysis_sweep")
def sweep() -> int:
    """Enqueue the analysis of files still pending long after their upload (beat)."""
    from triage.evidence.analysis import stale_pending

    due = stale_pending()
    db.session.rollback()
    for evidence_id in due:
        enqueue("triage.evidence.analyse", evidence_id)
    return len(due)
