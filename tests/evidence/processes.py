"""Process helpers for the tests that the PDF checkers end with their owner
(tests/evidence/test_checker_orphans.py, tests/break_review/test_checker_end.py).

They read /proc (Linux only, as are the tests): a process that has ended but not yet been
reaped by its parent is a zombie, still listed, and must count as ended.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_owner(script: str) -> subprocess.Popen:
    """A Python process running `script` from the checkout, talking through pipes: the
    owner of the checkers the test then ends."""
    return subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def alive(pid: int) -> bool:
    """Whether process `pid` runs: it exists and is not a zombie (ended, unreaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def end_and_wait(
    owner: subprocess.Popen, how: signal.Signals, watched: Iterable[int], seconds: float = 10
) -> list[int]:
    """Send `how` to `owner`, wait for it to end, then up to `seconds` for every process
    in `watched` to end after it: those still alive then (none, when all is well).

    A checker notices its owner's end a moment later (its watcher thread), so ending is
    waited for rather than looked at once."""
    owner.send_signal(how)
    owner.wait(seconds)
    return still_alive(watched, seconds)


def still_alive(watched: Iterable[int], seconds: float = 10) -> list[int]:
    """The processes in `watched` still alive after waiting up to `seconds` for them all to
    end (none, when all is well): ending takes a moment, so it is waited for."""
    watched = list(watched)
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in watched) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in watched if alive(pid)]
