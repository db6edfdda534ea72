"""The PDF checkers never outlive the process that started them. gunicorn ends a stuck
worker with SIGKILL (its `timeout`), and a supervisor may stop the development server with
SIGTERM: neither runs the pool's shutdown, and a checker waiting for work would otherwise
wait for ever, re-parented to init (triage.evidence.pdf, `_limit_checker`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTER = """
import os
import sys
from triage.evidence import pdf
pool = pdf._checker_pool()
pool.submit(os.getpid).result(30)  # a checker exists and waits for work
print(" ".join(str(pid) for pid in pool._processes), flush=True)
sys.stdin.read()  # until killed
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_checkers_end_with_the_process_that_started_them(how):
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        checkers = [int(pid) for pid in starter.stdout.readline().split()]
        assert checkers and all(_alive(pid) for pid in checkers)
        starter.send_signal(how)
        starter.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in checkers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in checkers)
    finally:
        starter.kill()
        starter.wait(10)
