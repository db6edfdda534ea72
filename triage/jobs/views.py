"""/review/jobs: background jobs that failed or are being retried, for leads."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from triage.extensions import db
from triage.jobs.models import FAILED, RETRYING, Job
from triage.notifications.models import FAILED as MAIL_FAILED
from triage.notifications.models import PENDING, SENDING, Notification
from triage.reviewers.auth import lead_required

bp = Blueprint("jobs", __name__, url_prefix="/review/jobs")
SHOWN = 100


@bp.get("/")
@lead_required
def failed_jobs():
    jobs = db.session.scalars(
        select(Job)
        .where(Job.status.in_((FAILED, RETRYING)))
        .order_by(Job.updated_at.desc())
        .limit(SHOWN)
    ).all()
    outbox = dict(
        db.session.execute(
            select(Notification.status, func.count())
            .where(Notification.status.in_((PENDING, SENDING, MAIL_FAILED)))
            .group_by(Notification.status)
        ).all()
    )
    return render_template("jobs/failed.html", jobs=jobs, outbox=outbox, shown=SHOWN)
