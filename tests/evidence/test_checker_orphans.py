"""The PDF checkers never outlive the process that started them. gunicorn ends a stuck
worker with SIGKILL (its `timeout`), and a supervisor may stop the development server with
SIGTERM: neither runs the pool's shutdown, and a checker waiting for work would otherwise
wait for ever, re-parented to init (triage.evidence.pdf, `_limit_checker`)."""

from __future__ import annotations

import signal
import sys

import pytest

from tests.evidence.processes import alive, end_and_wait, start_owner

STARTER = """
import os
import sys
from triage.evidence import pdf
pool = pdf._checker_pool()
pool.submit(os.getpid).result(30)  # a checker exists and waits for work
print(" ".join(str(pid) for pid in pool._processes), flush=True)
sys.stdin.read()  # until killed
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_checkers_end_with_the_process_that_started_them(how):
    starter = start_owner(STARTER)
    try:
        checkers = [int(pid) for pid in starter.stdout.readline().split()]
        assert checkers and all(alive(pid) for pid in checkers)
        assert end_and_wait(starter, how, checkers) == []
    finally:
        starter.kill()
        starter.wait(10)
