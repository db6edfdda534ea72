"""A purge is idempotent and resumable (recovery.md): "a crash half-way leaves nothing that
points at a missing object without `purged_at`".

Two kinds of interruption: the purge's process killed with SIGKILL in the middle of its
deletes (no cleanup of any kind runs), and a store whose deletes start failing. After
either, every row without `purged_at` still has its object; the next run finishes the
job (every object and preview gone, `evidence_purged` recorded once per ticket).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import pytest

from storage import StorageError
from tests.retention.conftest import (
    age,
    events,
    nothing_missing_unmarked,
    purge,
    rows,
    stored,
    ticket_row,
)

# Runs the purge in a fresh process on the test's database and store, killing itself
# with SIGKILL just before its `kill_at`-th delete of an object (0: the very first).
CRASHING_PURGE = textwrap.dedent(
    """
    import json, os, signal, sys

    from triage.app import create_app
    from triage.retention.operations import purge_expired

    config, kill_at = json.loads(sys.argv[1]), int(sys.argv[2])
    app = create_app(config)
    store = app.extensions["evidence_store"]
    real_delete, done = store.delete, []

    def delete(key):
        if len(done) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        real_delete(key)
        done.append(key)

    store.delete = delete
    with app.app_context():
        purge_expired(store)
    print("finished without being killed")
    """
)


def crash_purge(app, kill_at: int) -> subprocess.CompletedProcess:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "EVIDENCE_STORE": "local",
        "EVIDENCE_DIR": app.config["EVIDENCE_DIR"],
        "RATELIMIT_ENABLED": False,
    }
    return subprocess.run(
        [sys.executable, "-c", CRASHING_PURGE, json.dumps(config), str(kill_at)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def purged_exactly_once(app, ticket_ids) -> None:
    for ticket in ticket_ids:
        assert stored(app, ticket) == set()
        assert all(r["purged_at"] is not None for r in rows(app, ticket))
        assert ticket_row(app, ticket).purged_at is not None
        (event,) = events(app, ticket, "evidence_purged")
        assert event.details["count"] == 2


@pytest.mark.parametrize("kill_at", [0, 1, 2, 5])
def test_a_purge_killed_half_way_is_finished_by_the_next_run(app, closed, kill_at):
    # Two tickets, each a PDF and a PNG with their previews (the PDF's where poppler is
    # installed): three or four objects per ticket, so `kill_at` 5 is in the second.
    tickets = [closed(), closed()]
    for ticket in tickets:
        age(app, ticket.id, 120)
    total = sum(len(stored(app, t.id)) for t in tickets)
    assert total >= 6

    killed = crash_purge(app, kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr

    # Killed mid-way: some objects may be gone, but only those of rows marked purged.
    nothing_missing_unmarked(app)
    remaining = sum(len(stored(app, t.id)) for t in tickets)
    assert remaining == total - kill_at

    report = purge(app)
    assert not report.failed
    nothing_missing_unmarked(app)
    purged_exactly_once(app, [t.id for t in tickets])
    # And a third run has nothing left.
    again = purge(app)
    assert (again.purged, again.resumed, again.objects_deleted) == ({}, {}, 0)
    purged_exactly_once(app, [t.id for t in tickets])


def test_a_purge_that_runs_to_the_end_in_its_own_process(app, closed):
    ticket = closed()
    age(app, ticket.id, 120)
    done = crash_purge(app, kill_at=10_000)
    assert done.returncode == 0, done.stderr
    assert "finished without being killed" in done.stdout
    purged_exactly_once(app, [ticket.id])


def test_a_store_that_fails_half_way_is_resumed(app, any_store, closed):
    tickets = [closed(), closed()]
    for ticket in tickets:
        age(app, ticket.id, 120)
    store = app.extensions["evidence_store"]
    real_delete, deleted = store.delete, []

    def failing_delete(key: str) -> None:
        if len(deleted) >= 2:
            raise StorageError("the store stopped answering")
        real_delete(key)
        deleted.append(key)

    store.delete = failing_delete
    try:
        report = purge(app)
        assert len(report.failed) == 2  # both tickets: the store fails for the second too
        nothing_missing_unmarked(app)
        with app.app_context():  # the job raises, so Celery retries it with backoff
            result = app.extensions["celery"].tasks["triage.retention.purge"].apply()
        assert result.failed()
        assert isinstance(result.result, StorageError)
    finally:
        store.delete = real_delete
    nothing_missing_unmarked(app)
    assert [e for t in tickets for e in events(app, t.id, "evidence_purged")] == []

    report = purge(app)
    assert set(report.resumed) == {t.reference for t in tickets}
    purged_exactly_once(app, [t.id for t in tickets])
