"""The documented production set-up survives slow clients (security.md, "State, text and load").

nginx with config/nginx.conf in front of gunicorn with config/gunicorn.conf.py: 50 connections
trickling headers or bodies do not stop /healthz from answering within a second.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import requests

from tests.e2e import test_gunicorn
from tests.e2e.test_gunicorn import ROOT, _free_port, gunicorn, wait_until_ready

production_env = test_gunicorn.production_env  # fixture

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
)
pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (make test installs Debian's nginx)"
)

SLOW_CONNECTIONS = 50


@contextmanager
def nginx(tmp_path: Path, upstream: str) -> Iterator[str]:
    """nginx from config/nginx.conf, run from a temp prefix; yields its base URL.

    Only the two addresses differ from the documented file: a free port to listen on and
    the test's gunicorn as the upstream.
    """
    port = _free_port()
    text = (ROOT / "config" / "nginx.conf").read_text()
    assert "listen 8080;" in text and "server 127.0.0.1:8000;" in text
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    text = text.replace("server 127.0.0.1:8000;", f"server {upstream};")
    prefix = tmp_path / "nginx"
    for folder in ("logs", "tmp"):
        (prefix / folder).mkdir(parents=True)
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    error_log = prefix / "logs" / "error.log"
    # As root, nginx's workers would switch to www-data, which may not enter pytest's
    # private temp folder; any other user keeps its own.
    user = "user root; " if os.geteuid() == 0 else ""
    proc = subprocess.Popen(
        [
            NGINX,
            "-p",
            str(prefix),
            "-c",
            str(conf),
            "-e",
            str(error_log),
            "-g",
            f"daemon off; master_process on; {user}pid {prefix / 'nginx.pid'};",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, proc, error_log)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class Trickle:
    """Connections that each send one more byte every half second and never finish.

    Half trickle their headers (a request that never reaches its blank line), half a body
    (complete headers announcing 100,000 bytes, then a byte at a time).
    """

    def __init__(self, address: tuple[str, int], count: int) -> None:
        self.sockets: list[socket.socket] = []
        for i in range(count):
            s = socket.create_connection(address, timeout=5)
            if i % 2:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Slow: ")
            else:
                s.sendall(
                    b"POST /api/v1/tickets HTTP/1.1\r\nHost: slow\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
                )
            self.sockets.append(s)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.5):
            for s in self.sockets:
                with suppress(OSError):  # dropped by the server: it owes them nothing
                    s.send(b"a")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for s in self.sockets:
            s.close()


def _healthz_seconds(base: str) -> float:
    start = time.monotonic()
    try:
        response = requests.get(f"{base}/healthz", timeout=3)
    except requests.RequestException:
        return float("inf")  # no answer within 3 s
    assert response.json() == {"status": "ok"}
    return time.monotonic() - start


def _healthz_under_trickle(address: tuple[str, int], base: str, samples: int) -> list[float]:
    trickle = Trickle(address, SLOW_CONNECTIONS)
    try:
        times = []
        for _ in range(samples):
            time.sleep(0.4)
            times.append(_healthz_seconds(base))
        return times
    finally:
        trickle.close()


def test_healthz_answers_within_a_second_behind_nginx_with_50_slow_clients(
    production_env, tmp_path
):
    with (
        gunicorn(production_env, tmp_path / "gunicorn.log"),
        nginx(tmp_path, production_env["GUNICORN_BIND"]) as base,
    ):
        host, port = base.removeprefix("http://").split(":")
        times = _healthz_under_trickle((host, int(port)), base, samples=5)
        assert max(times) < 1.0, times

        # The proxy passes what the app needs: its answers and the request id.
        response = requests.get(f"{base}/", timeout=5)
        assert response.status_code == 200 and response.headers["X-Request-ID"]
        too_big = requests.post(f"{base}/api/v1/tickets", data=b"x" * (5376 * 1024 + 1), timeout=10)
        assert too_big.status_code == 413  # nginx's cap is the app's cap
    # Without nginx the same 50 clients usually hold gunicorn's 2 x 4 threads (no answer
    # within 3 s when measured), but not in every run: how the kernel spreads the slow
    # connections over the workers decides. So that is a measurement, not a test.
