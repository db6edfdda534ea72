"""The upload path over HTTP against bare endpoints that only write the bytes (and a row).

Real: `POST /api/v1/tickets`, then three `POST /api/v1/tickets/<ref>/evidence` of 1 MiB
each (a scan PDF, a PNG photo, another scan PDF), as a customer's client sends them.
Bare: three `POST /api/v1/bench/bare-upload` of the same multipart bodies, which read
the file, hash it and save it to the same store, with no checks and no database.
Bare + row: three `POST /api/v1/bench/bare-upload-row`, the same plus one INSERT of the
evidence row and a commit: the baseline for one upload.

Rate limiting is on (counted in Redis), each ticket's client at its own address.

Both run against one gunicorn (config/gunicorn.conf.py, one gthread worker) in the same
run, alternating round by round so drift on the machine hits both alike. Bodies are
encoded once beforehand: the client's cost of building multipart is not in either figure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from urllib3 import encode_multipart_formdata

from benchmarks import servers
from benchmarks.files import ticket_files
from benchmarks.report import MiB, Row, median, ms, p95, progress, times

TARGET = 1.3
FILE_SIZE = MiB
TICKET = {
    "type": "unfreeze",
    "account_type": "individual",
    "card_added": True,
    "account_name": "bench-tenant",
    "contact_email": "owner@example.com",
}


@dataclass(frozen=True)
class Body:
    material: str
    sha256: str
    content_type: str
    data: bytes = field(repr=False)


def bodies(size: int = FILE_SIZE) -> list[Body]:
    import hashlib

    out = []
    for material, filename, data in ticket_files(size):
        fields = {"material": material, "file": (filename, data, "application/octet-stream")}
        body, content_type = encode_multipart_formdata(fields)
        out.append(Body(material, hashlib.sha256(data).hexdigest(), content_type, body))
    return out


_addresses = iter(range(1, 1 << 24))


def new_address() -> str:
    """A client address of its own for each ticket (X-Forwarded-For; rate limits are on)."""
    n = next(_addresses)
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def create_ticket(session: requests.Session, url: str) -> tuple[str, str]:
    session.headers["X-Forwarded-For"] = new_address()
    response = session.post(f"{url}/api/v1/tickets", json=TICKET, timeout=30)
    if response.status_code != 201:
        raise RuntimeError(f"creating a ticket: {response.status_code} {response.text[:300]}")
    body = response.json()
    return body["reference"], body["access_token"]


def upload(session: requests.Session, url: str, reference: str, token: str, body: Body) -> None:
    response = session.post(
        f"{url}/api/v1/tickets/{reference}/evidence",
        data=body.data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": body.content_type},
        timeout=60,
    )
    if response.status_code != 201 or response.json()["sha256"] != body.sha256:
        raise RuntimeError(
            f"upload of {body.material}: {response.status_code} {response.text[:300]}"
        )


def bare_upload(session: requests.Session, url: str, body: Body) -> None:
    response = session.post(
        f"{url}/api/v1/bench/bare-upload",
        data=body.data,
        headers={"Content-Type": body.content_type},
        timeout=60,
    )
    if response.status_code != 201 or response.json()["sha256"] != body.sha256:
        raise RuntimeError(f"bare upload: {response.status_code} {response.text[:300]}")


def bare_row_upload(session: requests.Session, url: str, body: Body) -> None:
    response = session.post(
        f"{url}/api/v1/bench/bare-upload-row",
        data=body.data,
        headers={"Content-Type": body.content_type},
        timeout=60,
    )
    if response.status_code != 201 or response.json()["sha256"] != body.sha256:
        raise RuntimeError(f"bare upload with a row: {response.status_code} {response.text[:300]}")


def row_bodies(reference: str, size: int = FILE_SIZE) -> list[Body]:
    """The same files for the bare-with-a-row endpoint, naming the ticket to record them on."""
    import hashlib

    out = []
    for material, filename, data in ticket_files(size):
        fields = {"reference": reference, "file": (filename, data, "application/octet-stream")}
        body, content_type = encode_multipart_formdata(fields)
        out.append(Body(material, hashlib.sha256(data).hexdigest(), content_type, body))
    return out


@dataclass
class Samples:
    real: list[float] = field(default_factory=list)  # ticket + three uploads, seconds
    bare: list[float] = field(default_factory=list)  # three bare uploads
    real_upload: list[float] = field(default_factory=list)  # one upload of the real path
    bare_upload: list[float] = field(default_factory=list)
    row_upload: list[float] = field(default_factory=list)  # one bare upload + INSERT + commit
    create: list[float] = field(default_factory=list)


def real_round(session: requests.Session, url: str, files: list[Body], s: Samples | None) -> None:
    start = time.perf_counter()
    reference, token = create_ticket(session, url)
    created = time.perf_counter()
    singles = []
    for body in files:
        t = time.perf_counter()
        upload(session, url, reference, token, body)
        singles.append(time.perf_counter() - t)
    if s is not None:
        s.real.append(time.perf_counter() - start)
        s.create.append(created - start)
        s.real_upload.extend(singles)


def bare_round(session: requests.Session, url: str, files: list[Body], s: Samples | None) -> None:
    start = time.perf_counter()
    singles = []
    for body in files:
        t = time.perf_counter()
        bare_upload(session, url, body)
        singles.append(time.perf_counter() - t)
    if s is not None:
        s.bare.append(time.perf_counter() - start)
        s.bare_upload.extend(singles)


def row_round(session: requests.Session, url: str, files: list[Body], s: Samples | None) -> None:
    for body in files:
        t = time.perf_counter()
        bare_row_upload(session, url, body)
        if s is not None:
            s.row_upload.append(time.perf_counter() - t)


def measure(url: str, files: list[Body], rounds: int, warmup: int, budget: float) -> Samples:
    samples = Samples()
    deadline = time.monotonic() + budget
    with requests.Session() as session:
        reference, _ = create_ticket(session, url)
        rows = row_bodies(reference)
        for _ in range(warmup):
            real_round(session, url, files, None)
            bare_round(session, url, files, None)
            row_round(session, url, rows, None)
        for i in range(rounds):
            # Rotate which goes first, so none always follows another's cleanup.
            arms = [
                lambda s: real_round(session, url, files, s),
                lambda s: bare_round(session, url, files, s),
                lambda s: row_round(session, url, rows, s),
            ]
            for run in arms[i % 3 :] + arms[: i % 3]:
                run(samples)
            if time.monotonic() > deadline:
                progress(f"  time budget reached after {i + 1} rounds")
                break
    return samples


def rows_for(store: str, s: Samples, db_label: str = "SQLite") -> list[Row]:
    name = f"upload path, {store} store, {db_label}: ticket + 3 x 1 MiB"
    rows = []
    for label, stat in (("median", median), ("p95", p95)):
        real, bare = stat(s.real), stat(s.bare)
        rows.append(
            Row(
                name,
                f"{label} {ms(real)}",
                f"bare 3 x 1 MiB {label} {ms(bare)}",
                times(real / bare),
                f"≤ {TARGET:.2f}x",
                real / bare <= TARGET,
            )
        )
    for label, stat in (("median", median), ("p95", p95)):
        one_real, one_row = stat(s.real_upload), stat(s.row_upload)
        rows.append(
            Row(
                f"one 1 MiB upload, {store} store, {db_label} (n={len(s.real_upload)})",
                f"{label} {ms(one_real)}",
                f"bare + INSERT + commit {label} {ms(one_row)}",
                times(one_real / one_row),
                "context",
                None,
            )
        )
    one_real, one_bare = median(s.real_upload), median(s.bare_upload)
    rows.append(
        Row(
            f"  of which one 1 MiB upload, {store} (n={len(s.real_upload)})",
            f"median {ms(one_real)}",
            f"bare (no row) median {ms(one_bare)}",
            times(one_real / one_bare),
            "context",
            None,
        )
    )
    rows.append(
        Row(
            f"  of which creating the ticket, {store}",
            f"median {ms(median(s.create))}",
            "-",
            "-",
            "context",
            None,
        )
    )
    return rows


def run(
    workdir: Path,
    *,
    rounds: int = 30,
    warmup: int = 3,
    budget: float = 120.0,
    database_url: str | None = None,
    db_label: str = "SQLite",
) -> list[Row]:
    files = bodies()
    rows: list[Row] = []
    with servers.moto_s3(workdir) as endpoint:
        for store in ("local", "s3"):
            db = database_url or servers.sqlite_url(workdir, f"upload-{store}")
            env = servers.app_env(
                workdir / f"upload-{store}",
                db,
                store,
                endpoint,
                workers=1,
                threads=4,
                rate_limits=True,
            )
            servers.migrate(env)
            with servers.gunicorn(env, workdir, f"upload-{store}") as app:
                progress(f"upload path on the {store} store: {rounds} rounds")
                samples = measure(app.url, files, rounds, warmup, budget)
            rows += rows_for(store, samples, db_label)
    return rows
