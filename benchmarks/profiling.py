"""Where the time goes: `python -m benchmarks --profile upload|queue` (not in the table).

Runs a benchmark against gunicorn serving `benchmarks.profiled:app`, which writes one
cProfile file per request, then sums the profiles per endpoint and prints, per request,
the inclusive time of the functions that make up the path. cProfile slows Python code
down (C code such as hashing, libmagic, fsync and waiting on a socket much less), so
read the shares, not the absolute figures.
"""

from __future__ import annotations

import pstats
from collections.abc import Iterable, Sequence
from pathlib import Path

from benchmarks import queue, servers, upload
from benchmarks.report import progress

Part = tuple[str, str, str]  # label, file suffix (or a built-in's whole name), function

WHOLE: Part = ("whole request (WSGI app)", "flask/app.py", "wsgi_app")
DATABASE: tuple[Part, ...] = (
    ("SQL statements (do_execute)", "sqlalchemy/engine/default.py", "do_execute"),
    ("COMMIT itself (do_commit)", "sqlalchemy/engine/default.py", "do_commit"),
    ("session flush (ORM)", "sqlalchemy/orm/session.py", "flush"),
    ("session commit (ORM)", "sqlalchemy/orm/session.py", "commit"),
)
UPLOAD: tuple[Part, ...] = (
    WHOLE,
    ("multipart parsing (werkzeug)", "werkzeug/formparser.py", "parse"),
    ("customer token lookup", "triage/tickets/operations.py", "ticket_for_code"),
    ("add_evidence (all of it)", "triage/evidence/operations.py", "add_evidence"),
    ("  read_limited", "triage/evidence/checks.py", "read_limited"),
    ("  check_upload (all checks)", "triage/evidence/checks.py", "check_upload"),
    ("    libmagic sniff", "triage/evidence/checks.py", "_sniff"),
    ("    inspect_pdf (qpdf)", "triage/evidence/pdf.py", "inspect_pdf"),
    ("    inspect_image (Pillow)", "triage/evidence/images.py", "inspect_image"),
    ("    sha256 (check and store)", "{built-in method _hashlib.openssl_sha256}", ""),
    ("  ticket limits query", "triage/evidence/operations.py", "_check_ticket_limits"),
    ("  store.save (local)", "storage/local.py", "save"),
    ("  store.save (s3)", "storage/s3.py", "save"),
    ("    fsync", "{built-in method posix.fsync}", ""),
    ("  history record", "triage/history/models.py", "record"),
    *DATABASE,
    ("evidence_json", "triage/tickets/serialize.py", "evidence_json"),
    ("ticket_json", "triage/tickets/serialize.py", "ticket_json"),
    ("create_ticket", "triage/tickets/operations.py", "create_ticket"),
    ("bare endpoint", "triage/bench.py", "bare_upload"),
)
QUEUE: tuple[Part, ...] = (
    WHOLE,
    ("reviewer token lookup", "triage/api/__init__.py", "reviewer_for_token"),
    ("queue()", "triage/review/queue.py", "queue"),
    ("  queue_counts()", "triage/review/queue.py", "queue_counts"),
    ("queue_item_json", "triage/review/queue.py", "queue_item_json"),
    ("claim_next()", "triage/review/operations/leases.py", "claim_next"),
    (
        "  the claim statement (PostgreSQL)",
        "triage/review/operations/leases.py",
        "_claim_in_one_statement",
    ),
    ("  loading its rows", "triage/review/operations/leases.py", "_as_loaded"),
    (
        "lapse_expired_claims() (SQLite)",
        "triage/review/operations/leases.py",
        "lapse_expired_claims",
    ),
    ("  _take (UPDATE, SQLite)", "triage/review/operations/leases.py", "_take"),
    ("review_ticket_json", "triage/review/serialize.py", "review_ticket_json"),
    ("  ticket_state", "triage/tickets/checklist.py", "ticket_state"),
    *DATABASE,
    ("DB round trip endpoint", "triage/bench.py", "database_round_trip"),
)


def _inclusive(stats: pstats.Stats, suffix: str, name: str) -> float:
    """Inclusive seconds of the function matching file `suffix` and `name`.

    Where several match (werkzeug has two `parse` in formparser.py, one calling the
    other), the outermost, i.e. the largest, counts: adding them would count twice.
    """
    best = 0.0
    for (filename, _line, function), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        if name:
            if filename.endswith(suffix) and function == name:
                best = max(best, ct)
        elif function == suffix:  # a built-in: cProfile puts its whole name in `function`
            best = max(best, ct)
    return best


def breakdown(files: Iterable[Path], parts: Sequence[Part]) -> tuple[int, list[tuple[str, float]]]:
    files = sorted(files)
    if not files:
        return 0, []
    stats = pstats.Stats(*(str(f) for f in files))
    n = len(files)
    found = []
    for label, suffix, name in parts:
        seconds = _inclusive(stats, suffix, name)
        if seconds:
            found.append((label, seconds / n))
    return n, found


def print_breakdown(title: str, files: Iterable[Path], parts: Sequence[Part]) -> None:
    n, found = breakdown(files, parts)
    print(f"\n{title} ({n} requests, profiled; ms per request, share of the whole)")
    if not found:
        print("  (no profiles)")
        return
    whole = found[0][1]
    for label, seconds in found:
        print(f"  {label:<36} {seconds * 1000:8.1f} ms  {seconds / whole:6.1%}")


def _profiled_env(
    workdir: Path, name: str, database_url: str, store: str, endpoint: str | None
) -> tuple[dict[str, str], Path]:
    profiles = workdir / name / "profiles"
    profiles.mkdir(parents=True)
    env = servers.app_env(workdir / name, database_url, store, endpoint, workers=1, threads=4)
    env["BENCH_PROFILE_DIR"] = str(profiles)
    servers.migrate(env)
    return env, profiles


def run_upload(workdir: Path, *, rounds: int = 10, database_url: str | None = None) -> None:
    files = upload.bodies()
    with servers.moto_s3(workdir) as endpoint:
        for store in ("local", "s3"):
            name = f"profile-{store}"
            env, profiles = _profiled_env(
                workdir, name, database_url or servers.sqlite_url(workdir, name), store, endpoint
            )
            with servers.gunicorn(env, workdir, name, "benchmarks.profiled:app") as app:
                progress(f"profiling the upload path on the {store} store: {rounds} rounds")
                upload.measure(app.url, files, rounds, 1, 300)
            print_breakdown(
                f"upload, {store} store: POST /api/v1/tickets/<ref>/evidence",
                profiles.glob("POST.api.v1.tickets.*.evidence.*.prof"),
                UPLOAD,
            )
            print_breakdown(
                f"bare upload, {store} store: POST /api/v1/bench/bare-upload",
                profiles.glob("POST.api.v1.bench.bare-upload.*.prof"),
                UPLOAD,
            )
            print_breakdown(
                f"create ticket, {store} store: POST /api/v1/tickets",
                [
                    p
                    for p in profiles.glob("POST.api.v1.tickets.*.prof")
                    if ".evidence." not in p.name
                ],
                UPLOAD,
            )


def run_queue(
    workdir: Path, *, tickets: int, calls: int, admin_url: str, keep: bool = False
) -> None:
    with servers.postgres_database(admin_url, servers.database_name(), keep=keep) as url:
        env, profiles = _profiled_env(workdir, "profile-queue", url, "local", None)
        progress(f"profiling the queue on PostgreSQL: seeding {tickets:,} tickets")
        queue.seed_postgres(url, tickets)
        with servers.gunicorn(env, workdir, "profile-queue", "benchmarks.profiled:app") as app:
            token = queue.reviewer_token(app)
            progress(f"  {calls} rounds")
            queue.measure(app.url, token, calls, 120)
    print_breakdown(
        f"claim, PostgreSQL, {tickets:,} tickets: POST /api/v1/queue/claim",
        profiles.glob("POST.api.v1.queue.claim.*.prof"),
        QUEUE,
    )
    print_breakdown(
        f"listing, PostgreSQL, {tickets:,} tickets: GET /api/v1/queue",
        profiles.glob("GET.api.v1.queue.*.prof"),
        QUEUE,
    )
    print_breakdown(
        "DB round trip: GET /api/v1/bench/db", profiles.glob("GET.api.v1.bench.db.*.prof"), QUEUE
    )
