"""The PDF checkers end with the web process that started the pool (triage.evidence.pdf
`_end_with`), whatever happened to the pool before: checkers replaced after
`_CHECKS_PER_CHECKER` checks, a checker killed by its CPU limit and the pool rebuilt, many
checks at once. The address-space limit still refuses a PDF that needs too much memory,
and still lets an ordinary PDF through."""

from __future__ import annotations

import signal
import sys

import pytest

from tests.evidence.processes import alive, end_and_wait, start_owner

STARTER = """
import os
import sys
import multiprocessing.forkserver as forkserver
from concurrent.futures import ThreadPoolExecutor
from tests.evidence import shapes
from triage.evidence import pdf

pdf._CHECKS_PER_CHECKER = 2  # checkers replaced often
seen = set()


def children():
    server = forkserver._forkserver._forkserver_pid
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == server and stat[0] != "Z":
                seen.add(int(entry))


ordinary = shapes.scanned_pdf(2)
for _ in range(7):  # more checks than a checker lives for
    assert pdf.inspect_pdf_in_checker(ordinary) == ()
    children()

too_big = shapes.object_stream_pdf([b"(", *[b"A" * 1_000_000] * 400, b")"])
try:
    pdf.inspect_pdf_in_checker(too_big)
except pdf.PdfTooComplex:
    print("memory: refused", flush=True)
else:
    print("memory: accepted", flush=True)
children()
spin = b"[" + b"[0]" * 1_600_000 + b"]"
spin_pdf = shapes.raw_pdf(b"<</Type/Catalog/Pages 2 0 R>>",
                          b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
                          b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 9 9]/Resources<<>>>>",
                          spin)
try:
    pdf.inspect_pdf_in_checker(spin_pdf)
except pdf.PdfTooComplex:
    pass
children()
pdf._discard_pool(pdf._checker_pool())
pdf._CHECKS_PER_CHECKER = 200
with ThreadPoolExecutor(8) as threads:  # past the replacement at 200, many at once
    answers = list(threads.map(pdf.inspect_pdf_in_checker, [ordinary] * 600))
assert answers == [()] * 600
children()
print(forkserver._forkserver._forkserver_pid, " ".join(map(str, sorted(seen))), flush=True)
sys.stdin.read()  # until killed
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pidfd is Linux's")
# SIGKILL only: SIGTERM ends the owner the same way for its checkers
# (tests/evidence/test_checker_orphans.py has both).
@pytest.mark.parametrize("how", [signal.SIGKILL])
def test_every_checker_and_the_forkserver_end_with_the_pools_owner(how):
    starter = start_owner(STARTER)
    try:
        memory = starter.stdout.readline().strip()
        line = starter.stdout.readline().split()
        assert memory == "memory: refused", memory
        assert line, "the starter failed"
        server, *checkers = (int(pid) for pid in line)
        assert len(checkers) >= 4  # replaced checkers and a rebuilt pool were seen
        assert alive(server)
        assert end_and_wait(starter, how, [server, *checkers]) == []
    finally:
        starter.kill()
        starter.wait(10)


def test_checks_that_time_out_together_are_each_refused_not_crashed(monkeypatch):
    """Two checks waiting on one pool past the wall-clock bound: the first discards the
    pool (`_discard_pool`, which shuts it down), the second discards the same pool again.
    Each should end as "too costly to check" (`PdfTooComplex`) after its retry; the second
    must not crash on the shut-down pool."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.evidence import shapes
    from triage.evidence import pdf

    ordinary = shapes.scanned_pdf(2)
    monkeypatch.setattr(pdf, "_CHECK_WALL_SECONDS", 0.000001)

    def one(_: int) -> str:
        try:
            pdf.inspect_pdf_in_checker(ordinary)
        except pdf.PdfTooComplex:
            return "refused"
        except Exception as exc:
            return repr(exc)
        return "answered"

    try:
        with ThreadPoolExecutor(6) as threads:
            outcomes = list(threads.map(one, range(6)))
    finally:
        monkeypatch.undo()
        pool = pdf._pool
        if pool is not None:
            pdf._discard_pool(pool)
    assert [o for o in outcomes if o not in ("refused", "answered")] == []
