"""A checker pool that breaks while another thread starts a checker in it waits for that
start, then ends that checker with the others (triage.evidence.pdf, `_CheckerPool`).

Without the wait, the pool's manager thread closes the pipes being handed to the new
checker (a start already sending them ends the forkserver: "Connection refused" for the
checks after it), or misses the new checker when terminating, and waits for it for ever."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

from tests.evidence import shapes
from tests.evidence.processes import alive, still_alive
from triage.evidence import pdf


def _pool() -> pdf._CheckerPool:
    return pdf._CheckerPool(
        max_workers=2,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=pdf._limit_checker,
        initargs=(os.getpid(),),  # its checkers end with this test run whatever happens
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_a_pool_broken_while_a_checker_starts_ends_that_checker_too(monkeypatch):
    pool = _pool()
    pool.submit(time.sleep, 30)  # the first checker, kept busy: a second is started next
    (busy,) = pool._processes
    manager = pool._executor_manager_thread
    starting, go = threading.Event(), threading.Event()
    started: list[int] = []
    start = ProcessPoolExecutor._spawn_process

    def slow_start(self: ProcessPoolExecutor) -> None:
        starting.set()
        go.wait(5)
        start(self)
        started.extend(set(self._processes) - {busy})

    monkeypatch.setattr(ProcessPoolExecutor, "_spawn_process", slow_start)
    outcome: list[Future | BaseException] = []

    def submit() -> None:
        try:
            outcome.append(pool.submit(os.getpid))
        except BaseException as exc:  # the test's verdict, not this thread's
            outcome.append(exc)

    second = threading.Thread(target=submit)
    second.start()
    try:
        assert starting.wait(5)
        os.kill(busy, signal.SIGKILL)
        time.sleep(0.5)  # the manager thread finds the checker dead meanwhile
        assert not pool._broken  # marking it broken waits for the start under way
        go.set()
        second.join(10)
        manager.join(10)
        assert not manager.is_alive()  # it ended every checker, the new one included
        (future,) = outcome
        assert isinstance(future, Future), future
        with pytest.raises(BrokenProcessPool):
            future.result(10)
        assert len(started) == 1
        assert still_alive(started, 5) == []
    finally:
        go.set()
        pool.shutdown(wait=False, cancel_futures=True)
        for pid in [busy, *started]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    monkeypatch.undo()
    try:  # the forkserver lived through it: a check still gets its answer
        assert pdf.inspect_pdf_in_checker(shapes.scanned_pdf(2)) == ()
    finally:
        pdf._discard_pool(pdf._checker_pool())


def test_a_broken_pool_starts_no_checker():
    """A start asked of a pool already marked broken (its manager thread marks it between
    a submit's check and the start) would make a checker nothing ever ends."""
    pool = _pool()
    try:
        pool._broken = "a checker died"
        pool._spawn_process()
        assert pool._processes == {}
    finally:
        pool.shutdown(wait=False)
