"""The production way to run: gunicorn with the repository's configuration."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def production_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "TEST_"))}
    env.update(
        TRIAGE_ENV="production",
        SECRET_KEY="gunicorn-test-secret",
        DATABASE_URL=database_url,  # a clean, migrated database of its own
        EVIDENCE_STORE="local",
        EVIDENCE_DIR=str(tmp_path / "evidence"),
        GUNICORN_WORKERS="2",
        GUNICORN_BIND=f"127.0.0.1:{_free_port()}",
        # Several workers in production need shared counts; Redis is only reached when a
        # limited endpoint is hit, which these tests do not do.
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15",
        CELERY_BROKER_URL=f"sqla+sqlite:///{tmp_path / 'jobs.sqlite'}",
        MAIL_SERVER="127.0.0.1",
        PUBLIC_URL="https://triage.example",
    )
    subprocess.run(
        [BIN / "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def wait_until_ready(base: str, proc: subprocess.Popen, log: Path) -> requests.Response:
    """GET /readyz until it answers (60 s at most: CI machines are busy)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return requests.get(f"{base}/readyz", timeout=10)
        except requests.RequestException:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start: " + log.read_text())
            time.sleep(0.2)


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[str]:
    """gunicorn with the repository's configuration; yields its base URL."""
    with log.open("w+") as out:
        proc = subprocess.Popen(
            [BIN / "gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://{env['GUNICORN_BIND']}"
        try:
            assert wait_until_ready(base, proc, log).json()["status"] == "ready"
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_gunicorn_serves_the_app_with_request_ids(production_env, tmp_path):
    log = tmp_path / "gunicorn.log"
    with gunicorn(production_env, log) as base:
        page = requests.get(f"{base}/", headers={"X-Request-ID": "probe-0001abcd"}, timeout=5)
        assert page.status_code == 200
        assert page.headers["X-Request-ID"] == "probe-0001abcd"
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    text = log.read_text()
    assert "Booting worker" in text
    assert "rid=probe-0001abcd" in text  # gunicorn's access line
    assert "[probe-0001abcd] triage.requests: GET / 200" in text  # the app's own line


def test_gunicorn_refuses_to_start_in_production_without_a_secret(production_env):
    env = dict(production_env)
    env.pop("SECRET_KEY")
    proc = subprocess.run(
        [BIN / "gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "SECRET_KEY is required when TRIAGE_ENV=production" in proc.stdout + proc.stderr


def test_gunicorn_refuses_per_process_rate_limits_with_several_workers(production_env):
    env = {k: v for k, v in production_env.items() if k != "RATELIMIT_STORAGE_URI"}
    proc = subprocess.run(
        [BIN / "gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "RATELIMIT_STORAGE_URI=memory:// counts rate limits in each process" in output
    assert "2 workers" in output
    assert "Booting worker" not in output  # refused before any worker started
