"""`GET /metrics`: Prometheus text format, through prometheus-client (issue 13).

Almost every number is read from the database at scrape time by `DatabaseCollector`, so
it is the same whichever process answers and however many gunicorn workers and Celery
workers run:

- `triage_queue_depth{status,type}`: open tickets (awaiting_review, in_review,
  needs_more_info, awaiting_second_approval, disputed) by status and type (gauge);
- `triage_decisions_total{decision}`: final decisions, approved / rejected, counted from
  the history (`events`, action `decided`; a disputed ticket's new decision counts again);
- `triage_jobs_errored{name,status}`: background jobs that raised at least once (the
  `jobs` table: retrying, failed after the last retry, succeeded on a retry); a job that
  worked at its first try leaves no row (gauge);
- `triage_notifications{status}`: the email outbox by status: pending, sending, sent,
  failed (gauge);
- `triage_job_latency_seconds{job,quantile}`: a summary over the last
  `LATENCY_WINDOW` of work done: `notification` (outbox row written → email sent) and
  `analysis` (file uploaded → analysis finished); its `_count` and `_sum` cover the same
  window, so they are not running totals. Previews are not measured: the row keeps when a
  render started, not when it finished.

Upload refusals are not in the database: `triage_upload_refusals_total{code}` counts them
in the process that refused (`count_refusals` on `add_evidence`, the one service every
upload of the page and the API goes through, plus a request over the size limit, refused
before any view runs). Several gunicorn workers each count their own: set
`PROMETHEUS_MULTIPROC_DIR` to an empty directory shared by the workers (created before
they start, emptied at each deploy) and every worker writes its counts there, and a
scrape of any worker sums them all (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    has_request_context,
    request,
)
from flask_login import current_user
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from triage.dashboard.operations import DECISIONS, TICKET_TYPES, percentile, seconds_between
from triage.errors import FileRefused, UnknownMaterial
from triage.evidence.models import Evidence
from triage.extensions import db
from triage.history.models import Event
from triage.jobs.models import Job
from triage.notifications.models import FAILED, PENDING, SENDING, SENT, Notification
from triage.tickets import status as st
from triage.tickets.models import Ticket
from triage.timeutil import utcnow

bp = Blueprint("metrics", __name__)

QUEUE_STATUSES = (
    st.AWAITING_REVIEW,
    st.IN_REVIEW,
    st.NEEDS_MORE_INFO,
    st.AWAITING_SECOND_APPROVAL,
    st.DISPUTED,
)
NOTIFICATION_STATUSES = (PENDING, SENDING, SENT, FAILED)
LATENCY_WINDOW = timedelta(hours=1)
LATENCY_SAMPLE = 10_000  # the most recent durations of the window the quantiles are over
QUANTILES = (0.5, 0.95, 0.99)
# The endpoints that take an upload: a request over MAX_CONTENT_LENGTH is refused there
# (413) before the view, so before `add_evidence`, runs.
UPLOAD_ENDPOINTS = frozenset({"tickets.upload", "tickets_api.upload"})

# Not in prometheus-client's default registry: the scrape builds its own (below), so the
# default registry's process metrics never mix with multiprocess files.
UPLOAD_REFUSALS = Counter(
    "triage_upload_refusals",
    "Uploaded files refused, by api.md error code (counted by the process that refused).",
    ["code"],
    registry=None,
)

P = ParamSpec("P")
R = TypeVar("R")


def count_refusal(code: str) -> None:
    """Count one refused upload under its error code."""
    UPLOAD_REFUSALS.labels(code=code).inc()
    if has_request_context():
        g.upload_refusal_counted = True  # the 413 check below must not count it again


def count_refusals(service: Callable[P, R]) -> Callable[P, R]:
    """Decorate the upload service: each FileRefused or UnknownMaterial it raises is
    counted under its code, then raised on unchanged (both faces answer from it)."""

    @wraps(service)
    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return service(*args, **kwargs)
        except (FileRefused, UnknownMaterial) as exc:
            count_refusal(exc.code)
            raise

    return counted


def _count_oversized(response: Response) -> Response:
    # Only a request refused whole: a 413 from `add_evidence` (the ticket's caps) is counted.
    counted = g.get("upload_refusal_counted")
    if response.status_code == 413 and request.endpoint in UPLOAD_ENDPOINTS and not counted:
        count_refusal("file_too_large")
    return response


class DatabaseCollector:
    """The metrics read from the database at each scrape (module docstring)."""

    def describe(self) -> list[Metric]:
        return []  # registering must not query: the registry is built per scrape

    def collect(self) -> Iterator[Metric]:
        yield self.queue_depth()
        yield self.decisions()
        yield self.jobs()
        yield self.notifications()
        yield self.latency()

    def queue_depth(self) -> Metric:
        # ix_tickets_queue starts with the status: only open tickets are read.
        rows = db.session.execute(
            select(Ticket.status, Ticket.type, func.count())
            .where(Ticket.status.in_(QUEUE_STATUSES))
            .group_by(Ticket.status, Ticket.type)
        ).all()
        counts = {(status, kind): n for status, kind, n in rows}
        metric = GaugeMetricFamily(
            "triage_queue_depth",
            "Open tickets by status and type (waiting for a reviewer, a lead or the customer).",
            labels=["status", "type"],
        )
        kinds = sorted({*TICKET_TYPES, *(kind for _, kind in counts)})
        for status in QUEUE_STATUSES:
            for kind in kinds:
                metric.add_metric([status, kind], counts.get((status, kind), 0))
        return metric

    def decisions(self) -> Metric:
        inner = (
            select(Event.details["decision"].as_string().label("decision"))
            .where(Event.action == "decided")
            .subquery()
        )
        counts = dict(
            db.session.execute(
                select(inner.c.decision, func.count()).group_by(inner.c.decision)
            ).all()
        )
        metric = CounterMetricFamily(
            "triage_decisions",
            "Final decisions on tickets (history events `decided`), approved or rejected.",
            labels=["decision"],
        )
        for decision in DECISIONS:
            metric.add_metric([decision], counts.get(decision, 0))
        return metric

    def jobs(self) -> Metric:
        rows = db.session.execute(
            select(Job.name, Job.status, func.count()).group_by(Job.name, Job.status)
        ).all()
        metric = GaugeMetricFamily(
            "triage_jobs_errored",
            "Background jobs that raised at least once, by task and state: retrying, failed "
            "(after the last retry) or succeeded (on a retry).",
            labels=["name", "status"],
        )
        for name, status, count in rows:
            metric.add_metric([name, status], count)
        return metric

    def notifications(self) -> Metric:
        counts = dict(
            db.session.execute(
                select(Notification.status, func.count()).group_by(Notification.status)
            ).all()
        )
        metric = GaugeMetricFamily(
            "triage_notifications",
            "Emails in the outbox by status: pending, sending, sent, failed.",
            labels=["status"],
        )
        for status in NOTIFICATION_STATUSES:
            metric.add_metric([status], counts.get(status, 0))
        return metric

    def latency(self) -> Metric:
        since = utcnow() - LATENCY_WINDOW
        metric = Metric(
            "triage_job_latency_seconds",
            "Background work over the last hour: notification (outbox row written to email "
            "sent) and analysis (upload to analysis finished), in seconds. _count and _sum "
            "cover the same hour.",
            "summary",
        )
        sources = {
            "notification": (
                Notification.created_at,
                Notification.sent_at,
                Notification.sent_at >= since,
            ),
            "analysis": (Evidence.uploaded_at, Evidence.analysed_at, Evidence.analysed_at >= since),
        }
        for job, (start, end, recent) in sources.items():
            values = sorted(
                max(float(v), 0.0)
                for v in db.session.scalars(
                    select(seconds_between(start, end))
                    .where(recent)
                    .order_by(end.desc())
                    .limit(LATENCY_SAMPLE)
                )
            )
            for q in QUANTILES:
                value = percentile(values, q)
                metric.add_sample(
                    "triage_job_latency_seconds",
                    {"job": job, "quantile": str(q)},
                    float("nan") if value is None else value,
                )
            metric.add_sample("triage_job_latency_seconds_count", {"job": job}, len(values))
            metric.add_sample("triage_job_latency_seconds_sum", {"job": job}, sum(values))
        return metric


def scrape_registry() -> CollectorRegistry:
    """A registry for one scrape: the database's numbers and the upload refusals (from
    every process's files in multiprocess mode, else from this process)."""
    registry = CollectorRegistry()
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(UPLOAD_REFUSALS)
    registry.register(DatabaseCollector())
    return registry


def _bearer_matches(expected: str | None) -> bool:
    if not expected:
        return False
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), expected.encode()
    )


def may_scrape() -> bool:
    """A scraper with METRICS_TOKEN, or a signed-in lead."""
    if _bearer_matches(current_app.config.get("METRICS_TOKEN")):
        return True
    return bool(current_user and current_user.is_authenticated and current_user.is_lead)


@bp.get("/metrics")
def metrics() -> Any:
    """The Prometheus metrics (module docstring).

    Not public on the internet: queue sizes, decision rates and refusal counts describe
    the business and its load, and the database queries behind them are not free. A
    scraper sends `Authorization: Bearer <METRICS_TOKEN>`; a signed-in lead may look in a
    browser; anyone else gets the same 404 as an unknown address, so the endpoint's
    existence is not advertised to scanners. Without METRICS_TOKEN (production or not)
    only leads see it.
    """
    if not may_scrape():
        abort(404)
    body = generate_latest(scrape_registry())
    return Response(
        body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}
    )


def init_app(app: Flask) -> None:
    """Register `/metrics` and the count of uploads refused for their size."""
    app.register_blueprint(bp)
    app.after_request(_count_oversized)
