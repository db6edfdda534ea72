"""What the evidence analysis costs (issue 13 part 4): the upload, and the wait for findings.

    .venv/bin/python -m benchmarks --only analysis_cost              # ~6 min
    .venv/bin/python -m benchmarks --only analysis_cost --rounds 6   # quicker

1. **Upload latency, analysis on against off.** Two gunicorn servers of the same app
   (config/gunicorn.conf.py, one gthread worker of 4 threads each, rate limiting on and
   counted in Redis, one database and one store), one with `EVIDENCE_ANALYSIS=true` (the
   upload stores `pending` and, after its commit, sends `triage.evidence.analyse` to the
   Redis broker) and one with `EVIDENCE_ANALYSIS=false`. Each round creates one ticket on
   each and uploads the same three 5 MB card photos, the arms alternating which goes
   first. **No worker runs during these rounds**: the claim is that the request path does
   not change, and a worker analysing on this 2-CPU machine would take CPU from whichever
   arm happened to run beside it; what the worker costs is measured by part 2. The queued
   jobs are discarded before part 2.
2. **Upload to findings.** The "on" server and a real worker, `celery -A wsgi.celery
   worker --concurrency=2` (as `make run` starts it, without `--beat`, whose periodic jobs
   are not part of this path) on the same Redis database. After each upload's 201 the
   client polls the customer's `GET /api/v1/tickets/<reference>` every POLL_SECONDS until
   that file says `analysis: done` (the page polls the same state, every 2 s): the time
   from the 201 to that answer. One customer at a time (the next upload only once the
   last one's findings are shown), then bursts of four customers uploading at once.

The 5 MB photo is a card drawn at 4000 x 3000 (tests/analysis/synthetic.py, as
benchmarks/analysis_calibration.py times it) with sensor noise, JPEG quality chosen to
land just under the 5 MiB upload limit; material `card_front`, so the worker runs
decode, quality, hash and Tesseract's card-number read: the costliest photo path.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from urllib3 import encode_multipart_formdata

from benchmarks import servers
from benchmarks.report import MiB, Row, median, ms, p95, progress, times

UPLOAD_TARGET = 1.05  # issue 13: "upload latency unchanged within 5%"
FINDINGS_TARGET_SECONDS = 10.0  # issue 13: p95 from upload to findings
POLL_SECONDS = 0.1
WAIT_FOR_FINDINGS = 120.0  # one upload's findings; past this the run stops with an error
PHOTOS = 6
FILES_PER_TICKET = 3
MATERIAL = "card_front"
TICKET = {
    "type": "unfreeze",
    "account_type": "individual",
    "card_added": True,
    "account_name": "bench-analysis",
    "contact_email": "owner@example.com",
}
# make run: `celery -A wsgi.celery worker --beat --loglevel=INFO --concurrency=2`.
WORKER_CONCURRENCY = 2


def five_megabyte_photo(rng: random.Random, limit: int = 5 * MiB - 64 * 1024) -> bytes:
    """A card photographed at 4000 x 3000 with sensor noise, as a JPEG just under `limit`."""
    from PIL import Image

    from tests.analysis import synthetic as S

    sample = S.card(rng)
    image = S.photographed(
        sample.image.resize((4000, 3000), Image.Resampling.BICUBIC), rng, noise=8.0
    )
    for quality in range(95, 74, -1):
        data = S.jpeg(image, quality=quality)
        if len(data) <= limit:
            return data
    return data


@dataclass(frozen=True)
class Body:
    data: bytes = field(repr=False)
    content_type: str


def bodies(count: int = PHOTOS, seed: int = 13) -> list[Body]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        photo = five_megabyte_photo(rng)
        fields = {"material": MATERIAL, "file": (f"card-{i}.jpg", photo, "image/jpeg")}
        body, content_type = encode_multipart_formdata(fields)
        out.append(Body(body, content_type))
    progress(
        f"{count} photos of {statistics.mean(len(b.data) for b in out) / MiB:.2f} MiB "
        "(multipart body) made"
    )
    return out


_addresses = iter(range(1, 1 << 24))
_address_lock = threading.Lock()


def new_address() -> str:
    """A client address of its own for each customer (rate limits are on, per address)."""
    with _address_lock:
        n = next(_addresses)
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


@dataclass
class Customer:
    session: requests.Session
    url: str
    reference: str
    token: str

    @classmethod
    def new(cls, url: str) -> Customer:
        session = requests.Session()
        session.headers["X-Forwarded-For"] = new_address()
        response = session.post(f"{url}/api/v1/tickets", json=TICKET, timeout=30)
        if response.status_code != 201:
            raise RuntimeError(f"creating a ticket: {response.status_code} {response.text[:300]}")
        body = response.json()
        return cls(session, url, body["reference"], body["access_token"])

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def upload(self, body: Body) -> tuple[str, float]:
        """(evidence id, seconds from sending to the 201)."""
        start = time.perf_counter()
        response = self.session.post(
            f"{self.url}/api/v1/tickets/{self.reference}/evidence",
            data=body.data,
            headers={**self.auth, "Content-Type": body.content_type},
            timeout=60,
        )
        took = time.perf_counter() - start
        if response.status_code != 201:
            raise RuntimeError(f"upload: {response.status_code} {response.text[:300]}")
        return response.json()["id"], took

    def wait_for_findings(self, evidence_id: str) -> float:
        """Seconds from now until the customer's JSON shows the file `analysis: done`."""
        start = time.perf_counter()
        deadline = time.monotonic() + WAIT_FOR_FINDINGS
        while True:
            response = self.session.get(
                f"{self.url}/api/v1/tickets/{self.reference}", headers=self.auth, timeout=30
            )
            if response.status_code != 200:
                raise RuntimeError(f"reading the ticket: {response.status_code}")
            (item,) = [e for e in response.json()["evidence"] if e["id"] == evidence_id]
            if item["analysis"] == "done":
                return time.perf_counter() - start
            if item["analysis"] != "pending":
                raise RuntimeError(f"analysis ended {item['analysis']!r}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no findings after {WAIT_FOR_FINDINGS:.0f} s")
            time.sleep(POLL_SECONDS)


# --- 1. upload latency, on against off ------------------------------------------------------


@dataclass
class Latency:
    on: list[float] = field(default_factory=list)  # seconds per upload
    off: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # per round: median on / median off


def upload_round(url: str, files: list[Body]) -> list[float]:
    customer = Customer.new(url)
    try:
        return [customer.upload(body)[1] for body in files]
    finally:
        customer.session.close()


def measure_latency(on: str, off: str, files: list[Body], rounds: int, warmup: int) -> Latency:
    result = Latency()
    for _ in range(warmup):
        upload_round(on, files[:FILES_PER_TICKET])
        upload_round(off, files[:FILES_PER_TICKET])
    for i in range(rounds):
        chosen = [files[(i + k) % len(files)] for k in range(FILES_PER_TICKET)]
        # Alternate which arm goes first, so neither always follows the other's writes.
        arms = [("on", on), ("off", off)]
        if i % 2:
            arms.reverse()
        seen: dict[str, list[float]] = {}
        for name, url in arms:
            seen[name] = upload_round(url, chosen)
        result.on += seen["on"]
        result.off += seen["off"]
        result.ratios.append(median(seen["on"]) / median(seen["off"]))
    return result


# --- 2. upload to findings, through a worker ------------------------------------------------


def start_worker(env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen, Path]:
    log = workdir / "celery-worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(servers.BIN / "celery"), "-A", "wsgi.celery", "worker",
             f"--concurrency={WORKER_CONCURRENCY}", "--loglevel=WARNING",
             "--without-mingle", "--without-gossip"],
            cwd=servers.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return proc, log


def one_customer(url: str, files: list[Body], count: int) -> list[float]:
    """`count` uploads, each waited for before the next; new ticket every third file."""
    out: list[float] = []
    customer: Customer | None = None
    for i in range(count):
        if i % FILES_PER_TICKET == 0:
            customer = Customer.new(url)
        assert customer is not None
        evidence_id, _ = customer.upload(files[i % len(files)])
        out.append(customer.wait_for_findings(evidence_id))
    return out


def _burst(url: str, chosen: list[Body]) -> list[float]:
    """One customer per file in `chosen`, all uploading at the same moment."""
    customers = [Customer.new(url) for _ in chosen]
    barrier = threading.Barrier(len(chosen))
    out: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(customer: Customer, body: Body) -> None:
        try:
            barrier.wait(timeout=30)
            evidence_id, _ = customer.upload(body)
            took = customer.wait_for_findings(evidence_id)
            with lock:
                out.append(took)
        except BaseException as exc:  # re-raised below, in the caller's thread
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=pair, daemon=True)
        for pair in zip(customers, chosen, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_FOR_FINDINGS + 60)
    if errors:
        raise RuntimeError(f"a customer of the burst: {errors[0]}") from errors[0]
    return out


def bursts(url: str, files: list[Body], count: int, width: int = 4) -> list[float]:
    """`count` bursts of `width` customers, each uploading one photo at the same moment;
    the next burst once every file of the last one shows its findings."""
    out: list[float] = []
    for b in range(count):
        out += _burst(url, [files[(b * width + k) % len(files)] for k in range(width)])
    return out


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (5 min {five:.2f})"


def spread(values: list[float]) -> str:
    if len(values) < 4:
        return ", ".join(f"{v:.2f}" for v in values)
    q1, _, q3 = statistics.quantiles(values, n=4)
    return f"{q1:.2f}-{q3:.2f}"


def run(
    workdir: Path,
    *,
    database_url: str | None,
    db_label: str = "SQLite",
    rounds: int = 15,
    warmup: int = 2,
    sequential: int = 30,
    burst_count: int = 8,
) -> list[Row]:
    files = bodies()
    database = database_url or servers.sqlite_url(workdir, "analysis-cost")
    base = dict(database_url=database, store="local", workers=1, threads=4)
    on_env = servers.app_env(workdir / "analysis", **base, rate_limits=True)
    off_env = servers.app_env(workdir / "analysis", **base, rate_limits=True)
    on_env["EVIDENCE_ANALYSIS"] = "true"
    off_env["EVIDENCE_ANALYSIS"] = "false"
    servers.migrate(on_env)
    rows: list[Row] = []
    with servers.gunicorn(on_env, workdir, "analysis-on") as on:
        with servers.gunicorn(off_env, workdir, "analysis-off") as off:
            progress(f"analysis cost: upload latency on/off, {rounds} rounds, load {load()}")
            load_before = load()
            latency = measure_latency(on.url, off.url, files, rounds, warmup)
            load_after = load()
        rows += latency_rows(latency, db_label, load_before, load_after)

        import redis

        # The "on" arm's jobs, never run: a worker would start on a backlog of them.
        redis.Redis.from_url(servers.REDIS_URL).flushdb()
        worker, log = start_worker(on_env, workdir)
        try:
            progress("analysis cost: worker warm-up (imports, Tesseract)")
            one_customer(on.url, files, 2)
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited:\n{log.read_text()[-3000:]}")
            progress(f"analysis cost: {sequential} uploads one at a time, load {load()}")
            load_before = load()
            single = one_customer(on.url, files, sequential)
            progress(f"analysis cost: {burst_count} bursts of 4 customers, load {load()}")
            burst = bursts(on.url, files, burst_count)
            load_after = load()
        finally:
            servers.stop(worker)
    rows += findings_rows(single, burst, load_before, load_after)
    return rows


def latency_rows(s: Latency, db_label: str, before: str, after: str) -> list[Row]:
    name = f"upload 5 MB photo, analysis on vs off, {db_label} (n={len(s.on)})"
    ratio = median(s.on) / median(s.off)
    return [
        Row(
            name,
            f"median {ms(median(s.on))}",
            f"analysis off median {ms(median(s.off))}",
            f"{times(ratio)} (per round {times(median(s.ratios))}, quartiles {spread(s.ratios)})",
            f"≤ {UPLOAD_TARGET:.2f}x",
            ratio <= UPLOAD_TARGET,
        ),
        Row(
            name,
            f"p95 {ms(p95(s.on))}",
            f"analysis off p95 {ms(p95(s.off))}",
            times(p95(s.on) / p95(s.off)),
            "context",
            None,
        ),
        Row(
            f"  load average during the {len(s.ratios)} rounds",
            f"{before} → {after}",
            "-",
            "-",
            "context",
            None,
        ),
    ]


def findings_rows(single: list[float], burst: list[float], before: str, after: str) -> list[Row]:
    rows = []
    for label, values in (
        ("one customer at a time", single),
        ("bursts of 4 customers", burst),
    ):
        name = f"upload to findings, 5 MB photo, {label} (n={len(values)})"
        rows.append(Row(name, f"median {median(values):.2f} s", "-", "-", "context", None))
        rows.append(
            Row(
                name,
                f"p95 {p95(values):.2f} s (max {max(values):.2f} s)",
                "-",
                "-",
                f"≤ {FINDINGS_TARGET_SECONDS:.0f} s",
                p95(values) <= FINDINGS_TARGET_SECONDS,
            )
        )
    rows.append(
        Row(f"  load average while findings were timed (worker concurrency "
            f"{WORKER_CONCURRENCY}, poll every {POLL_SECONDS * 1000:.0f} ms)",
            f"{before} → {after}", "-", "-", "context", None)
    )  # fmt: skip
    return rows
