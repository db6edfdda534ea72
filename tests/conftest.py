"""Shared fixtures: app, client, runner, one mock_aws bucket, ticket factories."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

FIXTURES = Path(__file__).parent / "fixtures"
TEST_BUCKET = "evidence-test"
TEST_REGION = "eu-west-1"

# --- where tests write -----------------------------------------------------------------------
#
# Every test's SQLite database and evidence folder live in its tmp_path, and the app fsyncs
# both (each commit, each stored file): about 20 ms a commit on this machine's disk, 0.1 ms
# in memory, which made most of the suite's time. So tmp_path goes to tmpfs when the machine
# has a roomy one (the same files and fsync calls; only a power cut would tell them apart).
# PYTEST_DEBUG_TEMPROOT (pytest's documented root for tmp_path) or --basetemp still win.
TMPFS = Path("/dev/shm")
TMPFS_MIN_FREE_BYTES = 2 * 1024**3  # a container's 64 MiB /dev/shm would fill up


# Each test makes an app: thousands of objects that live through many of the collector's
# young-generation passes, reach the oldest generation, then die at teardown; Python's
# default thresholds (700, 10, 10) then ran a full collection, which walks every live
# object, every few tests: a fifth of a test process's CPU. Young passes every 20,000
# allocations instead of 700 promote few such objects: the same collector, collecting the
# same cycles a little later (about 40 MB more per process).
GC_THRESHOLDS = (20_000, 10, 10)


def pytest_configure(config: pytest.Config) -> None:
    import gc

    gc.set_threshold(*GC_THRESHOLDS)
    _share_url_builders()
    _share_aws_models()
    _keep_our_file_order(config)
    if os.environ.get("PYTEST_DEBUG_TEMPROOT") or config.option.basetemp:
        return
    try:
        stats = os.statvfs(TMPFS)
    except OSError:
        return
    if stats.f_bavail * stats.f_frsize >= TMPFS_MIN_FREE_BYTES and os.access(TMPFS, os.W_OK):
        # Read by pytest when the first tmp_path is made; pytest-xdist's workers get theirs
        # from the controller, which runs this too.
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(TMPFS)


# --- URL builders shared by the apps of one test process --------------------------------------
#
# Each test's app adds its 64 URL rules to a new Werkzeug map, and Werkzeug generates and
# compiles two Python functions per rule (`Rule._compile_builder`, for `url_for`): 18 of the
# 19 ms of a `create_app`, a tenth of the suite's CPU. The function it makes depends only on
# the rule's text and parsed parts, its defaults, its converters' types and whether unknown values
# are appended: it reaches the rule and its converters through its first argument (the
# rule it is bound to). So one test process compiles each builder once, and every app binds
# the same function to its own rule, as Werkzeug itself does with the one it made.
def _share_url_builders() -> None:
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "shared", False):
        return  # a Werkzeug that builds URLs otherwise: each app compiles its own
    compiled: dict[tuple[object, ...], Any] = {}

    def shared_builder(self: Rule, append_unknown: bool = True) -> Any:
        key = (
            self.rule,  # with its converters' arguments
            tuple(self._trace),
            repr(sorted((self.defaults or {}).items())),
            tuple(sorted((name, type(c)) for name, c in self._converters.items())),
            append_unknown,
        )
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    shared_builder.shared = True  # type: ignore[attr-defined]
    Rule._compile_builder = shared_builder  # type: ignore[method-assign]


# Each S3 store (each test's app on S3, each moto bucket) makes a boto3 session, whose
# botocore loader read the service models and endpoint rules from their JSON files again:
# about 60 ms a client. One loader per test process instead: a loader caches what it read
# and hands the same objects to every client of its session; here, of every session.
def _share_aws_models() -> None:
    import functools

    import botocore.session

    create_loader = getattr(botocore.session, "create_loader", None)
    if create_loader is not None and not hasattr(create_loader, "cache_info"):
        botocore.session.create_loader = functools.cache(create_loader)


# --- the order of files under pytest-xdist's loadfile ----------------------------------------
#
# `--dist loadfile` gives each worker the next file in the queue when it is free, and by
# default sorts the queue by each file's number of tests (`--loadscope-reorder`). Files of a
# few long tests (a calibration, gunicorn, Celery or nginx processes, fixed waits) came
# last, and one worker was still running one of them while the other had nothing left.
# Longest first instead (the LPT rule, within the largest file's time of the best order):
# a file's expected time is the seconds below, else PER_TEST_SECONDS for each test
# (BROWSER_TEST_SECONDS for a Chromium one). The seconds are one run's on 2 cores (files
# that take longer than their number of tests says); only their order matters, and a file
# missing from the list only goes where its number of tests puts it.
PER_TEST_SECONDS = 0.3
BROWSER_TEST_SECONDS = 3.0
LONG_FILES = {
    "tests/review/test_previews.py": 21,
    "tests/evidence/test_pdf_routing.py": 16,
    "tests/state/test_races.py": 13,
    "tests/break_workbench/test_json_decisions.py": 12,
    "tests/test_text_fuzz.py": 12,
    "tests/retention/test_crash.py": 12,
    "tests/e2e/test_gunicorn.py": 11,
    "tests/test_packaging.py": 9,
    "tests/e2e/test_s3_proxy.py": 9,
    "tests/accounts/test_http_directory.py": 7,
    "tests/jobs/test_workers.py": 7,
    "tests/evidence_analysis/test_worker.py": 7,
    "tests/e2e/test_slow_clients.py": 6,
    "tests/analysis/test_phash_pdf.py": 6,
    "tests/review/test_workbench.py": 6,
    "tests/evidence_analysis/test_wiring.py": 5,
    "tests/recovery_abuse/test_directory.py": 5,
    "tests/break_workbench/test_chinese_names.py": 4,
    "tests/break_session/test_filing_record.py": 3,
    "tests/test_imports.py": 3,
    "tests/review/test_second_pages.py": 3,
}


def _keep_our_file_order(config: pytest.Config) -> None:
    """Stop xdist re-sorting files by their number of tests, unless asked to on the command
    line: `pytest_collection_modifyitems` below orders them."""
    if getattr(config.option, "dist", "no") != "loadfile":
        return
    if "--loadscope-reorder" not in config.invocation_params.args:
        config.option.loadscopereorder = False


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, files longest first (LONG_FILES); tests keep their order within
    each file. One process runs them in pytest's order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def expected_seconds(path: str) -> float:
        if path in LONG_FILES:
            return LONG_FILES[path]
        return sum(
            BROWSER_TEST_SECONDS if item.get_closest_marker("browser") else PER_TEST_SECONDS
            for item in files[path]
        )

    items[:] = [item for path in sorted(files, key=expected_seconds, reverse=True)
                for item in files[path]]  # fmt: skip


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # moto intercepts calls, but botocore still wants credentials to sign with.
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": TEST_REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def s3_bucket(aws_credentials: None) -> Iterator[str]:
    """An empty bucket inside moto's in-process mock; yields its name."""
    with mock_aws():
        boto3.client("s3", region_name=TEST_REGION).create_bucket(
            Bucket=TEST_BUCKET,
            CreateBucketConfiguration={"LocationConstraint": TEST_REGION},
        )
        yield TEST_BUCKET


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's S3 over real HTTP on a free local port; yields the endpoint URL.

    It shares moto's global state with `mock_aws`, so each test makes its own bucket.
    """
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NO_PROXY", "127.0.0.1")  # a CI proxy must not swallow local traffic
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


def worker_env(app_config: dict, broker: str, **extra: str) -> dict[str, str]:
    """The environment of a real `celery -A wsgi.celery worker` subprocess serving the test's
    app: its database and evidence folder, `broker`, and `extra` settings; nothing of the
    test runner's own TEST_* or CELERY_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "CELERY_"))}
    env.update(
        TRIAGE_ENV="development",
        SECRET_KEY="worker-test",
        DATABASE_URL=app_config["SQLALCHEMY_DATABASE_URI"],
        EVIDENCE_DIR=app_config["EVIDENCE_DIR"],
        CELERY_BROKER_URL=broker,
        **extra,
    )
    return env


def read_fixture(name: str) -> bytes:
    """The bytes of `tests/fixtures/<name>`."""
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def fixture_bytes():
    return read_fixture


os.environ.setdefault("TRIAGE_ENV", "development")
# The app reads the environment before a test's settings override it; spare the warning.
os.environ.setdefault("SECRET_KEY", "test-secret-from-env")


# --- the app ---------------------------------------------------------------------------------

import io  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import jinja2  # noqa: E402
import jinja2.bccache  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient, FlaskCliRunner  # noqa: E402
from sqlalchemy.util import LRUCache  # noqa: E402

# --- the database: migrated once per session, a clean copy for each test ---------------------
#
# The real migrations (what production runs, not create_all) run once per test session. On
# SQLite they build a template file that each test gets a copy of; on PostgreSQL they build
# the session's database, whose rows are deleted before each test (3 ms, where CREATE
# DATABASE ... TEMPLATE takes 150 ms and TRUNCATE 50 ms). Tests open many connections at
# once (races, live servers, gunicorn), so one rolled-back transaction per test would not do.
# The migrations seed no rows; `migrated_database` fails loudly if one ever does.


def postgres_database(url: str, suffix: str = "") -> str:
    """`url` renamed for this pytest-xdist worker (each has its own database), plus `suffix`."""
    from sqlalchemy import make_url

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url_ = make_url(url)
    name = url_.database + (f"_{worker}" if worker else "") + suffix
    return url_.set(database=name).render_as_string(hide_password=False)


def recreate_postgres_database(url: str) -> None:
    """Drop the database `url` names (closing its connections) and create it empty."""
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.pool import NullPool

    url_ = make_url(url)
    server = create_engine(
        url_.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url_.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url_.database}"'))
        # A test database need not survive a power cut: commits stop waiting for the WAL
        # flush (every connection, gunicorn's and workers' too). Same rows, locks, order.
        conn.execute(text(f'ALTER DATABASE "{url_.database}" SET synchronous_commit = off'))
    server.dispose()


def migrate(url: str, workdir: Path) -> None:
    """Run every migration on the database at `url`, as `flask db upgrade` does."""
    from flask_migrate import upgrade

    from triage.app import create_app
    from triage.extensions import db

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "EVIDENCE_STORE": "local",
            "EVIDENCE_DIR": str(workdir / "evidence"),
        }
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()


@dataclass
class MigratedDatabase:
    """The session's migrated database; `fresh(tmp_path)` gives a test a clean one."""

    url: str
    sqlite_template: Path | None = None
    engine: Any = None  # PostgreSQL: one connection, kept for emptying between tests
    empty_sql: str = ""

    def fresh(self, tmp_path: Path) -> str:
        """A clean, migrated database for one test; returns its URL."""
        if self.sqlite_template is not None:
            copy = tmp_path / "test.db"
            shutil.copyfile(self.sqlite_template, copy)
            return f"sqlite:///{copy}"
        from sqlalchemy import text

        with self.engine.connect() as conn:
            conn.execute(text(self.empty_sql))
        return self.url


def _emptying_sql(engine: Any) -> str:
    """One batch that leaves the migrated database as the migrations left it."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        sequences = inspect(conn).get_sequence_names()
        for table in tables:
            rows = conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
            assert rows == 0, f"the migrations seed {table}: emptying it between tests loses that"
    return " ".join(
        [
            # A connection a test left behind must not hold locks the DELETEs wait for.
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid();",
            "SET session_replication_role = replica;",  # no foreign-key checks: any order
            *(f'DELETE FROM "{table}";' for table in tables),
            *(f'ALTER SEQUENCE "{sequence}" RESTART;' for sequence in sequences),
            "SET session_replication_role = DEFAULT;",
        ]
    )


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedDatabase]:
    """The migrations, run once per session (per pytest-xdist worker)."""
    workdir = tmp_path_factory.mktemp("migrated")
    if not os.environ.get("TEST_DATABASE_URL"):
        template = workdir / "template.db"
        migrate(f"sqlite:///{template}", workdir)
        yield MigratedDatabase(url=f"sqlite:///{template}", sqlite_template=template)
        return
    from sqlalchemy import create_engine

    url = postgres_database(os.environ["TEST_DATABASE_URL"])
    recreate_postgres_database(url)
    migrate(url, workdir)
    engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1)
    yield MigratedDatabase(url=url, engine=engine, empty_sql=_emptying_sql(engine))
    engine.dispose()


@pytest.fixture
def database_url(migrated_database: MigratedDatabase, tmp_path: Path) -> str:
    """A clean database with every migration applied, for this test alone."""
    return migrated_database.fresh(tmp_path)


@pytest.fixture
def app_config(tmp_path: Path, database_url: str) -> dict[str, Any]:
    """Settings for one test's app; a test may change them before asking for `app`."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "EVIDENCE_STORE": "local",
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "RATELIMIT_ENABLED": False,
        # Tesseract on every upload would cost about a second each; the tests of the
        # analysis turn it on (tests/evidence_analysis, tests/dashboard).
        "EVIDENCE_ANALYSIS": False,
        # Still scrypt, with N 32 times smaller than production's: 3 ms a hash, not 100.
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    }


class SharedTemplateCode(jinja2.BytecodeCache):
    """Jinja's compiled templates, shared by the apps of one test process.

    Each test's app has its own Jinja environment, which compiled every template it rendered
    anew: parsing and Python's `compile` were about 15 ms of a test that renders two pages.
    A `jinja2.BytecodeCache` is Jinja's documented way to skip that. The key is the
    template's name and file and the environment's settings that change the generated code;
    Jinja compares the source's checksum before it uses an entry. So a template is compiled
    again whenever its text or those settings differ, and rendered by each app as before.
    """

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> jinja2.bccache.Bucket:
        settings = (
            sorted(environment.extensions),
            environment.block_start_string,
            environment.block_end_string,
            environment.variable_start_string,
            environment.variable_end_string,
            environment.comment_start_string,
            environment.comment_end_string,
            environment.line_statement_prefix,
            environment.line_comment_prefix,
            environment.trim_blocks,
            environment.lstrip_blocks,
            environment.newline_sequence,
            environment.keep_trailing_newline,
            environment.optimized,
            environment.is_async,
            getattr(environment.autoescape, "__qualname__", environment.autoescape),
        )
        key = f"{self.get_cache_key(name, filename)}:{settings!r}"
        bucket = jinja2.bccache.Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


class SharedCompiledSQL(LRUCache):
    """SQLAlchemy's compiled statements, shared by the engines of one test process.

    Each test's app has its own engine, and each engine its own statement cache, so every
    test compiled every statement it ran anew: about a tenth of the suite's CPU. The
    `compiled_cache` execution option is SQLAlchemy's documented way to hand an engine
    another cache. Its keys begin with the dialect object, which is new with each engine;
    here that becomes the dialect's class, server version and parameter style, so engines
    of one kind of database share their compiled statements, as one engine's connections do.
    """

    def __init__(self) -> None:
        super().__init__(capacity=10_000)  # an engine's own is 500

    @staticmethod
    def _shared(key: tuple[Any, ...]) -> tuple[Any, ...]:
        dialect = key[0]
        return (type(dialect), dialect.server_version_info, dialect.paramstyle, *key[1:])

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        return super().get(self._shared(key), default)

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        super().__setitem__(self._shared(key), value)


COMPILED_SQL = SharedCompiledSQL()


def wait_for_background_work() -> None:
    """Block until work the app started outside a request is done.

    The one place that knows what runs in the background (today: preview renders in a
    thread pool): none of it may outlive the test's database.
    """
    from triage.review.previews import wait_idle

    wait_idle()


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """The app on this test's database. No app context is pushed: each request pushes its
    own, as in production; a test that uses the database directly opens
    `with app.app_context():`."""
    from triage.app import create_app
    from triage.extensions import db

    app = create_app(app_config)
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    with app.app_context():
        db.engine.update_execution_options(compiled_cache=COMPILED_SQL)  # before any statement
    yield app
    wait_for_background_work()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def pg_app(app: Flask) -> Flask:
    """`app`, for a test about PostgreSQL alone (its locks, its plans); skipped on SQLite."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL only: set TEST_DATABASE_URL")
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def new_client(app: Flask):
    """A browser with no cookies: another device."""
    return app.test_client


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def s3_app_config(app_config: dict[str, Any], s3_bucket: str) -> dict[str, Any]:
    """Settings that put evidence in the mock_aws bucket instead of the local folder."""
    app_config.update(EVIDENCE_STORE="s3", S3_BUCKET=s3_bucket, S3_REGION=TEST_REGION)
    return app_config


# --- factories -------------------------------------------------------------------------------

UNFREEZE_WITH_CARD = {
    "type": "unfreeze",
    "account_type": "individual",
    "card_added": True,
    "account_name": "acme-cloud",
    "contact_email": "owner@example.com",
}
CHANGE_DIRECT_AUTHENTICATED = {
    "type": "account_change",
    "customer_type": "direct",
    "real_name_auth": "completed",
    "account_type": "individual",
    "card_added": False,
    "account_name": "acme-cloud",
    "contact_email": "owner@example.com",
    "change": {"mobile": "+44 7700 900123"},
}


@dataclass
class ApiTicket:
    """A ticket made through the API, with its access token and an authorised client."""

    reference: str
    token: str
    client: FlaskClient

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self) -> dict[str, Any]:
        return self.client.get(f"/api/v1/tickets/{self.reference}", headers=self.headers).json

    def upload(self, material: str, data: bytes, filename: str):
        return self.client.post(
            f"/api/v1/tickets/{self.reference}/evidence",
            headers=self.headers,
            data={"material": material, "file": (io.BytesIO(data), filename)},
            content_type="multipart/form-data",
        )

    def put_information(self, values: dict[str, Any]):
        return self.client.put(
            f"/api/v1/tickets/{self.reference}/information", headers=self.headers, json=values
        )

    def submit(self, explanation: str | None = None):
        body = {"explanation": explanation} if explanation else None
        return self.client.post(
            f"/api/v1/tickets/{self.reference}/submit", headers=self.headers, json=body
        )


@pytest.fixture
def make_ticket(client: FlaskClient):
    """Create tickets through the API: make_ticket(**overrides) -> ApiTicket."""

    def make(base: dict[str, Any] | None = None, **overrides: Any) -> ApiTicket:
        body = {**(base or UNFREEZE_WITH_CARD), **overrides}
        response = client.post("/api/v1/tickets", json=body)
        assert response.status_code == 201, response.json
        return ApiTicket(response.json["reference"], response.json["access_token"], client)

    return make


@pytest.fixture
def pdf_bytes() -> bytes:
    return (FIXTURES / "statement.pdf").read_bytes()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test's app served over real HTTP on a free port; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)
