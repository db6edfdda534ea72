"""Settings from the environment, read when the app is created, never at import time."""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from triage.evidence.policy import MAX_FILE_BYTES, TICKET_MAX_BYTES, TICKET_MAX_FILES
from triage.languages import LANGUAGES

# One file plus the multipart envelope and a few form fields; Werkzeug answers 413
# before parsing anything larger.
REQUEST_OVERHEAD_BYTES = 256 * 1024


class ConfigError(RuntimeError):
    """The app must not start with these settings; the message names what is missing."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(environ: Mapping[str, str], name: str, default: int, minimum: int | None = None) -> int:
    value = environ.get(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {number}")
    return number


def _choice(environ: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = environ.get(name) or default
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def database_url(url: str) -> str:
    # psycopg 3 is the driver we ship; plain postgres URLs would ask for psycopg2.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# Database waits, all well under gunicorn's 60 s request timeout (security.md, "State,
# text and load"): a statement that waits longer fails, and the request answers 503.
DB_LOCK_TIMEOUT_MS = 5_000  # PostgreSQL: waiting for a row or table lock
DB_STATEMENT_TIMEOUT_MS = 15_000  # PostgreSQL: one statement, lock waits included
DB_BUSY_TIMEOUT_MS = 15_000  # SQLite: waiting for the one write lock every writer queues on
DB_CONNECT_TIMEOUT_S = 5  # PostgreSQL: a host that does not answer at all
DB_POOL_TIMEOUT_S = 10  # a request waiting for a free pooled connection
DB_POOL_RECYCLE_S = 1800  # replace pooled connections after half an hour


def engine_options(
    url: str,
    *,
    lock_timeout_ms: int = DB_LOCK_TIMEOUT_MS,
    statement_timeout_ms: int = DB_STATEMENT_TIMEOUT_MS,
    busy_timeout_ms: int = DB_BUSY_TIMEOUT_MS,
) -> dict[str, Any]:
    """SQLAlchemy `create_engine` options with every database wait bounded.

    PostgreSQL gets `lock_timeout` and `statement_timeout` as connection options (libpq
    `options=-c ...`, so they hold for every statement of every pooled connection), a
    connect timeout and a pool timeout; SQLite gets a busy timeout (seconds, as
    `sqlite3.connect(timeout=...)` wants). A wait that runs out raises
    `sqlalchemy.exc.OperationalError` (or `TimeoutError` from the pool), which the app
    answers with 503 (triage.errorpages).
    """
    if url.startswith("sqlite"):
        # Writers wait for each other instead of failing at once with "database is locked".
        return {"connect_args": {"timeout": busy_timeout_ms / 1000}}
    return {
        # No pool_pre_ping (a round trip on every checkout): triage.connections polls the
        # idle socket instead, and recycling bounds a connection's age for what a poll
        # cannot see (a flow a firewall dropped); a disconnect found by a statement
        # invalidates the pool and answers 503.
        "pool_recycle": DB_POOL_RECYCLE_S,
        "pool_size": 10,
        "max_overflow": 10,
        "pool_timeout": DB_POOL_TIMEOUT_S,
        "connect_args": {
            "connect_timeout": DB_CONNECT_TIMEOUT_S,
            "options": f"-c lock_timeout={lock_timeout_ms} "
            f"-c statement_timeout={statement_timeout_ms}",
        },
    }


def check_shared_limits(environ: Mapping[str, str], workers: int) -> None:
    """Refuse per-process rate-limit counts in production when several workers serve.

    With `memory://` each worker counts on its own, so N workers let N times each limit
    through (security.md, "State, text and load"). `workers` is the number of worker
    processes (gunicorn's `workers`, or `WEB_CONCURRENCY`). Raises ConfigError naming
    RATELIMIT_STORAGE_URI.
    """
    production = environ.get("TRIAGE_ENV", "development") == "production"
    storage = environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    enabled = _bool(environ.get("RATELIMIT_ENABLED"), True)
    if production and enabled and workers > 1 and storage.startswith("memory://"):
        raise ConfigError(
            f"RATELIMIT_STORAGE_URI={storage} counts rate limits in each process, so "
            f"{workers} workers would each let the whole limit through: set "
            "RATELIMIT_STORAGE_URI=redis://... (shared by every worker) when "
            "TRIAGE_ENV=production"
        )


DEVELOPMENT_SECRET = "dev-secret-key"  # in the instance folder, development only


def development_secret(instance: Path) -> str:
    """The development key: 64 hex digits kept in `instance/dev-secret-key` (made on first
    use, readable by its owner only), so the web process, the worker and every `flask`
    command share one key and sessions outlive a restart. Production never reads it: it
    refuses to start without SECRET_KEY (security.md). Where the folder cannot be written,
    a random key for this process, with a warning."""
    path = instance / DEVELOPMENT_SECRET
    try:
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    except OSError as exc:
        warnings.warn(
            f"SECRET_KEY is not set and {path} cannot be written ({exc.strerror}): using a "
            "random key, so sessions end when the process does",
            RuntimeWarning,
            stacklevel=3,
        )
        return secrets.token_hex(32)
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as out:
        out.write(key)
    return key


_KEY = re.compile(r"[0-9a-f]{64}")


def _read_secret(path: Path) -> str:
    """The kept key, trusted only as `development_secret` makes it: a regular file, not a
    link, owned by this user and readable by no one else, holding 64 hex digits.
    ConfigError, naming the file, for anything else."""
    # Another process may have made the file an instant ago and not written it yet.
    for _ in range(50):
        key = _read_own_file(path)
        if key:
            break
        time.sleep(0.01)
    if not _KEY.fullmatch(key):
        raise ConfigError(f"{path} does not hold a key made here: delete it, or set SECRET_KEY")
    return key


def _read_own_file(path: Path) -> str:
    refused = ConfigError(
        f"{path} must be a file of this user's, readable by no one else: "
        "delete it, or set SECRET_KEY"
    )
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise refused from exc
    try:
        status = os.fstat(fd)
        if (
            not stat.S_ISREG(status.st_mode)
            or status.st_uid != os.geteuid()
            or status.st_mode & 0o077
        ):
            raise refused
        return os.read(fd, 256).decode("ascii", "replace").strip()
    finally:
        os.close(fd)


def load_config(environ: Mapping[str, str], instance_path: str | Path) -> dict[str, Any]:
    """Flask settings from environment variables (the table in the README)."""
    instance = Path(instance_path)
    env = environ.get("TRIAGE_ENV", "development")
    if env not in {"development", "production"}:
        raise ConfigError(f"TRIAGE_ENV must be 'production' or 'development', got {env!r}")
    production = env == "production"

    secret = environ.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY is required when TRIAGE_ENV=production")
        secret = development_secret(instance)

    db_url = database_url(environ.get("DATABASE_URL") or f"sqlite:///{instance / 'triage.db'}")

    config: dict[str, Any] = {
        "TRIAGE_ENV": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(
            db_url,
            lock_timeout_ms=_int(environ, "DB_LOCK_TIMEOUT_MS", DB_LOCK_TIMEOUT_MS),
            statement_timeout_ms=_int(environ, "DB_STATEMENT_TIMEOUT_MS", DB_STATEMENT_TIMEOUT_MS),
            busy_timeout_ms=_int(environ, "DB_BUSY_TIMEOUT_MS", DB_BUSY_TIMEOUT_MS),
        ),
        "EVIDENCE_STORE": environ.get("EVIDENCE_STORE", "local"),
        "EVIDENCE_DIR": environ.get("EVIDENCE_DIR") or str(instance / "evidence"),
        "S3_BUCKET": environ.get("S3_BUCKET"),
        "S3_REGION": environ.get("S3_REGION"),
        "S3_ENDPOINT_URL": environ.get("S3_ENDPOINT_URL"),
        "S3_SSE": environ.get("S3_SSE"),
        "S3_CHECKSUM_MODE": environ.get("S3_CHECKSUM_MODE", "when_supported"),
        "RATELIMIT_ENABLED": _bool(environ.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_STORAGE_URI": environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # No X-RateLimit-* headers: api.md promises none, and working them out costs two more
        # round trips to the counts (Redis) on every limited request; a 429 still says
        # Retry-After (triage.errorpages).
        "RATELIMIT_HEADERS_ENABLED": False,
        # Strict-Transport-Security on every response in production (triage.security).
        "HSTS_SECONDS": _int(environ, "HSTS_SECONDS", 31_536_000) if production else 0,
        "MAX_FILE_BYTES": MAX_FILE_BYTES,
        "MAX_CONTENT_LENGTH": MAX_FILE_BYTES + REQUEST_OVERHEAD_BYTES,
        "TICKET_MAX_FILES": _int(environ, "TICKET_MAX_FILES", TICKET_MAX_FILES),
        "TICKET_MAX_BYTES": _int(environ, "TICKET_MAX_BYTES", TICKET_MAX_BYTES),
        "CLAIM_IDLE_MINUTES": _int(environ, "CLAIM_IDLE_MINUTES", 30),
        "ORPHAN_GRACE_MINUTES": _int(environ, "ORPHAN_GRACE_MINUTES", 60),
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        # A customer photographing documents can take longer than Flask-WTF's default hour.
        "WTF_CSRF_TIME_LIMIT": None,
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        # How many proxies in front of us set X-Forwarded-*: links then say https and our host.
        "TRUSTED_PROXIES": _int(environ, "TRUSTED_PROXIES", 0),
        # The benchmarks' bare upload endpoint (no checks): never in production.
        "BENCH_ENDPOINTS": _bool(environ.get("BENCH_ENDPOINTS"), False) and not production,
        "JSON_SORT_KEYS": False,
        # Background jobs (triage.jobs): Redis in production; by default a SQLite file in
        # the instance folder (kombu's SQLAlchemy transport), so no Redis is needed.
        "CELERY_BROKER_URL": environ.get("CELERY_BROKER_URL")
        or f"sqla+sqlite:///{instance / 'jobs.sqlite'}",
        # Where links in emails point (jobs have no request to take the host from).
        "PUBLIC_URL": (environ.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
        # Email (triage.notifications): SMTP when MAIL_SERVER is set, else .eml files.
        "MAIL_SERVER": environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int(environ, "MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(environ.get("MAIL_USE_TLS"), False),
        "MAIL_USE_SSL": _bool(environ.get("MAIL_USE_SSL"), False),
        "MAIL_USERNAME": environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": environ.get("MAIL_DEFAULT_SENDER")
        or "Evidence triage <no-reply@localhost>",
        "MAIL_TIMEOUT": _int(environ, "MAIL_TIMEOUT", 30),  # seconds, each SMTP wait
        "MAIL_FILE_PATH": str(instance / "mail"),
        # Account-recovery safeguards (recovery.md; README "Safeguards").
        # The account directory: the table (`flask accounts import`) unless a URL is set.
        "ACCOUNT_DIRECTORY_URL": (environ.get("ACCOUNT_DIRECTORY_URL") or "").rstrip("/") or None,
        "ACCOUNT_DIRECTORY_TIMEOUT": _int(
            environ, "ACCOUNT_DIRECTORY_TIMEOUT", 3, minimum=1
        ),  # seconds
        "SECOND_APPROVAL": _choice(
            environ, "SECOND_APPROVAL", ("account_change", "all", "flagged"), "account_change"
        ),
        "CHANGE_WAITING_HOURS": _int(environ, "CHANGE_WAITING_HOURS", 72, minimum=0),
        "VELOCITY_LIMIT": _int(environ, "VELOCITY_LIMIT", 3, minimum=1),
        "VELOCITY_WINDOW_HOURS": _int(environ, "VELOCITY_WINDOW_HOURS", 72, minimum=1),
        "RETENTION_DAYS": _int(environ, "RETENTION_DAYS", 90, minimum=1),
        # api.md "Evidence analysis" on the workers (triage.evidence.analysis); off, every
        # new file is `skipped` (the test suite turns it off except where it tests it).
        "EVIDENCE_ANALYSIS": _bool(environ.get("EVIDENCE_ANALYSIS"), True),
        # The deployment's default language, Flask-Babel's default locale: the registered
        # owner's emails (the notice, the approval, the dispute) and so the "this was not
        # me" page their link opens are in the account record's `language` where the record
        # has one, else in this, never in the language of whoever filed the change
        # (triage.recovery.notices.owner_language). One of LANGUAGES.
        "BABEL_DEFAULT_LOCALE": _choice(environ, "DEFAULT_LANGUAGE", tuple(LANGUAGES), "en"),
        # Whom the registered owner should contact once a change has been applied (the
        # "this was not me" page after the waiting period); the start page when unset.
        "SUPPORT_CONTACT": environ.get("SUPPORT_CONTACT") or None,
        # GET /metrics (triage.metrics): a scraper's bearer token; without it only a
        # signed-in lead sees the metrics, in production as in development.
        "METRICS_TOKEN": environ.get("METRICS_TOKEN") or None,
    }
    if production:
        check_shared_limits(environ, _int(environ, "WEB_CONCURRENCY", 1))
        from storage import missing_settings

        missing = missing_settings(config)
        if missing:
            raise ConfigError(
                f"EVIDENCE_STORE={config['EVIDENCE_STORE']} needs {', '.join(missing)} "
                "when TRIAGE_ENV=production"
            )
        needed = [
            name
            for name in ("CELERY_BROKER_URL", "MAIL_SERVER", "PUBLIC_URL")
            if not environ.get(name)
        ]
        if needed:
            # Without them jobs would queue on this machine only and email would go to
            # files nobody reads, and links in emails would point at 127.0.0.1.
            raise ConfigError(f"{', '.join(needed)} required when TRIAGE_ENV=production")
    return config
