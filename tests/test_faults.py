"""A database that does not answer gives 503 with a true message, never a hang or a 500
(security.md, "State, text and load"; api.md, errors: `service_unavailable`).
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from sqlalchemy import text

from config import engine_options
from tests.conftest import UNFREEZE_WITH_CARD
from tests.tickets.conftest import create_on_web, form_token

# Short waits, so the tests are quick; production's are seconds (config.DB_*_TIMEOUT_MS).
LOCK_MS = 300
STATEMENT_MS = 2_000


def postgres(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    url = app_config["SQLALCHEMY_DATABASE_URI"]
    app_config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        url, lock_timeout_ms=LOCK_MS, statement_timeout_ms=STATEMENT_MS, busy_timeout_ms=LOCK_MS
    )
    return app_config


class RowLock:
    """Holds the ticket's row (PostgreSQL: SELECT ... FOR UPDATE) or the whole database
    (SQLite: BEGIN IMMEDIATE) in another connection until released."""

    def __init__(self, app: Flask, reference: str) -> None:
        from triage.extensions import db

        if postgres(app):
            with app.app_context():
                self.connection = db.engine.connect()
            self.connection.execute(
                text("SELECT id FROM tickets WHERE reference = :r FOR UPDATE"), {"r": reference}
            )
        else:
            path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
            self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.connection.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()


def evidence_files(app: Flask) -> list[Path]:
    return [p for p in Path(app.config["EVIDENCE_DIR"]).rglob("*") if p.is_file()]


def test_an_upload_to_a_locked_ticket_answers_503_within_the_bound(app, make_ticket, pdf_bytes):
    from triage.evidence.models import Evidence
    from triage.extensions import db

    ticket = make_ticket()
    lock = RowLock(app, ticket.reference)
    try:
        start = time.monotonic()
        response = ticket.upload("passport", pdf_bytes, "passport.pdf")
        elapsed = time.monotonic() - start
    finally:
        lock.release()
    assert response.status_code == 503, response.json
    assert response.json["error"]["code"] == "service_unavailable"
    assert "Nothing you sent was saved" in response.json["error"]["message"]
    assert response.headers["Retry-After"]
    assert elapsed < 5  # the lock or busy timeout, not the 60 s request timeout
    # ...and it is true: no row, no stored object.
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Evidence)) == 0
    assert evidence_files(app) == []
    assert ticket.upload("passport", pdf_bytes, "passport.pdf").status_code == 201  # after


def test_submitting_a_locked_ticket_on_the_page_answers_503_with_a_page(app, client):
    reference, _ = create_on_web(client)
    token = form_token(client, f"/tickets/{reference}")
    lock = RowLock(app, reference)
    try:
        response = client.post(
            f"/tickets/{reference}/submit",
            data={"csrf_token": token, "explanation": "My card was cancelled."},
        )
    finally:
        lock.release()
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "Our database did not answer in time." in response.text
    assert "Nothing you sent was saved" in response.text
    assert "Nothing you sent was lost" not in response.text


def test_a_statement_that_runs_too_long_is_stopped_on_postgresql(app, reviewer_token):
    if not postgres(app):
        pytest.skip("statement_timeout is PostgreSQL's (set TEST_DATABASE_URL)")
    from triage.extensions import db

    with app.app_context():
        with pytest.raises(Exception, match="statement timeout"):
            db.session.execute(text("SELECT pg_sleep(:s)"), {"s": STATEMENT_MS / 1000 + 2})
        db.session.rollback()
        settings = db.session.execute(text("SHOW lock_timeout")).scalar()
        assert settings == f"{LOCK_MS}ms"


@pytest.fixture
def reviewer_token(app: Flask) -> str:
    from triage.extensions import db
    from triage.reviewers.operations import create_reviewer, issue_token

    with app.app_context():
        create_reviewer("rita@example.com", "Rita", "reviewer", "correct horse battery")
        _, token = issue_token("rita@example.com")
        db.session.commit()
    return token


def test_a_waiting_pool_gives_503_not_a_hang(app_config, tmp_path):
    """Every pooled connection busy: the pool timeout ends the wait (TimeoutError)."""
    from triage.app import create_app
    from triage.extensions import db

    url = app_config["SQLALCHEMY_DATABASE_URI"]
    app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **engine_options(url),
        "pool_size": 1,
        "max_overflow": 0,
        "pool_timeout": 0.3,
    }
    app = create_app(app_config)  # on the test's database, already migrated
    with app.app_context():
        engine = db.engine
    held = engine.connect()  # the only connection
    try:
        response = app.test_client().post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    finally:
        held.close()
        engine.dispose()
    assert response.status_code == 503
    assert response.json["error"]["code"] == "service_unavailable"
    assert "Nothing you sent was saved" in response.json["error"]["message"]


# --- a database that refuses connections ----------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def refused_app(tmp_path: Path) -> Flask:
    from triage.app import create_app

    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/triage"
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "EVIDENCE_STORE": "local",
            "EVIDENCE_DIR": str(tmp_path / "evidence"),
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )


def _timed(call) -> tuple[Any, float]:
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def test_a_refused_database_gives_503_for_api_writes(refused_app):
    client = refused_app.test_client()
    response, elapsed = _timed(lambda: client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD))
    assert response.status_code == 503
    body = response.json["error"]
    assert body["code"] == "service_unavailable"
    assert body["message"] == (
        "Our database did not answer in time. Nothing you sent was saved. "
        "Please send it again in a minute."
    )
    assert elapsed < 10


def test_a_refused_database_gives_503_for_reads_and_pages(refused_app):
    client = refused_app.test_client()
    queue = client.get("/api/v1/queue", headers={"Authorization": "Bearer rvw_x"})
    assert queue.status_code == 503
    assert "Nothing was changed" in queue.json["error"]["message"]

    page = client.post("/resume", data={"reference": "UF-AAAA-BBBB", "code": "A" * 20})
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "Our database did not answer in time." in page.text
    assert "Nothing you sent was saved" in page.text


def test_a_refused_database_still_renders_the_error_page_for_a_signed_in_reviewer(
    refused_app,
):
    """The layout names the signed-in reviewer, which needs the database: still a 503."""
    client = refused_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1.0"
        session["_fresh"] = True
    page = client.get("/review/")
    assert page.status_code == 503
    assert "Our database did not answer in time." in page.text


def test_healthz_does_not_need_the_database_but_readyz_says_it_is_down(refused_app):
    client = refused_app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["database"].startswith("error")


# --- what the message says --------------------------------------------------------------------


def test_a_write_that_committed_part_of_its_work_says_so(app):
    """One request may commit a first upload before the database stops answering."""
    from triage.errorpages import database_unavailable
    from triage.extensions import db

    with app.test_request_context("/tickets/X/evidence", method="POST"):
        assert "Nothing you sent was saved" in database_unavailable().message
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        assert g.database_committed
        message = database_unavailable().message
    assert "Part of what you sent was saved" in message
    assert "reload the page" in message


def test_a_slow_lock_holder_is_waited_for_within_the_bound(app, make_ticket, pdf_bytes):
    """A lock released before the timeout is simply waited for: no false 503."""
    ticket = make_ticket()
    lock = RowLock(app, ticket.reference)
    threading.Timer(LOCK_MS / 1000 / 3, lock.release).start()
    response = ticket.upload("passport", pdf_bytes, "passport.pdf")
    assert response.status_code == 201, response.json


def test_a_server_error_says_honestly_that_nothing_was_saved(app_config, pdf_bytes):
    """Any other failure: the transaction is rolled back, so the 500 may say so."""
    from flask_sqlalchemy.session import Session
    from sqlalchemy import event

    from triage.app import create_app

    app_config["PROPAGATE_EXCEPTIONS"] = False  # answer like production
    app = create_app(app_config)

    def fail(session):
        raise RuntimeError("something unexpected during COMMIT")

    from triage.extensions import db

    event.listen(Session, "before_commit", fail)
    try:
        response = app.test_client().post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
        page = app.test_client().get("/", headers={"Accept": "application/json"})
    finally:
        event.remove(Session, "before_commit", fail)
        with app.app_context():
            db.engine.dispose()
    assert response.status_code == 500
    assert response.json["error"]["message"] == (
        "Something went wrong on our side. Nothing you sent was saved. "
        "Please send it again in a minute."
    )
    assert "lost" not in response.json["error"]["message"]
    assert page.status_code == 200  # reads that commit nothing are not affected
