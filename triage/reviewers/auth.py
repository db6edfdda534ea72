"""Flask-Login wiring for reviewers."""

from __future__ import annotations

from triage.extensions import db, login_manager
from triage.reviewers.models import Reviewer


@login_manager.user_loader
def load_reviewer(reviewer_id: str) -> Reviewer | None:
    reviewer = db.session.get(Reviewer, int(reviewer_id))
    return reviewer if reviewer is not None and reviewer.active else None
