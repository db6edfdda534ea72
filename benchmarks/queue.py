"""Queue listing and claim latency with 100,000 tickets on SQLite and 1,000,000 on PostgreSQL.

Seeding writes straight into `tickets` and `ticket_flags` after the real migrations:
PostgreSQL with one INSERT … SELECT over generate_series, SQLite with one executemany
in one transaction. Every seeded ticket waits for review (the worst case for the queue:
nothing is closed and out of the way), with priorities 10 % high, 70 % normal, 20 % low,
first submissions spread at random over 90 days, a third of them account changes, and
flags on some (incomplete 1 in 10, repeat_request 1 in 50, duplicate_evidence 1 in 100,
no_matching_rule 1 in 200).

Then, over HTTP against gunicorn with a reviewer's API token, round by round:
`GET /api/v1/bench/db` (one committed `SELECT 1` through the app: the baseline),
`GET /api/v1/queue?limit=50`, `GET /api/v1/queue?limit=50&flag=repeat_request` and
`POST /api/v1/queue/claim`. Before that, the SQL those endpoints run is captured inside
the app and explained against the seeded database, to show which indexes it uses.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from benchmarks import servers
from benchmarks.report import Row, median, ms, p95, progress, times

CLAIM_P95_TARGET = 0.020
FLAG = "repeat_request"
REVIEWER = "bench-reviewer@example.com"
FACTS = {
    "unfreeze": {
        "type": "unfreeze",
        "account_type": "individual",
        "card_added": True,
        "customer_type": None,
        "real_name_auth": None,
        "payments_made": False,
        "enterprise_in_china": None,
    },
    "account_change": {
        "type": "account_change",
        "account_type": "individual",
        "card_added": False,
        "customer_type": "direct",
        "real_name_auth": "completed",
        "payments_made": False,
        "enterprise_in_china": None,
    },
}
RULES = {"unfreeze": "unfreeze_card", "account_change": "direct_authenticated"}
# (flag, one ticket in every n carries it, offset)
FLAG_SHARES = (
    ("incomplete", 10, 1),
    ("repeat_request", 50, 2),
    ("duplicate_evidence", 100, 3),
    ("no_matching_rule", 200, 4),
)

# --- seeding ----------------------------------------------------------------------------------

PG_TICKETS = """
INSERT INTO tickets (id, reference, type, status, facts, outcome, rule, account_name,
    account_key, contact_email, information, access_token_hash, priority_rank, created_at,
    updated_at, first_submitted_at, submitted_at)
SELECT md5('bench-ticket-' || g), 'BN-' || lpad(g::text, 9, '0'),
    CASE WHEN g %% 3 = 0 THEN 'account_change' ELSE 'unfreeze' END,
    'awaiting_review',
    CASE WHEN g %% 3 = 0 THEN %(facts_change)s::json ELSE %(facts_unfreeze)s::json END,
    'checklist',
    CASE WHEN g %% 3 = 0 THEN %(rule_change)s ELSE %(rule_unfreeze)s END,
    'bench-tenant-' || (g %% 250000), 'bench-tenant-' || (g %% 250000), 'owner@example.com',
    '{}'::json, encode(sha256(('bench-code-' || g)::bytea), 'hex'),
    CASE WHEN r < 0.1 THEN 0 WHEN r < 0.8 THEN 1 ELSE 2 END,
    s - interval '1 hour', s, s, s
FROM (SELECT g, random() AS r, now() - random() * interval '90 days' AS s
      FROM generate_series(1, %(n)s) AS g) AS seed
"""
PG_FLAGS = """
INSERT INTO ticket_flags (ticket_id, flag)
SELECT md5('bench-ticket-' || g), %(flag)s FROM generate_series(1, %(n)s) AS g
WHERE g %% %(every)s = %(offset)s
"""


def seed_postgres(url: str, n: int) -> float:
    import psycopg

    start = time.perf_counter()
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain) as conn:
        conn.execute("SELECT setseed(0.42)")
        conn.execute(
            PG_TICKETS,
            {
                "n": n,
                "facts_change": json.dumps(FACTS["account_change"]),
                "facts_unfreeze": json.dumps(FACTS["unfreeze"]),
                "rule_change": RULES["account_change"],
                "rule_unfreeze": RULES["unfreeze"],
            },
        )
        for flag, every, offset in FLAG_SHARES:
            conn.execute(PG_FLAGS, {"flag": flag, "n": n, "every": every, "offset": offset})
        conn.commit()
        conn.autocommit = True
        # What autovacuum would have done long before a real table got this big.
        conn.execute("VACUUM ANALYZE tickets")
        conn.execute("VACUUM ANALYZE ticket_flags")
    return time.perf_counter() - start


def _sqlite_time(moment: datetime) -> str:
    # SQLAlchemy's storage format for DateTime on SQLite (UTC, no offset).
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def seed_sqlite(path: Path, n: int) -> float:
    import hashlib

    start = time.perf_counter()
    rng = random.Random(42)
    now = datetime.now(UTC)
    facts = {kind: json.dumps(value) for kind, value in FACTS.items()}

    def rows():
        for g in range(1, n + 1):
            kind = "account_change" if g % 3 == 0 else "unfreeze"
            r = rng.random()
            submitted = now - timedelta(seconds=rng.random() * 90 * 86400)
            s = _sqlite_time(submitted)
            tenant = f"bench-tenant-{g % 250000}"
            yield (
                hashlib.md5(f"bench-ticket-{g}".encode()).hexdigest(),
                f"BN-{g:09d}",
                kind,
                "awaiting_review",
                facts[kind],
                "checklist",
                RULES[kind],
                tenant,
                tenant,
                "owner@example.com",
                "{}",
                hashlib.sha256(f"bench-code-{g}".encode()).hexdigest(),
                0 if r < 0.1 else 1 if r < 0.8 else 2,
                _sqlite_time(submitted - timedelta(hours=1)),
                s,
                s,
                s,
            )

    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO tickets (id, reference, type, status, facts, outcome, rule, "
                "account_name, account_key, contact_email, information, access_token_hash, "
                "priority_rank, created_at, updated_at, first_submitted_at, submitted_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows(),
            )
            for flag, every, offset in FLAG_SHARES:
                conn.executemany(
                    "INSERT INTO ticket_flags (ticket_id, flag) VALUES (?, ?)",
                    (
                        (hashlib.md5(f"bench-ticket-{g}".encode()).hexdigest(), flag)
                        for g in range(offset, n + 1, every)
                    ),
                )
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return time.perf_counter() - start


# --- query plans ------------------------------------------------------------------------------


@dataclass
class Plan:
    name: str
    sql: str
    plan: str


def capture_plans(env: dict[str, str]) -> list[Plan]:
    """Run the listing and a claim inside the app, record their SELECTs, explain, roll back."""
    import os

    from sqlalchemy import event

    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if not k.startswith("GUNICORN_")})
    try:
        from triage.app import create_app
        from triage.extensions import db
        from triage.review import operations as ops
        from triage.review.queue import queue
        from triage.reviewers.models import Reviewer

        app = create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)

    captured: list[tuple[str, str, Any]] = []
    label = {"now": ""}

    def remember(conn, cursor, statement, parameters, context, executemany):
        # WITH: PostgreSQL's claim is one statement of CTEs (leases.CLAIM_SQL); its EXPLAIN
        # ANALYZE takes a ticket inside the transaction rolled back below.
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "tickets" in statement:
            captured.append((label["now"], statement, parameters))

    plans: list[Plan] = []
    with app.test_request_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", remember)
        try:
            label["now"] = "queue listing"
            queue(None, None, 50)
            label["now"] = f"queue listing, flag={FLAG}"
            queue(None, FLAG, 50)
            label["now"] = "claim"
            reviewer = db.session.scalar(db.select(Reviewer).where(Reviewer.email == REVIEWER))
            ops.claim_next(reviewer)
        finally:
            event.remove(engine, "before_cursor_execute", remember)
            db.session.rollback()
        postgres = engine.dialect.name == "postgresql"
        prefix = "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " if postgres else "EXPLAIN QUERY PLAN "
        seen = set()
        with engine.connect() as conn:
            for name, statement, parameters in captured:
                if (name, statement) in seen:
                    continue
                seen.add((name, statement))
                result = conn.exec_driver_sql(prefix + statement, parameters)
                lines = [
                    " | ".join(str(c) for c in row) if not postgres else row[0] for row in result
                ]
                plans.append(Plan(name, statement, "\n".join(lines)))
            conn.rollback()
        engine.dispose()
    return plans


_ACTUAL = re.compile(r"^\s*(?:->\s*)?(.+?)\s+\(cost=.*\(actual rows=(\d+) loops=(\d+)")


def whole_queue_reads(plans: list[Plan], tickets: int) -> list[str]:
    """Statements that read (a large part of) every waiting ticket instead of one page.

    PostgreSQL: the plan node with the most actual rows, if above a tenth of the tickets.
    SQLite (no row counts): a SCAN of tickets without an index, or a sort of the result.
    """
    found = []
    for number, p in enumerate(plans, 1):
        biggest: tuple[int, str] = (0, "")
        for line in p.plan.splitlines():
            match = _ACTUAL.match(line)
            if match:
                biggest = max(biggest, (int(match[2]) * int(match[3]), match[1]))
            detail = line.split(" | ")[-1].strip()
            if detail.startswith("SCAN ") and "INDEX" not in detail:
                biggest = max(biggest, (tickets, detail))
            if detail.startswith("USE TEMP B-TREE FOR ORDER BY"):
                biggest = max(biggest, (tickets, "sort of every match (USE TEMP B-TREE)"))
        if biggest[0] >= max(tickets // 10, 1):
            found.append(f"#{number} {p.name}: {biggest[1]} ({biggest[0]:,} rows)")
    return found


def write_plans(path: Path, plans: list[Plan]) -> None:
    with path.open("w") as out:
        for number, p in enumerate(plans, 1):
            out.write(f"-- #{number} {p.name}\n{p.sql.strip()}\n\n{p.plan}\n\n")


# --- HTTP -------------------------------------------------------------------------------------


@dataclass
class Samples:
    listing_baseline: list[float] = field(default_factory=list)
    listing: list[float] = field(default_factory=list)
    flagged: list[float] = field(default_factory=list)
    claim_baseline: list[float] = field(default_factory=list)
    claim: list[float] = field(default_factory=list)


def _check(kind: str, response: requests.Response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{kind}: {response.status_code} {response.text[:300]}")
    if kind == "claim" and response.json()["status"] != "in_review":
        raise RuntimeError(f"claim answered {response.text[:300]}")
    if kind in ("listing", "flagged"):
        body = response.json()
        if not body["total"] or len(body["items"]) != min(50, body["total"]):
            raise RuntimeError(f"{kind} listed {len(body['items'])} of {body['total']} tickets")


def _rounds(
    calls: dict[str, Callable[[], requests.Response]],
    samples: Samples,
    rounds: int,
    budget: float,
    what: str,
) -> None:
    """`rounds` rounds of every call in turn (after two of warm-up), within `budget` s."""
    deadline = time.monotonic() + budget
    for i in range(-2, rounds):
        for kind, call in calls.items():
            start = time.perf_counter()
            response = call()
            elapsed = time.perf_counter() - start
            _check(kind, response)
            if i >= 0:
                getattr(samples, kind).append(elapsed)
        if time.monotonic() > deadline:
            progress(f"  {what}: time budget reached after {i + 1} rounds")
            return


def measure(url: str, token: str, calls: int, budget: float) -> Samples:
    """Listing first (baseline, list, flagged list), then claims (baseline, claim)."""
    auth = {"Authorization": f"Bearer {token}"}
    s = Samples()
    with requests.Session() as session:

        def ping() -> requests.Response:
            return session.get(f"{url}/api/v1/bench/db", timeout=30)

        _rounds(
            {
                "listing_baseline": ping,
                "listing": lambda: session.get(
                    f"{url}/api/v1/queue?limit=50", headers=auth, timeout=60
                ),
                "flagged": lambda: session.get(
                    f"{url}/api/v1/queue?limit=50&flag={FLAG}", headers=auth, timeout=60
                ),
            },
            s,
            calls,
            budget,
            "listing",
        )
        _rounds(
            {
                "claim_baseline": ping,
                "claim": lambda: session.post(
                    f"{url}/api/v1/queue/claim", headers=auth, timeout=30
                ),
            },
            s,
            calls,
            budget,
            "claim",
        )
    return s


def reviewer_token(app: servers.App) -> str:
    app.flask(
        "reviewers",
        "create",
        REVIEWER,
        "--name",
        "Bench Reviewer",
        "--role",
        "reviewer",
        "--password-stdin",
        stdin="benchmark-password-1234\n",
    )
    return app.flask("reviewers", "token", REVIEWER).split()[-1]


def rows_for(db_label: str, n: int, s: Samples, seconds: float, target: bool) -> list[Row]:
    name = f"{db_label}, {n:,} tickets"
    rows = [Row(f"queue: seeding, {name}", f"{seconds:.1f} s", "-", "-", "context", None)]
    for label, samples, baseline in (
        ("GET /queue?limit=50", s.listing, s.listing_baseline),
        (f"GET /queue?limit=50&flag={FLAG}", s.flagged, s.listing_baseline),
        ("POST /queue/claim", s.claim, s.claim_baseline),
    ):
        for stat_name, stat in (("median", median), ("p95", p95)):
            value, base = stat(samples), stat(baseline)
            is_claim_p95 = target and label.startswith("POST") and stat_name == "p95"
            rows.append(
                Row(
                    f"queue: {label}, {name} (n={len(samples)})",
                    f"{stat_name} {ms(value)}",
                    f"DB round trip {stat_name} {ms(base)}",
                    times(value / base),
                    f"< {ms(CLAIM_P95_TARGET)}" if is_claim_p95 else "-",
                    value < CLAIM_P95_TARGET if is_claim_p95 else None,
                )
            )
    return rows


def run_one(
    workdir: Path,
    db_label: str,
    database_url: str,
    n: int,
    calls: int,
    budget: float,
    *,
    seed,
    target: bool,
) -> tuple[list[Row], list[Plan]]:
    name = f"queue-{db_label.lower()}"
    env = servers.app_env(workdir / name, database_url, "local", workers=1, threads=4)
    servers.migrate(env)
    progress(f"queue on {db_label}: seeding {n:,} tickets")
    seconds = seed(n)
    progress(f"  seeded in {seconds:.1f} s")
    with servers.gunicorn(env, workdir, name) as app:
        token = reviewer_token(app)
        plans = capture_plans(env)
        plans_file = workdir / f"plans-{db_label.lower()}.txt"
        write_plans(plans_file, plans)
        progress(f"  query plans in {plans_file}")
        progress(
            f"  up to {calls} rounds of listing (baseline, list, flagged list), "
            "then of claims (baseline, claim)"
        )
        samples = measure(app.url, token, calls, budget)
    rows = rows_for(db_label, n, samples, seconds, target)
    reads = whole_queue_reads(plans, n)
    rows.append(
        Row(
            f"queue: statements reading the whole queue, {db_label}",
            f"{len(reads)} of {len(plans)}" + (f" ({plans_file.name})" if reads else ""),
            "-",
            "-",
            "none",
            not reads,
        )
    )
    for line in reads:
        progress(f"  whole-queue read: {line}")
    return rows, plans


def run(
    workdir: Path,
    *,
    sqlite_tickets: int = 100_000,
    postgres_tickets: int = 1_000_000,
    calls: int = 200,
    budget: float = 90.0,
    postgres_admin_url: str | None = None,
    keep_postgres: bool = False,
) -> list[Row]:
    rows: list[Row] = []
    if sqlite_tickets:
        path = workdir / "queue.db"
        r, _ = run_one(
            workdir,
            "SQLite",
            f"sqlite:///{path}",
            sqlite_tickets,
            calls,
            budget,
            seed=lambda n: seed_sqlite(path, n),
            target=False,
        )
        rows += r
    if postgres_tickets:
        if not postgres_admin_url or not servers.postgres_reachable(postgres_admin_url):
            raise RuntimeError(f"PostgreSQL is not reachable at {postgres_admin_url}")
        with servers.postgres_database(
            postgres_admin_url, servers.database_name(), keep=keep_postgres
        ) as url:
            r, _ = run_one(
                workdir,
                "PostgreSQL",
                url,
                postgres_tickets,
                calls,
                budget,
                seed=lambda n: seed_postgres(url, n),
                target=True,
            )
            rows += r
    return rows
