"""The servers a benchmark talks to: gunicorn with the app, moto's S3, a PostgreSQL database.

Everything listens on 127.0.0.1 and runs in its own process, so the client measuring
never shares a GIL with what it measures. Every wait has a deadline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BUCKET = "evidence-bench"
REGION = "eu-west-1"
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
# Rate-limit counts when a benchmark runs with limits on (BENCH_REDIS_URL; db 5 by default).
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
# requests must never send local traffic through a proxy from the environment.
LOCAL = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
os.environ.update(LOCAL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(
    url: str, timeout: float, proc: subprocess.Popen, log: Path, verify: bool | str = True
) -> None:
    """Poll `url` until it answers; fail early if the process dies. `verify`: as requests'."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited ({proc.returncode}):\n{_tail(log)}")
        try:
            requests.get(url, timeout=5, verify=verify)
            return
        except requests.RequestException as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{url} did not answer in {timeout:.0f} s:\n{_tail(log)}"
                ) from exc
            time.sleep(0.1)


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def base_env() -> dict[str, str]:
    # Only our own settings: nothing from a developer's shell that would change the app.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GUNICORN_", "TEST_", "S3_", "EVIDENCE_", "DATABASE_"))
    }
    env.update(LOCAL)
    return env


@dataclass
class App:
    """One gunicorn master serving the app, and what the benchmarks need to know about it."""

    url: str
    process: subprocess.Popen
    env: dict[str, str]
    log: Path

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def flask(self, *args: str, stdin: str | None = None) -> str:
        """Run `flask --app wsgi ...` against the same database and store."""
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout


def app_env(
    workdir: Path,
    database_url: str,
    store: str,
    s3_endpoint: str | None = None,
    *,
    workers: int = 1,
    threads: int = 4,
    rate_limits: bool = False,
) -> dict[str, str]:
    """The app's environment; `rate_limits`: on, counted in Redis (REDIS_URL, emptied
    here), behind one trusted proxy, so each simulated customer brings its own address in
    X-Forwarded-For as nginx would pass it."""
    env = base_env()
    env.update(
        TRIAGE_ENV="development",
        SECRET_KEY="benchmark-secret-not-for-production",
        DATABASE_URL=database_url,
        EVIDENCE_STORE=store,
        EVIDENCE_DIR=str(workdir / "evidence"),
        RATELIMIT_ENABLED="false",
        BENCH_ENDPOINTS="true",
        GUNICORN_BIND=f"127.0.0.1:{free_port()}",
        GUNICORN_WORKERS=str(workers),
        GUNICORN_THREADS=str(threads),
        # 0 turns recycling off: a worker replaced mid-run would spoil RSS and latency figures.
        GUNICORN_MAX_REQUESTS="0",
        # Background jobs (a new ticket's email) go to Redis, as in production; the default,
        # a SQLite file in the instance folder, would serialise every worker's enqueue.
        CELERY_BROKER_URL=REDIS_URL,
    )
    if rate_limits:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()  # counts from an earlier run would 429
        env.update(RATELIMIT_ENABLED="true", RATELIMIT_STORAGE_URI=REDIS_URL, TRUSTED_PROXIES="1")
    if store == "s3":
        if not s3_endpoint:
            raise ValueError("the s3 store needs moto's endpoint")
        env.update(FAKE_AWS, S3_BUCKET=BUCKET, S3_REGION=REGION, S3_ENDPOINT_URL=s3_endpoint)
    return env


def migrate(env: Mapping[str, str]) -> None:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{done.stdout}{done.stderr}")


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], workdir: Path, name: str, app_module: str = "wsgi:app"
) -> Iterator[App]:
    """gunicorn with config/gunicorn.conf.py, as production starts it, until the block ends."""
    log = workdir / f"gunicorn-{name}.log"
    url = f"http://{env['GUNICORN_BIND']}"
    command = [str(BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", app_module]
    with served(command, ROOT, env, log, f"{url}/readyz") as proc:
        yield App(url, proc, env, log)


@contextlib.contextmanager
def served(
    command: list[str], cwd: Path, env: dict[str, str], log: Path, ready_url: str
) -> Iterator[subprocess.Popen]:
    """Start a server process (output to `log`), wait until `ready_url` answers, and stop
    it when the block ends."""
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(ready_url, 60, proc, log)
        yield proc
    finally:
        stop(proc)


def self_signed_certificate(workdir: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1, valid a day, made by the openssl command."""
    cert, key = workdir / "moto-cert.pem", workdir / "moto-key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@contextlib.contextmanager
def moto_s3(workdir: Path) -> Iterator[str]:
    """moto's S3 server in its own process with an empty bucket; yields the endpoint URL.

    Over TLS, as a production S3 endpoint is: over plain HTTP botocore signs the whole
    payload, reading a 5 MiB body in 1 MiB copies that production never makes (it sends
    UNSIGNED-PAYLOAD beside our SHA-256 checksum). AWS_CA_BUNDLE names the certificate
    for the benchmark's own clients and for the apps it starts, while the block runs.
    """
    import boto3

    port = free_port()
    log = workdir / "moto.log"
    cert, key = self_signed_certificate(workdir)
    env = base_env()
    env.update(FAKE_AWS)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                *(str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)),
                *("--ssl", "--ssl-cert", str(cert), "--ssl-key", str(key)),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"https://127.0.0.1:{port}"
    before = os.environ.get("AWS_CA_BUNDLE")
    os.environ["AWS_CA_BUNDLE"] = str(cert)
    try:
        wait_until(f"{url}/moto-api/", 60, proc, log, verify=str(cert))
        boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        ).client("s3", endpoint_url=url).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield url
    finally:
        stop(proc)
        if before is None:
            os.environ.pop("AWS_CA_BUNDLE", None)
        else:
            os.environ["AWS_CA_BUNDLE"] = before


# Benchmark databases are named <prefix>[_<what>]; BENCH_DB_PREFIX lets a shared server keep
# each user's apart (e.g. BENCH_DB_PREFIX=h_speed_bench).
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "triage_bench")


def database_name(what: str = "") -> str:
    return f"{DB_PREFIX}_{what}" if what else DB_PREFIX


def sqlite_url(workdir: Path, name: str) -> str:
    return f"sqlite:///{workdir / f'{name}.db'}"


@contextlib.contextmanager
def postgres_database(admin_url: str, name: str, keep: bool = False) -> Iterator[str]:
    """A fresh PostgreSQL database `name` (dropped first if it exists); yields its URL.

    Dropped again at the end unless `keep`. Never the tests' database.
    """
    import psycopg

    if name in {"test", "postgres", "template0", "template1"}:
        raise ValueError(f"refusing to use database {name!r} for benchmarks")
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    url = f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield url
    finally:
        if not keep:
            with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_reachable(admin_url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(admin_url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False
