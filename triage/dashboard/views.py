"""/review/dashboard: a lead's view of the work, as pictures with their numbers beside them.

Leads only (`lead_required`: a reviewer gets 403, a signed-out visitor the sign-in page).
The view asks `operations.dashboard()` for the numbers and draws them with `charts`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from markupsafe import Markup

from triage.dashboard import charts
from triage.dashboard import operations as ops
from triage.evidence.reasons import REASON_TABLE
from triage.reviewers.auth import lead_required

bp = Blueprint("dashboard", __name__, url_prefix="/review/dashboard")

TYPE_WORDS = {"account_change": "Account change", "unfreeze": "Unfreeze", "all": "All types"}
DECISION_WORDS = {"approved": "Approved", "rejected": "Rejected"}
FINDING_WORDS = {
    "blurry": "Blurry",
    "glare": "Glare",
    "too_dark": "Too dark",
    "low_resolution": "Low resolution",
    "card_number_visible": "Card number visible",
    "mrz_invalid": "Passport MRZ invalid",
    "document_expired": "Document expired",
    "name_mismatch": "Name mismatch",
    "near_duplicate": "Near-duplicate",
    "same_as_rejected": "Same as a rejected file",
}


def type_word(kind: str) -> str:
    return TYPE_WORDS.get(kind, kind)


def reason_word(code: str) -> str:
    reason = REASON_TABLE.get(code)
    return reason.label if reason else code


def finding_word(code: str) -> str:
    return FINDING_WORDS.get(code, code)


def hours(seconds: float | None) -> float:
    return round((seconds or 0) / 3600, 1)


def draw(data: ops.Dashboard) -> dict[str, Markup]:
    """The page's charts, drawn from the same numbers as its tables."""
    kinds = list(data.backlog)
    buckets = [label for label, _ in ops.AGE_BUCKETS]
    drawn = {
        "backlog": charts.stacked_bar_chart(
            "chart-backlog",
            "Backlog by age and type",
            f"{data.backlog_total} tickets wait for a reviewer, by days since first "
            "submission, stacked by ticket type.",
            buckets,
            [charts.Series(type_word(kind), data.backlog[kind]) for kind in kinds],
        ),
        "decided": charts.line_chart(
            "chart-decided",
            "Tickets decided per day",
            f"Approved and rejected tickets per day over the last {len(data.days)} days: "
            f"{data.totals.get('approved', 0)} approved, "
            f"{data.totals.get('rejected', 0)} rejected.",
            [day[5:] for day in data.days],
            [
                charts.Series(DECISION_WORDS[decision], counts)
                for decision, counts in data.decided.items()
            ],
        ),
        "turnaround": charts.bar_chart(
            "chart-turnaround",
            "Time from submission to decision",
            "Median and 95th percentile hours from first submission to decision, for "
            f"tickets decided in the last {len(data.days)} days, overall and per type.",
            [type_word(row.type) for row in data.turnaround],
            [
                charts.Series("Median", [hours(row.median) for row in data.turnaround]),
                charts.Series("95th percentile", [hours(row.p95) for row in data.turnaround]),
            ],
            unit=" h",
        ),
        "reasons": charts.bar_chart(
            "chart-reasons",
            "Reasons for rejecting files",
            f"Files rejected in the last {len(data.days)} days, by the reason given.",
            [reason_word(code) for code, _ in data.rejection_reasons],
            [charts.Series("Files", [count for _, count in data.rejection_reasons])],
        ),
    }
    if data.findings:
        drawn["findings"] = charts.bar_chart(
            "chart-findings",
            "Findings by kind",
            f"What the analysis found in {data.analysed} files analysed in the last "
            f"{len(data.days)} days, by kind.",
            [finding_word(code) for code, _ in data.findings],
            [charts.Series("Findings", [count for _, count in data.findings])],
        )
    return drawn


@bp.get("")
@lead_required
def show() -> Any:
    data = ops.dashboard()
    return render_template(
        "dashboard/show.html",
        data=data,
        charts=draw(data),
        buckets=[label for label, _ in ops.AGE_BUCKETS],
        type_word=type_word,
        reason_word=reason_word,
        finding_word=finding_word,
        hours=hours,
        decision_words=DECISION_WORDS,
    )
