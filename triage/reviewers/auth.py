"""Flask-Login wiring for reviewers: sessions are for the pages only, never the JSON API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask_login import current_user, login_required

from triage.errors import Forbidden
from triage.extensions import db, login_manager
from triage.reviewers.models import Reviewer

login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in as a reviewer to see this page."
login_manager.login_message_category = "error"
# No request_loader: the API authenticates bearer tokens itself and ignores the cookie.


@login_manager.user_loader
def load_reviewer(session_id: str) -> Reviewer | None:
    """The active reviewer whose session is `<id>.<epoch>` (Reviewer.get_id), or None.

    Checked on every request: a cookie issued before the reviewer's last sign-out carries
    an old epoch and opens nothing (security.md, "State, text and load").
    """
    reviewer_id, _, epoch = session_id.partition(".")
    try:
        reviewer = db.session.get(Reviewer, int(reviewer_id))
        current = reviewer is not None and reviewer.session_epoch == int(epoch)
    except ValueError:  # not ours, or a cookie from before epochs
        return None
    return reviewer if current and reviewer.active else None


def signed_in_reviewer() -> Reviewer:
    """The reviewer of this page request (views are behind `reviewer_required`)."""
    return current_user._get_current_object()


def reviewer_required(view: Callable[..., Any]) -> Callable[..., Any]:
    return login_required(view)


def lead_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_lead:
            raise Forbidden("Only a lead reviewer may do this.")
        return view(*args, **kwargs)

    return login_required(wrapped)
