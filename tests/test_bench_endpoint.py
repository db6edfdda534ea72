"""The benchmarks' bare upload endpoint: off by default, never in production."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import func, select

from triage.app import create_app


def test_bench_endpoints_are_off_by_default(app, client, pdf_bytes):
    assert "bench" not in app.blueprints
    response = client.post(
        "/api/v1/bench/bare-upload",
        data={"file": (io.BytesIO(pdf_bytes), "statement.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert client.get("/api/v1/bench/db").status_code == 404


def test_production_ignores_bench_endpoints_in_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TRIAGE_ENV", "production")
    monkeypatch.setenv("BENCH_ENDPOINTS", "true")
    monkeypatch.setenv("SECRET_KEY", "bench-test-secret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv("CELERY_BROKER_URL", "memory://")
    monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")
    monkeypatch.setenv("PUBLIC_URL", "https://triage.example")
    app = create_app()
    assert app.config["BENCH_ENDPOINTS"] is False
    assert "bench" not in app.blueprints
    assert not any(rule.rule.startswith("/api/v1/bench") for rule in app.url_map.iter_rules())


def test_the_blueprint_refuses_a_production_app_even_when_forced(tmp_path):
    with pytest.raises(RuntimeError, match="never be registered in production"):
        create_app(
            {
                "SECRET_KEY": "x",
                "TRIAGE_ENV": "production",
                "BENCH_ENDPOINTS": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
                "EVIDENCE_DIR": str(tmp_path / "evidence"),
            }
        )


@pytest.fixture
def bench_client(app_config, request):
    app_config["BENCH_ENDPOINTS"] = True
    app = request.getfixturevalue("app")
    return app, app.test_client()


def test_bare_upload_stores_the_bytes_and_nothing_else(bench_client):
    from triage.evidence.models import Evidence
    from triage.extensions import db
    from triage.tickets.models import Ticket

    app, client = bench_client
    data = b"not even a document: the bare endpoint checks nothing\x00\xff" * 1000
    response = client.post(
        "/api/v1/bench/bare-upload",
        data={"file": (io.BytesIO(data), "anything.bin")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    body = response.json
    assert body["size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    with app.extensions["evidence_store"].open(body["key"]) as stored:
        assert stored.read() == data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
        assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0


def test_bare_upload_without_a_file_is_a_bad_request(bench_client):
    _, client = bench_client
    response = client.post(
        "/api/v1/bench/bare-upload", data={"other": "x"}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert response.json["error"]["fields"] == {"file": "is required"}


def test_database_round_trip(bench_client):
    _, client = bench_client
    response = client.get("/api/v1/bench/db")
    assert response.status_code == 200
    assert response.json == {"database": 1}
