"""The app around the features: settings, production refusals, headers, health, size limits."""

from __future__ import annotations

import re
import stat
import warnings

import pytest

from config import DEVELOPMENT_SECRET, ConfigError, load_config
from triage.app import create_app


def test_settings_are_read_when_the_app_is_created_not_at_import(monkeypatch, tmp_path):
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "first"))
    first = create_app({"SECRET_KEY": "x"})
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "second"))
    second = create_app({"SECRET_KEY": "x"})
    assert first.config["EVIDENCE_DIR"].endswith("first")
    assert second.config["EVIDENCE_DIR"].endswith("second")


def test_development_without_secret_key_keeps_one_key_per_instance_folder(tmp_path):
    # The web process, the worker and each `flask` command share it; nothing is printed.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = load_config({}, tmp_path / "a")
        again = load_config({}, tmp_path / "a")
        other = load_config({}, tmp_path / "b")
    assert one["SECRET_KEY"] == again["SECRET_KEY"] != other["SECRET_KEY"]
    assert re.fullmatch("[0-9a-f]{64}", one["SECRET_KEY"])
    kept = tmp_path / "a" / DEVELOPMENT_SECRET
    assert kept.read_text() == one["SECRET_KEY"] and stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_development_where_the_key_cannot_be_kept_warns_and_uses_a_random_one(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("")  # a file where the instance folder should be
    with pytest.warns(RuntimeWarning, match="SECRET_KEY is not set"):
        one = load_config({}, blocked / "instance")
    with pytest.warns(RuntimeWarning):
        two = load_config({}, blocked / "instance")
    assert one["SECRET_KEY"] != two["SECRET_KEY"] and len(one["SECRET_KEY"]) == 64


def test_production_refuses_to_start_without_secret_key(tmp_path):
    (tmp_path / DEVELOPMENT_SECRET).write_text("k" * 64)  # never a fallback in production
    with pytest.raises(ConfigError, match="SECRET_KEY is required"):
        load_config({"TRIAGE_ENV": "production"}, tmp_path)


def test_production_names_the_missing_storage_setting(tmp_path):
    environ = {"TRIAGE_ENV": "production", "SECRET_KEY": "s", "EVIDENCE_STORE": "s3"}
    with pytest.raises(ConfigError, match="EVIDENCE_STORE=s3 needs S3_BUCKET"):
        load_config(environ, tmp_path)


def test_production_with_complete_settings_uses_secure_cookies(tmp_path):
    environ = {
        "TRIAGE_ENV": "production",
        "SECRET_KEY": "s",
        "EVIDENCE_STORE": "s3",
        "S3_BUCKET": "evidence",
        "DATABASE_URL": "postgresql://triage@db/triage",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "MAIL_SERVER": "smtp.example.com",
        "PUBLIC_URL": "https://triage.example",
    }
    config = load_config(environ, tmp_path)
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://triage@db/triage"


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="TRIAGE_ENV"):
        load_config({"TRIAGE_ENV": "staging"}, tmp_path)


def test_pages_carry_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script" not in response.text.replace('<script src="/static/', "")


def test_session_cookie_is_httponly_and_lax(client):
    page = client.get("/new/unfreeze")
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "evidence_store": "ok"}


def test_readiness_fails_when_the_store_is_unreachable(app_config, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the evidence folder should be")
    app_config["EVIDENCE_DIR"] = str(blocker / "evidence")
    app = create_app(app_config)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["evidence_store"].startswith("error")


def test_a_huge_body_gets_a_friendly_413_as_json_on_the_api(client):
    body = b"x" * (6 * 1024 * 1024)
    response = client.post(
        "/api/v1/tickets/UF-AAAA-BBBB/evidence",
        data=body,
        headers={"Content-Type": "multipart/form-data; boundary=x", "Authorization": "Bearer x"},
    )
    assert response.status_code == 413
    assert response.json["error"]["code"] == "file_too_large"
    assert "5 MB" in response.json["error"]["message"]


def test_a_huge_body_gets_a_friendly_413_page_on_the_web(client):
    response = client.post(
        "/tickets/UF-AAAA-BBBB/evidence",
        data=b"x" * (6 * 1024 * 1024),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 413
    assert "text/html" in response.content_type
    assert "at most 5 MB" in response.text


def test_unknown_api_route_answers_json_not_found(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_every_response_has_a_request_id_and_the_log_line_carries_it(client, caplog):
    with caplog.at_level("INFO", logger="triage.requests"):
        response = client.get("/healthz", headers={"X-Request-ID": "edge-1234abcd"})
        fresh = client.get("/healthz")
    assert response.headers["X-Request-ID"] == "edge-1234abcd"
    assert len(fresh.headers["X-Request-ID"]) == 32
    lines = [r for r in caplog.records if r.name == "triage.requests"]
    assert [r.request_id for r in lines] == ["edge-1234abcd", fresh.headers["X-Request-ID"]]
    assert "GET /healthz 200" in lines[0].getMessage()


def test_a_request_id_that_is_not_an_id_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert response.headers["X-Request-ID"] != "bad id <script>"
    assert len(response.headers["X-Request-ID"]) == 32


def test_behind_a_trusted_proxy_links_use_the_forwarded_scheme_and_host(app_config):
    app_config["TRUSTED_PROXIES"] = 1
    app = create_app(app_config)

    @app.get("/_probe")
    def probe():
        from flask import url_for

        return url_for("tickets.resume", _external=True)

    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "support.example.com"}
    assert app.test_client().get("/_probe", headers=forwarded).text == (
        "https://support.example.com/resume"
    )
    untrusted = create_app({**app_config, "TRUSTED_PROXIES": 0})
    untrusted.add_url_rule("/_probe", view_func=probe)
    assert (
        untrusted.test_client()
        .get("/_probe", headers=forwarded)
        .text.startswith("http://localhost/")
    )


# --- state, text and load (security.md) ------------------------------------------------------


PRODUCTION = {
    "TRIAGE_ENV": "production",
    "SECRET_KEY": "s",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "MAIL_SERVER": "smtp.example.com",
    "PUBLIC_URL": "https://triage.example",
}


def test_production_refuses_per_process_rate_limits_with_several_workers(tmp_path):
    environ = {**PRODUCTION, "WEB_CONCURRENCY": "3"}
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI=memory:// counts rate limits"):
        load_config(environ, tmp_path)
    shared = {**environ, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    assert load_config(shared, tmp_path)["RATELIMIT_STORAGE_URI"].startswith("redis://")
    assert load_config(PRODUCTION, tmp_path)  # one worker: per-process counts are whole


def test_strict_transport_security_in_production_only(tmp_path, app_config):
    assert load_config(PRODUCTION, tmp_path)["HSTS_SECONDS"] == 31_536_000
    assert load_config({"SECRET_KEY": "s"}, tmp_path)["HSTS_SECONDS"] == 0
    app_config["HSTS_SECONDS"] = 31_536_000
    client = create_app(app_config).test_client()
    assert client.get("/healthz").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_development_sends_no_strict_transport_security(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_a_405_says_which_methods_are_allowed(client):
    api = client.delete("/api/v1/requirements")
    assert api.status_code == 405
    assert set(api.headers["Allow"].split(", ")) >= {"GET"}
    assert api.json["error"]["code"] == "invalid_request"
    page = client.put("/healthz")
    assert page.status_code == 405 and "GET" in page.headers["Allow"]
    assert page.mimetype == "text/html"


def test_database_waits_are_bounded_and_configurable(tmp_path):
    environ = {
        "SECRET_KEY": "s",
        "DATABASE_URL": "postgresql://triage@db/triage",
        "DB_LOCK_TIMEOUT_MS": "2500",
        "DB_STATEMENT_TIMEOUT_MS": "9000",
    }
    options = load_config(environ, tmp_path)["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"]["options"] == "-c lock_timeout=2500 -c statement_timeout=9000"
    assert options["connect_args"]["connect_timeout"] <= 10
    assert options["pool_timeout"] <= 10
    # no round trip per checkout: the idle socket is checked instead (triage.connections)
    assert "pool_pre_ping" not in options and options["pool_recycle"] <= 3600
    sqlite = load_config({"SECRET_KEY": "s", "DB_BUSY_TIMEOUT_MS": "4000"}, tmp_path)
    assert sqlite["SQLALCHEMY_ENGINE_OPTIONS"] == {"connect_args": {"timeout": 4.0}}
    # Defaults: every wait well under gunicorn's 60 s request timeout.
    defaults = load_config({"SECRET_KEY": "s", "DATABASE_URL": "postgresql://d/t"}, tmp_path)
    timeouts = defaults["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"]
    assert timeouts == "-c lock_timeout=5000 -c statement_timeout=15000"


def test_a_refused_form_still_carries_the_request_id(app, client):
    response = client.post("/review/sign-out", headers={"X-Request-ID": "newcomer-check-123"})
    assert response.status_code == 400
    assert response.headers["X-Request-ID"] == "newcomer-check-123"


def test_a_body_over_the_cap_still_carries_a_request_id(app, client):
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(
        "/review/sign-in",
        data=big,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert len(response.headers["X-Request-ID"]) == 32
