"""The leads' dashboard numbers (issue 13, "A lead's dashboard with pictures").

Every figure is one SQL aggregate: no ticket, event or file row is loaded into Python. The
only exception is the SQLite fallback of the turnaround percentiles, which reads the
durations of the last `WINDOW_DAYS` (bounded by the window, one float each); PostgreSQL
computes them with `percentile_cont`. Read-only: nothing here writes or commits.

What each query can use at a million tickets:

- the backlog: `ix_tickets_queue` (status first) narrows to the open statuses, a small
  share of all tickets;
- decisions per day, turnaround, rejection reasons and findings are bounded by the window
  (`events.at`, `tickets.decided_at`, `evidence.reviewed_at`, `evidence.analysed_at`),
  which have no index of their own today: each is one sequential pass. Indexes on
  `events (action, at)`, `tickets (decided_at)` and `evidence (reviewed_at)` /
  `evidence (analysed_at)` would make them range scans (a migration, not added here).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Float, bindparam, case, cast, extract, func, select, text
from sqlalchemy.sql.elements import ColumnElement

from triage.evidence.models import Evidence
from triage.extensions import db
from triage.history.models import Event
from triage.tickets import status as st
from triage.tickets.models import Ticket
from triage.timeutil import utcnow

WINDOW_DAYS = 30
# Waiting on us (not on the customer, who holds a `needs_more_info` ticket).
BACKLOG_STATUSES = (st.AWAITING_REVIEW, st.IN_REVIEW, st.AWAITING_SECOND_APPROVAL, st.DISPUTED)
# (label, lower bound in days since first submission), youngest first.
AGE_BUCKETS: tuple[tuple[str, int], ...] = (
    ("< 1 day", 0),
    ("1 to 3 days", 1),
    ("3 to 7 days", 3),
    ("> 7 days", 7),
)
TICKET_TYPES = ("account_change", "unfreeze")
DECISIONS = ("approved", "rejected")


def dialect() -> str:
    return db.session.get_bind().dialect.name


def seconds_between(start: Any, end: Any) -> ColumnElement[float]:
    """`end - start` in seconds, as SQL, on PostgreSQL and on SQLite (ISO text times)."""
    if dialect() == "postgresql":
        return cast(extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def utc_day(column: Any) -> ColumnElement[str]:
    """The UTC calendar day of a timestamp, as `YYYY-MM-DD` text."""
    if dialect() == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.date(column)  # SQLite stores UTC text: its date part


def percentile(values: Sequence[float], q: float) -> float | None:
    """The `q` quantile of sorted `values` with linear interpolation (`percentile_cont`)."""
    if not values:
        return None
    position = (len(values) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


@dataclass(frozen=True)
class Turnaround:
    """Time from first submission to decision for one type (or "all"), in seconds."""

    type: str
    count: int
    median: float | None
    p95: float | None


@dataclass
class Dashboard:
    """Everything the page shows, as of `now`."""

    now: datetime
    since: datetime  # start of the window (UTC midnight, WINDOW_DAYS days including today)
    backlog: dict[str, list[int]]  # type -> count per AGE_BUCKETS
    days: list[str]  # YYYY-MM-DD, oldest first
    decided: dict[str, list[int]]  # decision -> count per day
    turnaround: list[Turnaround]  # "all" first, then each type
    rejection_reasons: list[tuple[str, int]]  # most frequent first
    findings: list[tuple[str, int]]  # most frequent first
    analysed: int  # files analysed in the window ("no analysis results yet" when 0)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def backlog_total(self) -> int:
        return sum(sum(counts) for counts in self.backlog.values())


def backlog_by_age(now: datetime) -> dict[str, list[int]]:
    """Open tickets waiting on reviewers by type and age since first submission."""
    submitted = func.coalesce(Ticket.first_submitted_at, Ticket.submitted_at, Ticket.created_at)
    whens = [
        (submitted < now - timedelta(days=lower), index)
        for index, (_, lower) in reversed(list(enumerate(AGE_BUCKETS)))
        if lower
    ]
    # `case` takes the first true branch: the oldest bound is tested first, so a ticket
    # lands in the oldest bucket it has reached.
    bucket = case(*whens, else_=0)
    inner = (
        select(Ticket.type.label("type"), bucket.label("bucket"))
        .where(Ticket.status.in_(BACKLOG_STATUSES))
        .subquery()
    )
    rows = db.session.execute(
        select(inner.c.type, inner.c.bucket, func.count()).group_by(inner.c.type, inner.c.bucket)
    ).all()
    result = {kind: [0] * len(AGE_BUCKETS) for kind in TICKET_TYPES}
    for kind, index, count in rows:
        result.setdefault(kind, [0] * len(AGE_BUCKETS))[int(index)] += count
    return result


def decisions_per_day(since: datetime, days: list[str]) -> dict[str, list[int]]:
    """Decisions (`decided` history events: final approvals and rejections, a disputed
    ticket's new decision included) per UTC day since `since`, approved and rejected."""
    inner = (
        select(
            utc_day(Event.at).label("day"),
            Event.details["decision"].as_string().label("decision"),
        )
        .where(Event.action == "decided", Event.at >= since)
        .subquery()
    )
    rows = db.session.execute(
        select(inner.c.day, inner.c.decision, func.count()).group_by(inner.c.day, inner.c.decision)
    ).all()
    result = {decision: [0] * len(days) for decision in DECISIONS}
    position = {day: index for index, day in enumerate(days)}
    for day, decision, count in rows:
        if decision in result and day in position:
            result[decision][position[day]] += count
    return result


def turnaround(since: datetime) -> list[Turnaround]:
    """Median and 95th percentile of first submission → decision, for tickets decided
    since `since`: overall ("all") and per type."""
    start = func.coalesce(Ticket.first_submitted_at, Ticket.submitted_at, Ticket.created_at)
    seconds = seconds_between(start, Ticket.decided_at)
    window = (Ticket.status.in_(DECISIONS), Ticket.decided_at >= since)
    if dialect() == "postgresql":
        columns = (
            func.count(),
            func.percentile_cont(0.5).within_group(seconds),
            func.percentile_cont(0.95).within_group(seconds),
        )
        overall = db.session.execute(select(*columns).where(*window)).one()
        per_type = db.session.execute(
            select(Ticket.type, *columns).where(*window).group_by(Ticket.type)
        ).all()
        found = {kind: (count, median, p95) for kind, count, median, p95 in per_type}
        rows = [Turnaround("all", overall[0], _float(overall[1]), _float(overall[2]))]
        for kind in sorted({*TICKET_TYPES, *found}):
            count, median, p95 = found.get(kind, (0, None, None))
            rows.append(Turnaround(kind, count, _float(median), _float(p95)))
        return rows
    # SQLite has no percentile aggregate: the window's durations (one float per decided
    # ticket, already sorted by the database) are the bounded set.
    durations: dict[str, list[float]] = {kind: [] for kind in TICKET_TYPES}
    for kind, value in db.session.execute(
        select(Ticket.type, seconds).where(*window).order_by(seconds)
    ):
        durations.setdefault(kind, []).append(max(float(value), 0.0))
    everything = sorted(v for values in durations.values() for v in values)
    rows = [Turnaround("all", len(everything), *_quantiles(everything))]
    for kind in sorted(durations):
        rows.append(Turnaround(kind, len(durations[kind]), *_quantiles(durations[kind])))
    return rows


def _float(value: Any) -> float | None:
    return None if value is None else max(float(value), 0.0)


def _quantiles(values: Sequence[float]) -> tuple[float | None, float | None]:
    return percentile(values, 0.5), percentile(values, 0.95)


def rejection_reasons(since: datetime) -> list[tuple[str, int]]:
    """Files rejected since `since`, by the reviewer's reason code, most frequent first."""
    rows = db.session.execute(
        select(Evidence.reason, func.count())
        .where(Evidence.decision == "rejected", Evidence.reviewed_at >= since)
        .group_by(Evidence.reason)
    ).all()
    return sorted(((reason or "none", count) for reason, count in rows), key=_by_count)


_FINDINGS_SQL = {
    # jsonb functions accept the column whether it is json or jsonb; anything but a list
    # (a JSON null) counts as no findings.
    "postgresql": """
        SELECT f.elem ->> 'code' AS code, count(*) AS n
        FROM evidence AS e
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE WHEN jsonb_typeof(e.findings::jsonb) = 'array'
                 THEN e.findings::jsonb ELSE '[]'::jsonb END) AS f(elem)
        WHERE e.analysed_at >= :since AND e.findings IS NOT NULL
        GROUP BY 1""",
    "sqlite": """
        SELECT json_extract(f.value, '$.code') AS code, count(*) AS n
        FROM evidence AS e,
             json_each(CASE WHEN json_type(e.findings) = 'array'
                            THEN e.findings ELSE '[]' END) AS f
        WHERE e.analysed_at >= :since AND e.findings IS NOT NULL
        GROUP BY 1""",
}


def findings_by_kind(since: datetime) -> tuple[int, list[tuple[str, int]]]:
    """(files analysed since `since`, [(finding code, files' findings of it)]), most
    frequent first (api.md "Evidence analysis": Evidence.findings, [{"code", ...}])."""
    analysed = db.session.scalar(
        select(func.count()).select_from(Evidence).where(Evidence.analysed_at >= since)
    )
    if not analysed:
        return 0, []
    query = text(_FINDINGS_SQL.get(dialect(), _FINDINGS_SQL["sqlite"])).bindparams(
        bindparam("since", type_=DateTime(timezone=True))
    )
    rows = db.session.execute(query, {"since": since}).all()
    return int(analysed), sorted(((code or "unknown", n) for code, n in rows), key=_by_count)


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def window_start(now: datetime, days: int = WINDOW_DAYS) -> datetime:
    """UTC midnight `days - 1` days before `now`: the window is `days` whole days."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days - 1)


def dashboard(now: datetime | None = None) -> Dashboard:
    """All the dashboard's numbers as of `now` (default: the current time)."""
    now = now or utcnow()
    since = window_start(now)
    days = [(since + timedelta(days=i)).strftime("%Y-%m-%d") for i in range(WINDOW_DAYS)]
    analysed, findings = findings_by_kind(since)
    decided = decisions_per_day(since, days)
    return Dashboard(
        now=now,
        since=since,
        backlog=backlog_by_age(now),
        days=days,
        decided=decided,
        turnaround=turnaround(since),
        rejection_reasons=rejection_reasons(since),
        findings=findings,
        analysed=analysed,
        totals={decision: sum(counts) for decision, counts in decided.items()},
    )
