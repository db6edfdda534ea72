"""The wheel is the whole app: built from this checkout and installed into a fresh virtual
environment, it migrates a database and serves pages and static files from a folder that
knows nothing of the checkout.

The fresh environment sees the project's installed dependencies through a path file (no
download, a few seconds), but not the checkout: the editable install's hook is in a
site-packages folder that is only put on the path, never processed as a site folder.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
# One pytest-xdist worker runs them all, so the wheel is built and installed once (`installed`).
pytestmark = pytest.mark.xdist_group("packaging")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv with the freshly built wheel installed in it."""
    work = tmp_path_factory.mktemp("packaging")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", work / "dist", ROOT],
        check=True,
        capture_output=True,
    )
    (wheel,) = (work / "dist").glob("evidence_triage-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    dependencies = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(site) / "project-dependencies.pth").write_text("\n".join(sorted(dependencies)) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", site, wheel],
        check=True,
        capture_output=True,
    )
    return python


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "FLASK_"))}
    env.pop("PYTHONPATH", None)
    env.update(
        TRIAGE_ENV="development",
        SECRET_KEY="packaging-test-secret",
        DATABASE_URL=f"sqlite:///{tmp_path / 'installed.db'}",
        EVIDENCE_STORE="local",
        EVIDENCE_DIR=str(tmp_path / "evidence"),
        NO_PROXY="127.0.0.1",
    )
    return env


def run(python: Path, *args: str, env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [python, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_wheel_holds_the_app_not_the_checkout(installed, environment, tmp_path):
    where = run(
        installed,
        "-c",
        "import triage, triage.paths as p; print(triage.__file__);"
        " print(*(p.shipped(n) for n in ('templates', 'static', 'migrations')))",
        env=environment,
        cwd=tmp_path,
    ).split()
    package = Path(where[0]).parent
    assert ROOT not in package.parents, f"imported from the checkout: {package}"
    assert where[1:] == [str(package / n) for n in ("templates", "static", "migrations")]


def test_flask_db_upgrade_runs_the_shipped_migrations(installed, environment, tmp_path):
    run(
        installed, "-m", "flask", "--app", "triage.app:create_app()", "db", "upgrade",
        env=environment,
        cwd=tmp_path,
    )  # fmt: skip
    with sqlite3.connect(tmp_path / "installed.db") as database:
        tables = {row[0] for row in database.execute("SELECT name FROM sqlite_master")}
        (version,) = database.execute("SELECT version_num FROM alembic_version").fetchone()
    assert {"tickets", "evidence", "reviewers", "alembic_version"} <= tables
    heads = run(
        installed, "-m", "flask", "--app", "triage.app:create_app()", "db", "heads",
        env=environment,
        cwd=tmp_path,
    )  # fmt: skip
    assert heads.split()[0] == version


@pytest.fixture
def served(installed, environment, tmp_path) -> Iterator[str]:
    """gunicorn from the fresh venv, started outside the checkout; yields its base URL."""
    run(
        installed, "-m", "flask", "--app", "triage.app:create_app()", "db", "upgrade",
        env=environment,
        cwd=tmp_path,
    )  # fmt: skip
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w+") as out:
        command = ["-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "triage.app:create_app()"]
        proc = subprocess.Popen(
            [installed, *command],
            env=environment,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        try:
            while True:
                try:
                    requests.get(f"{base}/healthz", timeout=5)
                    break
                except requests.RequestException:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        pytest.fail("the installed app did not start: " + log.read_text())
                    time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_the_installed_app_serves_pages_and_static_files(served):
    page = requests.get(f"{served}/", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "<html" in page.text and "</html>" in page.text
    style = requests.get(f"{served}/static/css/app.css", timeout=10)
    assert style.status_code == 200
    assert style.headers["Content-Type"].startswith("text/css")
    assert style.content == (ROOT / "static" / "css" / "app.css").read_bytes()
