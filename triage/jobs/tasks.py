"""The evidence jobs: preview renders and the orphan sweep (beat, hourly).

Each job is idempotent: a render is taken with one conditional UPDATE (a second run finds
it done or taken, triage.review.previews), and the sweep deletes only what no row points
to and is still there.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from flask import current_app

from storage import StorageError
from triage.jobs import TRANSIENT

log = logging.getLogger(__name__)


@shared_task(
    name="triage.previews.render",
    # The render itself is bounded in its child process (triage.review.preview.LIMITS);
    # this only stops a job stuck on the store.
    soft_time_limit=240,
    time_limit=300,
)
def render_preview(evidence_id: str) -> str | None:
    """Render and store the preview of one evidence file (triage.review.previews)."""
    from triage.review.previews import render_previews

    return render_previews(evidence_id)


@shared_task(name="triage.evidence.sweep_orphans", autoretry_for=(StorageError, *TRANSIENT))
def sweep_orphans(grace_minutes: int | None = None) -> int:
    """Delete stored objects no evidence row points to, older than the grace period."""
    from triage.evidence.operations import sweep_orphans as sweep

    minutes = (
        grace_minutes if grace_minutes is not None else current_app.config["ORPHAN_GRACE_MINUTES"]
    )
    removed = sweep(current_app.extensions["evidence_store"], timedelta(minutes=minutes))
    if removed:
        log.info("orphan sweep deleted %d object(s)", len(removed))
    return len(removed)
