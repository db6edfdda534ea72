"""Background work on Celery, following Flask's own pattern (flask.palletsprojects.com,
"Background Tasks with Celery"): `celery_init_app(app)` makes a Celery app whose tasks run
inside an app context, stored as `app.extensions["celery"]`; `wsgi.py` exposes it, so
`celery -A wsgi.celery worker` and `celery -A wsgi.celery beat` run the jobs.

The broker is `CELERY_BROKER_URL`: Redis in production (any number of workers on any
number of machines), and by default a SQLite file in the instance folder through kombu's
SQLAlchemy transport, so `make run` needs no Redis. Every job:

- is idempotent (running it twice changes nothing the second time: each one takes its
  work with a conditional UPDATE, or only deletes what is still there);
- is acknowledged late (a worker that dies mid-job leaves the message to another) and
  retried with exponential backoff and jitter when the database or the store failed;
- is visible: a job that raised leaves a `jobs` row (triage.jobs.models) a lead reads on
  /review/jobs.

Apps created with TESTING run jobs eagerly (in the caller, at once) unless
`CELERY_TASK_ALWAYS_EAGER` is set to False; the tests that start a real worker do that.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init
from flask import Flask, current_app
from kombu.exceptions import KombuError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)

# Transient failures every job retries with backoff: the database or its pool did not
# answer in time (config.engine_options bounds each wait).
TRANSIENT = (OperationalError, PoolTimeout)
MAX_RETRIES = 5
BACKOFF_MAX_SECONDS = 600

SCHEDULE = {
    # Outbox rows whose send job was lost (broker down at commit, a worker killed).
    "notifications-sweep": {"task": "triage.notifications.sweep", "schedule": 60.0},
    # Stored objects no evidence row points to (triage.evidence.operations.sweep_orphans).
    "evidence-sweep-orphans": {
        "task": "triage.evidence.sweep_orphans",
        "schedule": timedelta(hours=1).total_seconds(),
    },
    # Files still pending analysis long after their upload: their job was lost.
    "evidence-analysis-sweep": {"task": "triage.evidence.analysis_sweep", "schedule": 300.0},
    # Tickets whose account directory did not answer at creation (triage.accounts).
    "accounts-recheck": {"task": "triage.accounts.recheck", "schedule": 60.0},
    # Evidence past RETENTION_DAYS, unless under a legal hold (triage.retention).
    "retention-purge": {
        "task": "triage.retention.purge",
        "schedule": timedelta(hours=1).total_seconds(),
    },
}


def celery_config(app: Flask) -> dict[str, Any]:
    """Celery settings from the app's flat settings, then `app.config["CELERY"]` on top."""
    instance = Path(app.instance_path)
    eager = app.config.get("CELERY_TASK_ALWAYS_EAGER")
    settings: dict[str, Any] = {
        "broker_url": app.config["CELERY_BROKER_URL"],
        "task_ignore_result": True,  # jobs write their outcome to the database
        "task_always_eager": app.testing if eager is None else bool(eager),
        "task_acks_late": True,
        "worker_prefetch_multiplier": 1,  # a long render does not hold queued jobs back
        "task_default_queue": "triage",
        "timezone": "UTC",
        "beat_schedule": SCHEDULE,
        "beat_schedule_filename": str(instance / "celerybeat-schedule"),
        # The embedded scheduler (`worker --beat`, what `make run` starts) is a thread the
        # worker joins at shutdown; it sleeps up to this long between ticks, so Ctrl-C
        # returns within seconds instead of minutes.
        "beat_max_loop_interval": 5,
        "broker_connection_retry_on_startup": True,
        # A request that enqueues after its commit waits at most about 2 s for a broker
        # that is down; the outbox sweep sends what it could not enqueue.
        "broker_connection_timeout": 2,
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 1,
        },
    }
    settings.update(app.config.get("CELERY") or {})
    return settings


def celery_init_app(app: Flask) -> Celery:
    """Create the app's Celery app (tasks run in an app context) and register the jobs."""

    class FlaskTask(Task):
        """A job: runs in an app context, acknowledged late, retried with backoff."""

        acks_late = True
        autoretry_for = TRANSIENT
        max_retries = MAX_RETRIES
        retry_backoff = True
        retry_backoff_max = BACKOFF_MAX_SECONDS
        retry_jitter = True

        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

        def on_retry(self, exc, task_id, args, kwargs, einfo) -> None:
            _record_job(app, self, task_id, args, "retrying", exc)

        def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
            _record_job(app, self, task_id, args, "failed", exc)

        def on_success(self, retval, task_id, args, kwargs) -> None:
            if self.request.retries:  # only a job that was retried has a row to close
                _record_job(app, self, task_id, args, "succeeded", None)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_config(app))
    celery_app.set_default()
    # The jobs register themselves (shared_task) on every Celery app as it is finalised.
    import triage.accounts.tasks
    import triage.evidence.analysis_tasks
    import triage.jobs.tasks
    import triage.notifications.tasks
    import triage.recovery.tasks
    import triage.retention.tasks  # noqa: F401

    def _fresh_connections(**_: Any) -> None:
        # A prefork child must not share the parent's pooled connections (SQLAlchemy,
        # "Using Connection Pools with Multiprocessing or os.fork()").
        from triage.extensions import db

        with app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)

    # A weak receiver, kept alive by the Celery app it belongs to: a strong one would keep
    # every Flask app ever made alive through the signal (a test process makes thousands).
    celery_app.fresh_connections = _fresh_connections
    worker_process_init.connect(_fresh_connections, weak=True)
    app.extensions["celery"] = celery_app
    return celery_app


def _record_job(
    app: Flask, task: Task, task_id: str, args: Any, status: str, exc: BaseException | None
) -> None:
    """Write what a lead sees of a job that raised; never raises itself."""
    from triage.extensions import db
    from triage.jobs.models import Job
    from triage.timeutil import utcnow

    try:
        with app.app_context():
            job = db.session.get(Job, task_id)
            if job is None:
                if status == "succeeded":
                    return
                job = Job(
                    id=task_id, name=task.name, args=list(args or ()), first_error_at=utcnow()
                )
                db.session.add(job)
            job.status = status
            job.attempts = (task.request.retries or 0) + 1
            if exc is not None:
                job.error = f"{type(exc).__name__}: {exc}"[:2000]
            job.updated_at = utcnow()
            db.session.commit()
    except Exception:  # the database itself may be what failed
        log.exception("could not record job %s (%s) as %s", task_id, task.name, status)


def enqueue(name: str, *args: Any, **options: Any) -> bool:
    """Send job `name` with `args` to the broker; False (logged) if the broker refused.

    Needs an app context. With TESTING's eager mode the job runs here, at once.
    """
    celery: Celery = current_app.extensions["celery"]
    try:
        celery.tasks[name].apply_async(args=args, **options)
    except (KombuError, OSError) as exc:
        log.warning("could not enqueue %s%r: %s", name, args, exc)
        return False
    return True
