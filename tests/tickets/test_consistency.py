"""The Evidence row and the stored object stay consistent (security.md, "Storing it"):
a failing store fails cleanly, a failing commit removes the object, and
`flask evidence sweep` removes objects without a row after the grace period."""

from __future__ import annotations

import hashlib
import os
import time

import boto3
import pytest
from sqlalchemy import event, select

from storage import StorageError, new_key
from tests.conftest import TEST_REGION
from tests.tickets.conftest import JPEG, stored_keys, upload_on_web

# --- a failing store -------------------------------------------------------------------------


@pytest.fixture
def broken_folder(app_config, tmp_path):
    """The evidence folder cannot be created: a plain file is in the way."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    app_config["EVIDENCE_DIR"] = str(blocker / "evidence")


def test_a_failing_store_answers_503_and_keeps_no_row(
    broken_folder, make_ticket, pdf_bytes, assert_nothing_stored
):
    ticket = make_ticket()
    response = ticket.upload("passport", pdf_bytes, "passport.pdf")
    assert response.status_code == 503
    error = response.json["error"]
    assert error["code"] == "storage_unavailable"
    assert "Nothing was saved" in error["message"]
    assert_nothing_stored()
    assert ticket.get()["evidence"] == []


def test_a_failing_store_is_a_friendly_message_next_to_the_file(
    broken_folder, client, web_ticket, pdf_bytes, assert_nothing_stored
):
    reference, _ = web_ticket
    response = upload_on_web(client, reference, "passport", (pdf_bytes, "passport.pdf"))
    assert response.status_code == 503
    assert "We could not store your file just now. Nothing was saved" in response.text
    assert 'id="file-passport-error"' in response.text
    assert_nothing_stored()


def test_a_save_that_fails_after_writing_leaves_no_object(
    app, make_ticket, pdf_bytes, monkeypatch, assert_nothing_stored
):
    """A timeout after the store wrote the object: the half-made object is deleted."""
    store = app.extensions["evidence_store"]
    real_save = store.save

    def write_then_fail(key, data, **kwargs):
        real_save(key, data, **kwargs)
        raise StorageError("read timeout")

    monkeypatch.setattr(store, "save", write_then_fail)
    response = make_ticket().upload("passport", pdf_bytes, "passport.pdf")
    assert response.status_code == 503
    assert_nothing_stored()


# --- a failing commit ------------------------------------------------------------------------


@pytest.fixture
def failing_commit(app_config):
    """Every commit fails from the moment the fixture's `arm()` is called."""
    from flask_sqlalchemy.session import Session

    app_config["PROPAGATE_EXCEPTIONS"] = False  # answer like production: a 500 page or JSON
    armed = []

    def fail(session):
        if armed:
            raise RuntimeError("database went away during COMMIT")

    event.listen(Session, "before_commit", fail)
    yield lambda: armed.append(True)
    event.remove(Session, "before_commit", fail)


def test_a_failing_commit_deletes_the_object(
    failing_commit, make_ticket, pdf_bytes, assert_nothing_stored
):
    ticket = make_ticket()
    failing_commit()
    response = ticket.upload("passport", pdf_bytes, "passport.pdf")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "server_error"
    assert_nothing_stored()


def test_a_failing_commit_deletes_the_object_from_s3(
    s3_app_config, failing_commit, make_ticket, assert_nothing_stored
):
    ticket = make_ticket()
    failing_commit()
    assert ticket.upload("card_front", JPEG, "card.jpg").status_code == 500
    s3 = boto3.client("s3", region_name=TEST_REGION)
    assert s3.list_objects_v2(Bucket=s3_app_config["S3_BUCKET"]).get("Contents", []) == []
    assert_nothing_stored()


def test_a_failing_commit_on_the_web_form_deletes_the_object(
    failing_commit, client, web_ticket, pdf_bytes, assert_nothing_stored
):
    reference, _ = web_ticket
    failing_commit()
    response = upload_on_web(client, reference, "passport", (pdf_bytes, "passport.pdf"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert_nothing_stored()


def test_a_successful_upload_keeps_row_and_object_together(make_ticket, pdf_bytes, app):
    from triage.evidence.models import Evidence
    from triage.extensions import db

    make_ticket().upload("passport", pdf_bytes, "passport.pdf")
    with app.app_context():
        keys = [row.storage_key for row in db.session.scalars(select(Evidence))]
    assert keys == stored_keys(app)


# --- the sweeper -----------------------------------------------------------------------------


def _age(app, key: str, minutes: int) -> None:
    path = os.path.join(app.config["EVIDENCE_DIR"], key)
    then = time.time() - minutes * 60
    os.utime(path, (then, then))


def _orphan(app, ticket_id: str, data: bytes = b"orphan") -> str:
    key = new_key(ticket_id)
    app.extensions["evidence_store"].save(
        key, data, content_type="application/pdf", sha256_hex=hashlib.sha256(data).hexdigest()
    )
    return key


@pytest.fixture
def with_row_and_orphans(app, make_ticket, pdf_bytes):
    """One old object with a row, one old orphan, one young orphan."""
    from triage.evidence.models import Evidence
    from triage.extensions import db
    from triage.tickets.models import Ticket

    make_ticket().upload("passport", pdf_bytes, "passport.pdf")
    with app.app_context():
        kept = db.session.scalar(select(Evidence.storage_key))
        ticket_id = db.session.scalar(select(Ticket.id))
    old, young = _orphan(app, ticket_id), _orphan(app, ticket_id)
    if app.config["EVIDENCE_STORE"] == "local":
        _age(app, kept, 180)
        _age(app, old, 180)
        _age(app, young, 5)
    return kept, old, young


def test_sweep_removes_old_orphans_only(with_row_and_orphans, runner, app):
    kept, old, young = with_row_and_orphans
    result = runner.invoke(args=["evidence", "sweep"])
    assert result.exit_code == 0, result.output
    assert result.output == f"deleted {old}\nDeleted 1 orphaned object(s).\n"
    assert sorted(stored_keys(app)) == sorted([kept, young])


def test_sweep_dry_run_deletes_nothing(with_row_and_orphans, runner, app):
    _kept, old, _young = with_row_and_orphans
    result = runner.invoke(args=["evidence", "sweep", "--dry-run"])
    assert result.output == f"would delete {old}\nWould delete 1 orphaned object(s).\n"
    assert len(stored_keys(app)) == 3


def test_sweep_grace_can_be_set(with_row_and_orphans, runner, app):
    kept, _old, _young = with_row_and_orphans
    result = runner.invoke(args=["evidence", "sweep", "--grace-minutes", "0"])
    assert result.exit_code == 0
    assert "Deleted 2 orphaned object(s)." in result.output
    assert stored_keys(app) == [kept]


def test_sweep_on_s3(s3_app_config, with_row_and_orphans, runner, app):
    kept, _old, _young = with_row_and_orphans
    young_result = runner.invoke(args=["evidence", "sweep"])  # moto's objects are all new
    assert "Deleted 0 orphaned object(s)." in young_result.output
    result = runner.invoke(args=["evidence", "sweep", "--grace-minutes", "0"])
    assert result.exit_code == 0, result.output
    assert stored_keys(app) == [kept]


def test_sweep_reports_a_store_failure(app, runner, monkeypatch):
    store = app.extensions["evidence_store"]

    def unreachable(prefix="tickets/"):
        raise StorageError("S3 list s3://evidence failed: AccessDenied")

    monkeypatch.setattr(store, "list", unreachable)
    result = runner.invoke(args=["evidence", "sweep"])
    assert result.exit_code == 1
    assert "the evidence store failed: S3 list s3://evidence failed: AccessDenied" in result.output
