"""A reviewer token's last use is kept to the minute: one joined lookup per request, and
an UPDATE only when the recorded use is a minute old (issue 10, claim latency)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from triage.api import TOKEN_USE_RESOLUTION
from triage.extensions import db
from triage.reviewers.models import ReviewerToken


def _last_used(app, reviewer):
    with app.app_context():
        return db.session.scalar(
            select(ReviewerToken.last_used_at).where(ReviewerToken.reviewer_id == reviewer.id)
        )


def _queue(client, token):
    return client.get("/api/v1/queue", headers={"Authorization": f"Bearer {token}"})


def _statements(app, client, token) -> list[str]:
    sent: list[str] = []
    with app.app_context():
        engine = db.engine

    def listener(conn, cursor, statement, *args):
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert _queue(client, token).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return sent


def test_first_use_is_recorded(app, client, reviewer):
    assert _last_used(app, reviewer) is None
    assert _queue(client, reviewer.token).status_code == 200
    assert _last_used(app, reviewer) is not None


def test_uses_within_a_minute_write_nothing_and_read_the_reviewer_once(app, client, reviewer):
    assert _queue(client, reviewer.token).status_code == 200
    first = _last_used(app, reviewer)
    sent = _statements(app, client, reviewer.token)
    assert not [s for s in sent if s.startswith("UPDATE reviewer_tokens")], sent
    # The token and its reviewer in one statement, not a token and then a reviewer.
    lookups = [s for s in sent if "FROM reviewer_tokens" in s]
    assert len(lookups) == 1 and "JOIN reviewers" in lookups[0]
    assert not [s for s in sent if s.startswith("SELECT reviewers.") and "FROM reviewers " in s]
    assert _last_used(app, reviewer) == first


def test_a_use_a_minute_later_is_recorded_again(app, client, reviewer):
    assert _queue(client, reviewer.token).status_code == 200
    with app.app_context():
        row = db.session.scalar(
            select(ReviewerToken).where(ReviewerToken.reviewer_id == reviewer.id)
        )
        row.last_used_at = row.last_used_at - TOKEN_USE_RESOLUTION - timedelta(seconds=1)
        db.session.commit()
        stale = row.last_used_at
    assert _queue(client, reviewer.token).status_code == 200
    assert _last_used(app, reviewer).replace(tzinfo=None) > stale.replace(tzinfo=None)
