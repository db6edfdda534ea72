"""Jobs on real Celery workers (issue 11, item 1): one in this process on Redis (db 6),
one `celery -A wsgi.celery worker` process on the embedded default broker (no Redis)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import func, select

from tests.conftest import UNFREEZE_WITH_CARD, worker_env
from tests.notifications.conftest import text_part

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/6")
# The Redis tests empty and count one database, so they must never run at once: under
# pytest-xdist they stay in this one file (`--dist loadfile`, the Makefile's default); the
# group says so to `--dist loadgroup` too.
ONE_REDIS_AT_A_TIME = pytest.mark.xdist_group("redis")


def wait_until(check, timeout: float = 30, what: str = "the worker") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not finish in {timeout} s")


@pytest.fixture
def redis_broker(app_config: dict[str, Any]) -> str:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL} (.ci/run starts one)")
    client.flushdb()
    app_config.update(CELERY_BROKER_URL=REDIS_URL, CELERY_TASK_ALWAYS_EAGER=False)
    yield REDIS_URL
    client.flushdb()


def sent_events(app) -> int:
    from triage.extensions import db
    from triage.history.models import Event

    with app.app_context():
        return db.session.scalar(select(func.count()).where(Event.action == "notification_sent"))


@ONE_REDIS_AT_A_TIME
def test_a_redis_worker_sends_the_email_and_renders_a_preview(
    redis_broker, app, client, smtp, pdf_bytes
):
    from celery.contrib.testing.worker import start_worker

    from tests.conftest import ApiTicket
    from triage.evidence.models import Evidence
    from triage.extensions import db
    from triage.review import preview, previews

    response = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    assert response.status_code == 201
    assert smtp.messages == []  # queued on Redis, not sent by the request
    ticket = ApiTicket(response.json["reference"], response.json["access_token"], client)
    assert ticket.upload("passport", pdf_bytes, "passport.pdf").status_code == 201
    with app.app_context():
        evidence = db.session.scalar(select(Evidence.id))
        assert previews.schedule(evidence)

    with start_worker(
        app.extensions["celery"], pool="threads", concurrency=2, perform_ping_check=False
    ):
        [message] = smtp.wait_for(1)
        assert response.json["reference"] in text_part(message)
        if preview.available():

            def rendered() -> bool:
                with app.app_context():
                    return db.session.get(Evidence, evidence).preview_status == "ready"

            wait_until(rendered, what="the preview render")
    assert sent_events(app) == 1


@ONE_REDIS_AT_A_TIME
def test_four_redis_workers_given_one_notification_six_times_send_it_once(
    redis_broker, app, client, smtp
):
    from celery.contrib.testing.worker import start_worker

    from triage.extensions import db
    from triage.notifications.models import Notification

    assert client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD).status_code == 201
    with app.app_context():
        notification = db.session.scalar(select(Notification.id))
        send = app.extensions["celery"].tasks["triage.notifications.send"]
        for _ in range(5):  # the commit's job and five more: a sweep, a redelivery...
            send.delay(notification)
    queue = redis.Redis.from_url(REDIS_URL)
    assert queue.llen("triage") == 6

    with start_worker(
        app.extensions["celery"], pool="threads", concurrency=4, perform_ping_check=False
    ):
        wait_until(lambda: queue.llen("triage") == 0, what="the queue")
        smtp.wait_for(1)
        time.sleep(1)  # the other five run and find it sent
    assert len(smtp.messages) == 1
    assert sent_events(app) == 1


def test_a_worker_process_on_the_embedded_broker_needs_no_redis(app_config, smtp, tmp_path):
    """`celery -A wsgi.celery worker` as `make run` starts it: no CELERY_BROKER_URL given
    but a file of our own, so this test neither uses nor fills the instance folder's."""
    from triage.app import create_app

    broker = f"sqla+sqlite:///{tmp_path / 'jobs.sqlite'}"
    app_config.update(CELERY_BROKER_URL=broker, CELERY_TASK_ALWAYS_EAGER=False)
    app = create_app(app_config)
    response = app.test_client().post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    assert response.status_code == 201
    assert smtp.messages == []

    env = worker_env(
        app_config,
        broker,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp.port),
        PUBLIC_URL="https://triage.example",
    )
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "wsgi.celery",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        [message] = smtp.wait_for(1, timeout=60)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert message is not None, output
    assert response.json["reference"] in message["Subject"]
    assert sent_events(app) == 1


def test_the_periodic_jobs_are_scheduled_and_the_orphan_sweep_is_one_of_them(app):
    import hashlib

    from storage import new_key
    from triage.evidence.operations import evidence_store

    schedule = app.extensions["celery"].conf.beat_schedule
    tasks = {entry["task"] for entry in schedule.values()}
    assert tasks == {
        "triage.notifications.sweep",
        "triage.evidence.sweep_orphans",
        "triage.accounts.recheck",
        "triage.retention.purge",
        "triage.evidence.analysis_sweep",
    }
    # Every scheduled job is registered: beat never sends a name no worker knows.
    assert tasks <= set(app.extensions["celery"].tasks)
    with app.app_context():
        store = evidence_store()
        orphan = new_key("0" * 32)
        store.save(
            orphan, b"x", content_type="image/png", sha256_hex=hashlib.sha256(b"x").hexdigest()
        )
        sweep = app.extensions["celery"].tasks["triage.evidence.sweep_orphans"]
        assert sweep.delay(grace_minutes=0).get() == 1
        assert sweep.delay(grace_minutes=0).get() == 0  # idempotent: nothing left to do
        assert [obj.key for obj in store.list()] == []
