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


@pytest.fixture
def fixture_bytes():
    def read(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    return read


os.environ.setdefault("TRIAGE_ENV", "development")
# The app reads the environment before a test's settings override it; spare the warning.
os.environ.setdefault("SECRET_KEY", "test-secret-from-env")


# --- the app ---------------------------------------------------------------------------------

import io  # noqa: E402
import re  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient, FlaskCliRunner  # noqa: E402


def _database_url(tmp_path: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    """Settings for one test's app; a test may change them before asking for `app`."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path),
        "EVIDENCE_STORE": "local",
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture
def app(app_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    from triage.app import create_app
    from triage.extensions import db

    app = create_app(app_config)
    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            _reset_postgres(db)
        from flask_migrate import upgrade

        upgrade()  # the real migrations, not create_all: they are what production runs
        yield app
        from triage.review.previews import wait_idle

        wait_idle()  # a background render must not outlive the test's database
        db.session.remove()
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            _reset_postgres(db)
        db.engine.dispose()


def _reset_postgres(db) -> None:
    from sqlalchemy import text

    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))


class IsolatedClient(FlaskClient):
    """Every request gets its own app context and database session, as in production.

    The `app` fixture keeps an app context pushed for the whole test, and Flask would reuse
    it for requests: `g` (Flask-Login's user, Flask-WTF's token) and the database session
    would then be shared by every client of the test and outlive each request.
    """

    def open(self, *args: Any, **kwargs: Any):
        import contextvars

        return contextvars.Context().run(super().open, *args, **kwargs)


def isolated_client(app: Flask) -> IsolatedClient:
    return IsolatedClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return isolated_client(app)


@pytest.fixture
def new_client(app: Flask):
    """A browser with no cookies: another device."""
    return lambda: isolated_client(app)


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
