"""Many threads checking PDFs at once while the wall-clock bound flips between tiny and
normal, the forkserver killed from outside, and a costly PDF next to ordinary ones
(triage.evidence.pdf `_submit`, `_discard_pool`, `_CheckerPool`)."""

from __future__ import annotations

import multiprocessing.forkserver as forkserver
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.evidence import shapes
from tests.evidence.processes import still_alive
from triage.evidence import pdf

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")

HUNT = Path("/work/shared/hunt")
VERDICTS = (pdf.PdfPasswordProtected, pdf.PdfDamaged, pdf.PdfTooComplex)


def _children_of(parent: int | None) -> list[int]:
    found = []
    if parent is None:
        return found
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == parent and stat[0] != "Z":
                found.append(int(entry))
    return found


def _samples() -> list[bytes]:
    out = [shapes.scanned_pdf(2), shapes.statement_pdf(3), shapes.with_page_open_script()]
    for name in (
        "scanned_id_3_pages.pdf",
        "statement_userpw_aes256.pdf",
        "invoice_js_pseudo_encrypted.pdf",
        "truncated_half.pdf",
    ):
        if (HUNT / name).exists():
            out.append((HUNT / name).read_bytes())
    return out


def _run_threads(work, count: int, deadline: float) -> tuple[list, list[str]]:
    outcomes: list = []
    lock = threading.Lock()

    def body(n: int) -> None:
        for item in work(n):
            with lock:
                outcomes.append(item)

    threads = [threading.Thread(target=body, args=(n,), daemon=True) for n in range(count)]
    for t in threads:
        t.start()
    end = time.monotonic() + deadline
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    hung = [t.name for t in threads if t.is_alive()]
    return outcomes, hung


def _one(check, data: bytes) -> str:
    try:
        check(data)
    except VERDICTS as exc:
        return type(exc).__name__
    except BaseException as exc:  # a 5xx in the product
        return f"ESCAPED {exc!r}"
    return "answered"


@pytest.fixture
def fresh_pool():
    if pdf._pool is not None:
        pdf._discard_pool(pdf._pool)
    yield
    if pdf._pool is not None:
        pdf._discard_pool(pdf._pool)


def test_eight_threads_with_timeouts_flipping_all_return_and_leave_no_checker(
    monkeypatch, fresh_pool
):
    samples = _samples()
    stop = threading.Event()
    servers: set[int] = set()

    def flipper() -> None:
        tiny = True
        while not stop.is_set():
            monkeypatch.setattr(pdf, "_CHECK_WALL_SECONDS", 1e-6 if tiny else 10.0)
            tiny = not tiny
            if forkserver._forkserver._forkserver_pid:
                servers.add(forkserver._forkserver._forkserver_pid)
            time.sleep(0.03)

    def work(n: int):
        for i in range(6):
            check = pdf.inspect_pdf if (n + i) % 3 == 0 else pdf.inspect_pdf_in_checker
            yield _one(check, samples[(n + i) % len(samples)])

    flip = threading.Thread(target=flipper, daemon=True)
    flip.start()
    try:
        outcomes, hung = _run_threads(work, 8, 20)
    finally:
        stop.set()
        flip.join(2)
        monkeypatch.setattr(pdf, "_CHECK_WALL_SECONDS", 10.0)
    assert hung == [], f"threads still checking after 20 s: {hung}"
    assert [o for o in outcomes if o.startswith("ESCAPED")] == []
    assert len(outcomes) == 48
    # The pool's teardown: after the current pool is discarded no checker remains.
    if pdf._pool is not None:
        pdf._discard_pool(pdf._pool)
    left = [pid for server in servers for pid in _children_of(server)]
    assert still_alive(left, 5) == []
    # And the machinery still answers afterwards.
    assert pdf.inspect_pdf_in_checker(shapes.scanned_pdf(1)) == ()


def test_a_check_right_after_the_forkserver_was_killed_gets_an_answer(fresh_pool):
    ordinary = shapes.scanned_pdf(1)
    assert pdf.inspect_pdf_in_checker(ordinary) == ()  # forkserver running
    server = forkserver._forkserver._forkserver_pid
    assert server
    pdf._discard_pool(pdf._pool)  # the next check must start new checkers
    os.kill(server, signal.SIGKILL)
    time.sleep(0.2)
    outcomes, hung = _run_threads(lambda n: [_one(pdf.inspect_pdf_in_checker, ordinary)], 4, 20)
    assert hung == []
    assert outcomes == ["answered"] * 4


def test_a_check_while_the_pools_checkers_outlive_a_killed_forkserver(fresh_pool, monkeypatch):
    """The forkserver killed while the pool's checkers live on: when a checker is replaced
    (after _CHECKS_PER_CHECKER checks) a new one must still start."""
    monkeypatch.setattr(pdf, "_CHECKS_PER_CHECKER", 2)
    ordinary = shapes.scanned_pdf(1)
    assert pdf.inspect_pdf_in_checker(ordinary) == ()
    os.kill(forkserver._forkserver._forkserver_pid, signal.SIGKILL)
    outcomes, hung = _run_threads(
        lambda n: [_one(pdf.inspect_pdf_in_checker, ordinary) for _ in range(4)], 3, 20
    )
    assert hung == []
    assert outcomes == ["answered"] * 12


def test_ordinary_pdfs_next_to_a_costly_one_are_answered(fresh_pool):
    """The retry comment: 'one retry on a fresh pool lets those others through, while the
    costly PDF breaks the fresh pool too and is refused'. Ordinary PDFs checked at the
    same time as a PDF that hits the CPU limit must get their own answer."""
    ordinary = shapes.scanned_pdf(1)
    spin = b"[" + b"[0]" * 1_600_000 + b"]"
    spin_pdf = shapes.raw_pdf(
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 9 9]/Resources<<>>>>",
        spin,
    )

    def work(n: int):
        if n == 0:
            for _ in range(2):
                yield ("costly", _one(pdf.inspect_pdf_in_checker, spin_pdf))
        else:
            for _ in range(8):
                yield ("ordinary", _one(pdf.inspect_pdf_in_checker, ordinary))
                time.sleep(0.02)

    outcomes, hung = _run_threads(work, 4, 25)
    assert hung == []
    assert ("costly", "PdfTooComplex") in outcomes
    assert [o for o in outcomes if o[0] == "ordinary" and o[1] != "answered"] == []
