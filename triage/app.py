"""The application factory: registers extensions, blueprints, error handlers and commands."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from config import engine_options, load_config
from storage import create_store
from triage import (  # noqa: F401 - models: tables
    cli,
    errorpages,
    i18n,
    metrics,
    models,
    notifications,
    requestlog,
    security,
    text,
)
from triage.connections import watch_connections
from triage.evidence import operations as evidence_operations
from triage.extensions import csrf, db, limiter, login_manager, migrate
from triage.jobs import celery_init_app
from triage.paths import shipped
from triage.uploads import InMemoryUploadRequest


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment; `config` overrides single settings (tests)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(shipped("templates")),
        static_folder=str(shipped("static")),
    )
    app.request_class = InMemoryUploadRequest  # uploads never touch the disk (triage.uploads)
    app.config.update(load_config(os.environ, app.instance_path))
    if config:
        app.config.update(config)
        if "SQLALCHEMY_ENGINE_OPTIONS" not in config:
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
                app.config["SQLALCHEMY_DATABASE_URI"]
            )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    i18n.init_app(app)  # English, Simplified Chinese, Spanish (api.md, "Languages")
    errorpages.register(app)
    security.register(app)
    text.register(app)  # checked URL text; bidi controls never rendered raw (security.md)
    requestlog.register(app)
    cli.register(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            watch_connections(engine)  # dead pooled connections, without a round trip
    # Batch mode lets migrations alter columns on SQLite too.
    migrate.init_app(app, db, directory=str(shipped("migrations")), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    import triage.reviewers.auth  # noqa: F401 - registers the user loader

    # Built once per process: boto3 clients are expensive and thread-safe.
    app.extensions["evidence_store"] = create_store(app.config)
    evidence_operations.register_session_hooks()
    celery_init_app(app)  # app.extensions["celery"]; wsgi.py exposes it (triage.jobs)
    notifications.init_app(app)  # Flask-Mailman and the outbox's hooks


def register_blueprints(app: Flask) -> None:
    from triage.api.docs import bp as docs_bp
    from triage.dashboard.views import bp as dashboard_bp
    from triage.health import bp as health_bp
    from triage.jobs.views import bp as jobs_bp
    from triage.notifications.api import bp as resend_api_bp
    from triage.notifications.views import bp as resend_bp
    from triage.recovery.api import bp as recovery_api_bp
    from triage.recovery.views import bp as recovery_bp
    from triage.retention.api import bp as retention_api_bp
    from triage.retention.views import bp as retention_bp
    from triage.review.api import bp as review_api_bp
    from triage.review.views import bp as review_bp
    from triage.reviewers.views import bp as auth_bp
    from triage.tickets.api import bp as tickets_api_bp
    from triage.tickets.views import bp as tickets_bp
    from triage.vocabulary import bp as vocabulary_bp

    pages = (tickets_bp, auth_bp, review_bp, health_bp, vocabulary_bp, resend_bp, jobs_bp)
    for bp in (*pages, recovery_bp, retention_bp, dashboard_bp):
        app.register_blueprint(bp)
    metrics.init_app(app)  # GET /metrics, outside /api/v1 and its OpenAPI document
    api_blueprints = [
        tickets_api_bp,
        review_api_bp,
        docs_bp,
        resend_api_bp,
        recovery_api_bp,
        retention_api_bp,
    ]
    if app.config["BENCH_ENDPOINTS"]:
        from triage.bench import bp as bench_bp

        api_blueprints.append(bench_bp)
    for bp in api_blueprints:
        csrf.exempt(bp)  # bearer tokens, never cookies: nothing for a forged form to ride on
        app.register_blueprint(bp)
