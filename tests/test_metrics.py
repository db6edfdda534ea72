"""GET /metrics (issue 13, item 6): Prometheus text from the database at scrape time, upload
refusals counted by code (in multiprocess mode across processes), token or lead only."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from config import load_config
from tests.conftest import CHANGE_DIRECT_AUTHENTICATED, UNFREEZE_WITH_CARD
from tests.dashboard.helpers import approve, reject
from tests.review import helpers as review
from tests.review.helpers import sign_in

# The reviewers' fixtures (tests/review/helpers.py), for this module.
lead, make_reviewer, make_ticket = review.lead, review.make_reviewer, review.make_ticket
reviewer, submitted = review.reviewer, review.submitted

TOKEN = "scrape-me-0123456789"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_config(app_config):
    app_config["METRICS_TOKEN"] = TOKEN
    return app_config


def scrape(client, token: str = TOKEN) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one scrape, parsed by prometheus-client."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, metric: str, **labels: str) -> float:
    return samples.get((metric, tuple(sorted(labels.items()))), 0.0)


# --- access ----------------------------------------------------------------------------------


def test_without_the_token_or_a_lead_metrics_do_not_exist(app, client, reviewer):
    assert client.get("/metrics").status_code == 404
    for header in ("Bearer wrong", f"Basic {TOKEN}", "Bearer ", TOKEN):
        assert client.get("/metrics", headers={"Authorization": header}).status_code == 404
    browser = app.test_client()
    sign_in(browser, reviewer.email)
    assert browser.get("/metrics").status_code == 404  # a reviewer is not a lead
    # The API's reviewer token is not the scraper's.
    assert client.get("/metrics", headers=reviewer.headers).status_code == 404


def test_the_token_or_a_signed_in_lead_may_scrape(app, client, lead):
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    browser = app.test_client()
    sign_in(browser, lead.email)
    response = browser.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("env", ["production", "development"])
def test_without_metrics_token_only_leads_scrape(tmp_path, env):
    environ = {
        "TRIAGE_ENV": env,
        "SECRET_KEY": "s",
        "CELERY_BROKER_URL": "redis://x",
        "MAIL_SERVER": "mail",
        "PUBLIC_URL": "https://x",
    }
    assert load_config(environ, tmp_path)["METRICS_TOKEN"] is None
    assert load_config({**environ, "METRICS_TOKEN": "t"}, tmp_path)["METRICS_TOKEN"] == "t"


def test_no_token_configured_means_no_bearer_is_accepted(app_config, tmp_path):
    from triage.app import create_app

    app_config["METRICS_TOKEN"] = None
    app = create_app(app_config)
    for header in ("Bearer ", "Bearer None", "Bearer null"):
        response = app.test_client().get("/metrics", headers={"Authorization": header})
        assert response.status_code == 404


def test_metrics_are_not_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert not any("metrics" in path for path in paths)


# --- the numbers ------------------------------------------------------------------------------


def test_the_numbers_follow_tickets_decisions_refusals_and_jobs(
    app, client, make_ticket, submitted, reviewer
):
    from sqlalchemy import func, select

    from triage.evidence.models import Evidence
    from triage.extensions import db
    from triage.jobs.models import Job
    from triage.notifications.models import Notification

    before = scrape(client)
    approve(reviewer, submitted())
    reject(reviewer, submitted())
    submitted()
    submitted()
    submitted(CHANGE_DIRECT_AUTHENTICATED)
    draft = make_ticket()  # a draft is in no queue
    # Refused uploads, through the API: two empty files, a type we do not take, a
    # material that does not exist, and a request over the size limit.
    for _ in range(2):
        assert draft.upload("passport", b"", "empty.pdf").json["error"]["code"] == "empty_file"
    refused = draft.upload("passport", b"MZ\x90\x00" + b"\x00" * 64, "tool.exe")
    assert refused.json["error"]["code"] == "unsupported_file_type"
    assert draft.upload("horoscope", b"%PDF-1.4", "x.pdf").json["error"]["code"] == (
        "unknown_material"
    )
    big = draft.upload("passport", b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1), "big.pdf")
    assert big.status_code == 413
    with app.app_context():
        db.session.add(Job(id="job-1", name="triage.previews.render", status="failed"))
        db.session.add(Job(id="job-2", name="triage.previews.render", status="retrying"))
        db.session.add(Job(id="job-3", name="triage.notifications.send", status="failed"))
        # Every email sent 30 s after it was written; two files analysed in 4 s and 8 s.
        for email in db.session.scalars(select(Notification)):
            email.status, email.sent_at = "sent", email.created_at + timedelta(seconds=30)
        emails = db.session.scalar(select(func.count()).select_from(Notification))
        files = db.session.scalars(select(Evidence).order_by(Evidence.id)).all()
        for item in files[2:]:
            item.analysed_at = None  # the eager analysis jobs timed them all: two count here
        for item, seconds in zip(files[:2], (4, 8), strict=True):
            item.analysed_at = item.uploaded_at + timedelta(seconds=seconds)
        db.session.commit()

    after = scrape(client)
    assert value(after, "triage_queue_depth", status="awaiting_review", type="unfreeze") == 2
    assert value(after, "triage_queue_depth", status="awaiting_review", type="account_change") == 1
    assert value(after, "triage_queue_depth", status="in_review", type="unfreeze") == 0
    assert ("triage_queue_depth", (("status", "draft"), ("type", "unfreeze"))) not in after
    assert value(after, "triage_decisions_total", decision="approved") == 1
    assert value(after, "triage_decisions_total", decision="rejected") == 1

    def refusals(samples, code):
        return value(samples, "triage_upload_refusals_total", code=code)

    assert refusals(after, "empty_file") - refusals(before, "empty_file") == 2
    assert refusals(after, "unsupported_file_type") - refusals(before, "unsupported_file_type") == 1
    assert refusals(after, "unknown_material") - refusals(before, "unknown_material") == 1
    assert refusals(after, "file_too_large") - refusals(before, "file_too_large") == 1

    assert value(after, "triage_jobs_errored", name="triage.previews.render", status="failed") == 1
    assert (
        value(after, "triage_jobs_errored", name="triage.previews.render", status="retrying") == 1
    )
    assert (
        value(after, "triage_jobs_errored", name="triage.notifications.send", status="failed") == 1
    )
    assert emails >= 5
    assert value(after, "triage_notifications", status="sent") == emails
    assert value(after, "triage_notifications", status="pending") == 0
    assert value(after, "triage_job_latency_seconds_count", job="notification") == emails
    assert value(after, "triage_job_latency_seconds", job="notification", quantile="0.5") == (
        pytest.approx(30, abs=0.01)
    )
    assert value(after, "triage_job_latency_seconds_count", job="analysis") == 2
    assert value(after, "triage_job_latency_seconds_sum", job="analysis") == pytest.approx(
        12, abs=0.01
    )
    assert value(after, "triage_job_latency_seconds", job="analysis", quantile="0.5") == (
        pytest.approx(6, abs=0.01)
    )


def test_a_file_over_the_tickets_cap_is_counted_once(app_config, pdf_bytes):
    from tests.review.helpers import unique_pdf
    from triage.app import create_app

    app_config["TICKET_MAX_FILES"] = 1
    app = create_app(app_config)
    client = app.test_client()
    created = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD).json
    headers = {"Authorization": f"Bearer {created['access_token']}"}
    before = scrape(client)
    for expected in (201, 413):
        response = client.post(
            f"/api/v1/tickets/{created['reference']}/evidence",
            headers=headers,
            data={"material": "passport", "file": (io.BytesIO(unique_pdf(pdf_bytes)), "p.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == expected, response.json
    after = scrape(client)
    code = {"code": "file_too_large"}
    assert (
        value(after, "triage_upload_refusals_total", **code)
        - value(before, "triage_upload_refusals_total", **code)
        == 1
    )


def test_refusals_on_the_customers_page_are_counted_too(client):
    from tests.tickets.conftest import create_on_web, upload_on_web

    reference, _ = create_on_web(client)
    before = scrape(client)
    response = upload_on_web(
        client, reference, "passport", (b"", "empty.pdf"), (b"plain words", "notes.txt")
    )
    assert response.status_code in (400, 415)
    after = scrape(client)
    for code in ("empty_file", "unsupported_file_type"):
        assert (
            value(after, "triage_upload_refusals_total", code=code)
            - value(before, "triage_upload_refusals_total", code=code)
            == 1
        ), code


def test_an_empty_database_scrapes(client):
    samples = scrape(client)
    assert value(samples, "triage_decisions_total", decision="approved") == 0
    assert value(samples, "triage_notifications", status="failed") == 0
    assert value(samples, "triage_job_latency_seconds_count", job="notification") == 0


# --- several processes --------------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import io, json, sys
    from triage.app import create_app

    config = json.loads(sys.argv[1])
    app = create_app(config)
    client = app.test_client()
    ticket = client.post("/api/v1/tickets", json=json.loads(sys.argv[2])).json
    for _ in range(int(sys.argv[3])):
        response = client.post(
            f"/api/v1/tickets/{ticket['reference']}/evidence",
            headers={"Authorization": f"Bearer {ticket['access_token']}"},
            data={"material": "passport", "file": (io.BytesIO(b""), "empty.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 400, response.json
    """
)


def test_multiprocess_mode_sums_the_refusals_of_every_process(
    app, app_config, client, tmp_path, monkeypatch
):
    import json

    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    config = json.dumps({k: v for k, v in app_config.items() if isinstance(v, str | bool)})
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, config, json.dumps(UNFREEZE_WITH_CARD), str(count)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
        )
        for count in (2, 3)
    ]
    for worker in workers:
        _, errors = worker.communicate(timeout=120)
        assert worker.returncode == 0, errors.decode()[-2000:]
    assert len(list(directory.glob("counter_*.db"))) == 2  # one file per process

    # This process counted nothing; a scrape in multiprocess mode reads every process's file.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    samples = scrape(client)
    assert value(samples, "triage_upload_refusals_total", code="empty_file") == 5
    # The database's numbers are there too, once.
    assert value(samples, "triage_queue_depth", status="awaiting_review", type="unfreeze") == 0
    assert value(samples, "triage_decisions_total", decision="approved") == 0
