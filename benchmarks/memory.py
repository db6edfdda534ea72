"""A worker's peak RSS during 10 concurrent 5 MiB uploads, against its idle RSS.

One gunicorn worker with 10 threads, so all ten uploads are inside the same process at
once. Warm-up is one ordinary 5 MiB upload (libmagic's database, the store's client, the
ORM's caches are loaded). Then the kernel's high-water mark is reset (`clear_refs` 5),
the idle RSS read, ten threads released together, and VmHWM read afterwards: the peak
the kernel saw, not a sample that might fall between two polls.

5 MiB is 5,242,880 bytes: the largest file the service accepts.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import requests

from benchmarks import servers
from benchmarks.report import MiB, Row, mib, progress, times
from benchmarks.upload import Body, bare_upload, bodies, create_ticket, upload

CONCURRENT = 10
FILE_SIZE = 5 * MiB
TARGET = 2.0  # growth per concurrent upload, in file sizes


def status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid`, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _poll_peak(pid: int, stop: threading.Event, seen: list[int]) -> None:
    # Fallback where clear_refs is refused: poll VmRSS every millisecond or so.
    while not stop.is_set():
        seen.append(status(pid)["VmRSS"])
        time.sleep(0.001)


def concurrent_uploads(url: str, body: Body, bare: bool) -> None:
    """Ten uploads released together, each on its own connection and ticket."""
    tickets = []
    if not bare:
        with requests.Session() as s:
            tickets = [create_ticket(s, url) for _ in range(CONCURRENT)]
    barrier = threading.Barrier(CONCURRENT)
    errors: list[BaseException] = []

    def send(i: int) -> None:
        try:
            with requests.Session() as s:
                barrier.wait(timeout=30)
                if bare:
                    bare_upload(s, url, body)
                else:
                    upload(s, url, *tickets[i], body)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(CONCURRENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if errors:
        raise RuntimeError(f"{len(errors)} of the concurrent uploads failed: {errors[0]}")


def measure(url: str, pid: int, body: Body, bare: bool) -> tuple[int, int]:
    """(idle RSS after warm-up, peak RSS during the ten uploads) of worker `pid`."""
    with requests.Session() as s:  # warm-up: one upload of the same kind
        if bare:
            bare_upload(s, url, body)
        else:
            upload(s, url, *create_ticket(s, url), body)
    time.sleep(0.5)
    exact = reset_peak(pid)
    idle = status(pid)["VmRSS"]
    stop, seen = threading.Event(), [idle]
    poller = threading.Thread(target=_poll_peak, args=(pid, stop, seen))
    if not exact:
        poller.start()
    try:
        concurrent_uploads(url, body, bare)
    finally:
        stop.set()
        if poller.is_alive():
            poller.join(timeout=5)
    peak = status(pid)["VmHWM"] if exact else max(seen)
    return idle, peak


def row(label: str, idle: int, peak: int, target: bool) -> Row:
    per_upload = (peak - idle) / CONCURRENT
    return Row(
        label,
        f"peak {mib(peak)}: +{mib(per_upload)} per upload",
        f"idle {mib(idle)}",
        f"{times(per_upload / FILE_SIZE)} file size",
        f"≤ {TARGET:.1f}x file size" if target else "context",
        per_upload <= TARGET * FILE_SIZE if target else None,
    )


def run(workdir: Path, *, database_url: str | None = None, db_label: str = "SQLite") -> list[Row]:
    body = next(b for b in bodies(FILE_SIZE) if b.material == "passport")
    rows = []
    with servers.moto_s3(workdir) as endpoint:
        for store, bare in (("local", False), ("s3", False), ("local", True)):
            name = f"memory-{store}{'-bare' if bare else ''}"
            db = database_url or servers.sqlite_url(workdir, name)
            env = servers.app_env(
                workdir / name, db, store, endpoint, workers=1, threads=CONCURRENT
            )
            servers.migrate(env)
            # A fresh server each time: one measurement must not inherit another's heap.
            with servers.gunicorn(env, workdir, name) as app:
                (pid,) = app.worker_pids()
                what = "bare endpoint" if bare else "upload path"
                progress(f"worker RSS, {what}, {store} store: {CONCURRENT} x 5 MiB at once")
                idle, peak = measure(app.url, pid, body, bare)
            label = (
                f"worker RSS, {CONCURRENT} concurrent 5 MiB uploads, {store} store, {db_label}"
                if not bare
                else f"  same, bare endpoint, {store} store"
            )
            rows.append(row(label, idle, peak, target=not bare))
    return rows
