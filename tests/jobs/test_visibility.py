"""Jobs are retried with backoff and visible to leads (issue 11, item 1)."""

from __future__ import annotations

import pytest

from storage import StorageError
from tests.review.helpers import sign_in


def job_rows(app) -> list[tuple[str, str, int]]:
    from triage.extensions import db
    from triage.jobs.models import Job

    with app.app_context():
        return [(j.name, j.status, j.attempts) for j in db.session.scalars(db.select(Job))]


def test_the_job_settings_acknowledge_late_and_retry_with_backoff(app):
    celery = app.extensions["celery"]
    assert celery.conf.task_acks_late is True
    for name in ("triage.previews.render", "triage.evidence.sweep_orphans"):
        task = celery.tasks[name]
        assert task.acks_late and task.retry_backoff and task.retry_jitter
        assert task.max_retries == 5
    assert celery.tasks["triage.notifications.send"].max_retries == 5


def test_a_job_that_failed_for_a_while_is_listed_then_marked_succeeded(app, monkeypatch):
    store = app.extensions["evidence_store"]
    real_list = store.list
    failures = iter([StorageError("store down"), StorageError("store still down")])

    def flaky(prefix: str = ""):
        error = next(failures, None)
        if error:
            raise error
        return real_list(prefix)

    monkeypatch.setattr(store, "list", flaky)
    with app.app_context():
        app.extensions["celery"].tasks["triage.evidence.sweep_orphans"].delay(0)
    assert job_rows(app) == [("triage.evidence.sweep_orphans", "succeeded", 3)]


def test_a_lead_sees_failed_jobs_and_a_reviewer_may_not(app, monkeypatch, lead, reviewer):
    store = app.extensions["evidence_store"]

    def down(prefix: str = ""):
        raise StorageError("the bucket is gone")

    monkeypatch.setattr(store, "list", down)
    with app.app_context():
        app.extensions["celery"].tasks["triage.evidence.sweep_orphans"].delay(0)
    assert job_rows(app) == [("triage.evidence.sweep_orphans", "failed", 6)]

    desk = app.test_client()
    sign_in(desk, lead.email)
    page = desk.get("/review/jobs/")
    assert page.status_code == 200
    assert "triage.evidence.sweep_orphans" in page.text
    assert "StorageError: the bucket is gone" in page.text
    other = app.test_client()
    sign_in(other, reviewer.email)
    assert other.get("/review/jobs/").status_code == 403


@pytest.mark.parametrize("testing, eager", [(True, True), (False, False)])
def test_testing_apps_run_jobs_eagerly_others_queue_them(app_config, testing, eager, tmp_path):
    from triage.app import create_app

    app_config["TESTING"] = testing
    made = create_app(app_config)
    assert made.extensions["celery"].conf.task_always_eager is eager
    assert made.config["CELERY_BROKER_URL"].startswith("sqla+sqlite:///")  # no Redis needed


def test_production_refuses_to_start_without_a_broker_a_mail_server_and_its_address(tmp_path):
    from config import ConfigError, load_config

    production = {"TRIAGE_ENV": "production", "SECRET_KEY": "s"}
    with pytest.raises(ConfigError, match="CELERY_BROKER_URL, MAIL_SERVER, PUBLIC_URL required"):
        load_config(production, tmp_path)
    complete = {
        **production,
        "CELERY_BROKER_URL": "redis://broker:6379/0",
        "MAIL_SERVER": "smtp.example.com",
        "PUBLIC_URL": "https://triage.example/",
    }
    config = load_config(complete, tmp_path)
    assert config["CELERY_BROKER_URL"] == "redis://broker:6379/0"
    assert config["PUBLIC_URL"] == "https://triage.example"
