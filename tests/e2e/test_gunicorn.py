"""The production way to run: gunicorn with the repository's configuration."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
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
def production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "TEST_"))}
    env.update(
        TRIAGE_ENV="production",
        SECRET_KEY="gunicorn-test-secret",
        DATABASE_URL=os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'g.db'}",
        EVIDENCE_STORE="local",
        EVIDENCE_DIR=str(tmp_path / "evidence"),
        GUNICORN_WORKERS="2",
        GUNICORN_BIND=f"127.0.0.1:{_free_port()}",
    )
    subprocess.run(
        [BIN / "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def test_gunicorn_serves_the_app_with_request_ids(production_env, tmp_path):
    log = (tmp_path / "gunicorn.log").open("w+")
    proc = subprocess.Popen(
        [BIN / "gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=production_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://{production_env['GUNICORN_BIND']}"
    try:
        deadline = time.monotonic() + 60  # generous: CI machines are busy
        while True:
            try:
                ready = requests.get(f"{base}/readyz", timeout=10)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    pytest.fail("gunicorn did not start: " + Path(log.name).read_text())
                time.sleep(0.2)
        assert ready.json()["status"] == "ready"
        page = requests.get(f"{base}/", headers={"X-Request-ID": "probe-0001abcd"}, timeout=5)
        assert page.status_code == 200
        assert page.headers["X-Request-ID"] == "probe-0001abcd"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    text = Path(log.name).read_text()
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
