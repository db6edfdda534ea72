"""`python -m benchmarks` (`make bench`): run the benchmarks and print one table.

Progress goes to stderr; stdout gets the machine, then the table (Markdown, as it goes
into benchmarks/README.md). Every figure sits next to a baseline measured in the same run
on the same server. Needs PostgreSQL (default: postgres@127.0.0.1:5432, trust auth) for
the million-ticket queue and the upload database; it creates and drops its own databases
(`triage_bench`, `triage_bench_upload`) and never touches any other.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import servers
from benchmarks.report import Row, progress, table

BENCHMARKS = ("upload", "memory", "queue", "evaluation", "intake", "analysis_cost")
# Run only when asked (`python -m benchmarks peer`, `--only peer`, `make bench-peer`): it
# installs django-helpdesk into benchmarks/.peer-venv on first use.
ON_REQUEST = ("peer",)
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["peer"]:  # `python -m benchmarks peer [options]`
        argv = ["--only", "peer", *argv[1:]]
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS + ON_REQUEST,
        help="run only this benchmark (repeat for several); `peer` runs only when named",
    )
    p.add_argument(
        "--peer-db",
        choices=("postgres", "sqlite"),
        default="postgres",
        help="database kind for both products in the peer comparison (default postgres)",
    )
    p.add_argument(
        "--peer-flow",
        choices=("pages", "api", "one-request"),
        default="pages",
        help="how our side files the ticket: its pages with CSRF (default), the JSON API, or "
        "the probe of benchmarks/one_request.py (form and files in one POST; not a page)",
    )
    p.add_argument(
        "--peer-rounds", type=int, default=7, help="interleaved rounds in the peer comparison"
    )
    p.add_argument("--rounds", type=int, default=30, help="upload rounds per store (default 30)")
    p.add_argument(
        "--queue-calls",
        type=int,
        default=200,
        help="calls per queue endpoint (default 200; each phase stops at 90 s)",
    )
    p.add_argument(
        "--tickets-sqlite",
        type=int,
        default=100_000,
        help="tickets seeded for the SQLite queue run (default 100,000; 0 skips it)",
    )
    p.add_argument(
        "--tickets-postgres",
        type=int,
        default=1_000_000,
        help="tickets seeded for the PostgreSQL queue run (default 1,000,000; 0 skips)",
    )
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="admin connection used to create and drop the benchmark databases",
    )
    p.add_argument(
        "--upload-db",
        choices=("postgres", "sqlite"),
        default="postgres",
        help="database behind the upload and memory runs (default postgres)",
    )
    p.add_argument(
        "--keep-postgres",
        action="store_true",
        help="keep the benchmark databases afterwards (to inspect them)",
    )
    p.add_argument(
        "--keep-workdir",
        action="store_true",
        help="keep the work folder (logs, query plans, stores) afterwards",
    )
    p.add_argument(
        "--profile",
        choices=("upload", "queue"),
        help="instead of the table: profile the upload path, or the queue on "
        "PostgreSQL with --tickets-postgres tickets, and print where the time "
        "goes",
    )
    return p.parse_args(argv)


def machine() -> str:
    mem = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"machine: {os.cpu_count()} CPUs, {mem / 2**30:.1f} GiB, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}; "
        f"load average {load:.2f} at start; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


@contextlib.contextmanager
def upload_database(args: argparse.Namespace):
    if args.upload_db == "sqlite":
        yield None, "SQLite"
        return
    if not servers.postgres_reachable(args.postgres_url):
        raise SystemExit(
            f"PostgreSQL is not reachable at {args.postgres_url}: start it, pass "
            "--postgres-url, or use --upload-db sqlite"
        )
    with servers.postgres_database(
        args.postgres_url, servers.database_name("upload"), keep=args.keep_postgres
    ) as url:
        yield url, "PostgreSQL"


def analysis_cost_rows(args: argparse.Namespace, workdir: Path) -> list[Row]:
    """Issue 13 part 4 on its own database (`<prefix>_analysis`), or SQLite with
    `--upload-db sqlite`; `--rounds` is capped at 15 (each round is 6 uploads of 5 MB)."""
    from benchmarks import analysis_cost

    rounds = min(args.rounds, 15)
    if args.upload_db == "sqlite":
        return analysis_cost.run(workdir, database_url=None, rounds=rounds)
    if not servers.postgres_reachable(args.postgres_url):
        raise SystemExit(f"PostgreSQL is not reachable at {args.postgres_url}")
    name = servers.database_name("analysis")
    with servers.postgres_database(args.postgres_url, name, keep=args.keep_postgres) as url:
        return analysis_cost.run(workdir, database_url=url, db_label="PostgreSQL", rounds=rounds)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = args.only or list(BENCHMARKS)  # `peer` only when named
    workdir = Path(tempfile.mkdtemp(prefix="triage-bench-"))
    progress(f"work folder {workdir}")
    header = machine()
    started = time.monotonic()
    rows: list[Row] = []
    try:
        if args.profile == "upload":
            from benchmarks import profiling

            with upload_database(args) as (url, _):
                profiling.run_upload(workdir, rounds=min(args.rounds, 10), database_url=url)
            return 0
        if args.profile == "queue":
            from benchmarks import profiling

            profiling.run_queue(
                workdir,
                tickets=args.tickets_postgres,
                calls=min(args.queue_calls, 50),
                admin_url=args.postgres_url,
                keep=args.keep_postgres,
            )
            return 0
        if "upload" in chosen or "memory" in chosen:
            with upload_database(args) as (url, label):
                if "upload" in chosen:
                    from benchmarks import upload

                    rows += upload.run(
                        workdir, rounds=args.rounds, database_url=url, db_label=label
                    )
                if "memory" in chosen:
                    from benchmarks import memory

                    rows += memory.run(workdir, database_url=url, db_label=label)
        if "queue" in chosen:
            from benchmarks import queue

            rows += queue.run(
                workdir,
                sqlite_tickets=args.tickets_sqlite,
                postgres_tickets=args.tickets_postgres,
                calls=args.queue_calls,
                postgres_admin_url=args.postgres_url,
                keep_postgres=args.keep_postgres,
            )
        if "peer" in chosen:
            from benchmarks import peer

            if args.peer_db == "postgres" and not servers.postgres_reachable(args.postgres_url):
                raise SystemExit(f"PostgreSQL is not reachable at {args.postgres_url}")
            rows += peer.run(
                workdir,
                postgres_admin_url=args.postgres_url if args.peer_db == "postgres" else None,
                rounds=args.peer_rounds,
                flow=args.peer_flow,
                keep_postgres=args.keep_postgres,
            )
        if "evaluation" in chosen:
            from benchmarks import evaluation

            rows += evaluation.run()
        if "intake" in chosen:
            from benchmarks import intake

            rows += intake.run()
        if "analysis_cost" in chosen:
            rows += analysis_cost_rows(args, workdir)
    finally:
        if args.keep_workdir:
            progress(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    end_load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{header}; load average {end_load:.2f} at the end")
    print(
        f"command: python -m benchmarks {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip()
    )
    print(f"took {time.monotonic() - started:.0f} s\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
