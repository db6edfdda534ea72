"""/review/dashboard (issue 13, item 6): leads only, charts with their numbers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from defusedxml import ElementTree

from tests.dashboard.helpers import approve, backdate, reject
from tests.review.helpers import CHANGE_DIRECT_AUTHENTICATED, evidence_ids, sign_in

SVG = "{http://www.w3.org/2000/svg}"


def svgs(html: str) -> list:
    """Every inline chart, parsed as XML (fails on anything not well-formed)."""
    found = [ElementTree.fromstring(s) for s in re.findall(r"<svg\b.*?</svg>", html, re.S)]
    for root in found:
        assert root.get("role") == "img"
        assert root.find(f"{SVG}title").text and root.find(f"{SVG}desc").text
    return found


def row(html: str, table: str, attribute: str, key: str) -> list[str]:
    """The cells of one row of a numbers table, as text."""
    body = re.search(rf'<table[^>]*id="{table}".*?</table>', html, re.S)
    assert body, f"no table {table}"
    match = re.search(rf'<tr data-{attribute}="{re.escape(key)}">(.*?)</tr>', body.group(0), re.S)
    assert match, f"no row {key} in {table}"
    return [c.strip() for c in re.findall(r"<td>(.*?)</td>", match.group(1), re.S)]


@pytest.fixture
def lead_client(app, lead):
    client = app.test_client()
    assert sign_in(client, lead.email).status_code == 302
    return client


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/review/dashboard")
    assert response.status_code == 302
    assert "/review/sign-in" in response.headers["Location"]


def test_a_reviewer_who_is_not_a_lead_gets_403(app, reviewer):
    client = app.test_client()
    sign_in(client, reviewer.email)
    assert client.get("/review/dashboard").status_code == 403
    assert "Dashboard</a>" not in client.get("/review/queue").text


def test_an_empty_database_renders_with_empty_charts(lead_client):
    response = lead_client.get("/review/dashboard")
    assert response.status_code == 200, response.text[:500]
    html = response.text
    assert len(svgs(html)) == 3  # backlog, decisions, turnaround; no reasons or findings yet
    assert "No analysis results yet." in html
    assert "No file was rejected in the window." in html
    assert row(html, "table-backlog", "type", "unfreeze") == ["0", "0", "0", "0", "0"]
    assert row(html, "table-turnaround", "type", "all") == ["0", "n/a", "n/a"]
    assert 'href="/review/dashboard"' in html  # the lead's navigation links it
    assert "dashboard.css" in html
    # The page's CSP allows no inline style: the charts use none.
    assert "style=" not in "".join(re.findall(r"<svg\b.*?</svg>", html, re.S))


def test_the_numbers_match_the_data(app, lead_client, reviewer, submitted):
    from sqlalchemy import update

    from triage.evidence.models import Evidence
    from triage.extensions import db
    from triage.timeutil import utcnow

    approved = submitted()
    approve(reviewer, approved)
    backdate(app, approved.reference, first_submitted_at=3, decided_days=1)  # 48 h
    rejected = submitted()
    reject(reviewer, rejected, "glare")
    backdate(app, rejected.reference, first_submitted_at=4, decided_days=0)  # 96 h
    old = submitted()
    backdate(app, old.reference, first_submitted_at=2)
    older = submitted()
    backdate(app, older.reference, first_submitted_at=10)
    submitted(CHANGE_DIRECT_AUTHENTICATED)  # waiting for less than a day
    submitted()  # waiting for less than a day
    # Findings: two files analysed with findings, one clean, one long ago.
    ids = list(evidence_ids(old).values()) + list(evidence_ids(older).values())
    with app.app_context():
        now = utcnow()
        # What the eager analysis jobs found on every upload is cleared: these four count.
        db.session.execute(update(Evidence).values(findings=None, analysed_at=None))
        for evidence_id, findings in zip(
            ids,
            [[{"code": "blurry"}, {"code": "glare"}], [{"code": "blurry"}], [], None],
            strict=True,
        ):
            db.session.execute(
                update(Evidence)
                .where(Evidence.id == evidence_id)
                .values(findings=findings, analysis="done", analysed_at=now)
            )
        db.session.commit()

    html = lead_client.get("/review/dashboard").text
    assert len(svgs(html)) == 5
    # Backlog: unfreeze 1 to 3 days (old), > 7 days (older), < 1 day; account change < 1 day.
    assert row(html, "table-backlog", "type", "unfreeze") == ["1", "1", "0", "1", "3"]
    assert row(html, "table-backlog", "type", "account_change") == ["1", "0", "0", "0", "1"]
    # Decisions: today one rejection, yesterday one approval.
    today = utcnow().strftime("%Y-%m-%d")
    yesterday = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d")
    assert row(html, "table-decided", "day", today) == ["0", "1"]
    assert row(html, "table-decided", "day", yesterday) == ["1", "0"]
    # Turnaround: 48 h and 96 h -> median 72, p95 48 + 48 * 0.95 = 93.6.
    assert row(html, "table-turnaround", "type", "all") == ["2", "72.0", "93.6"]
    assert row(html, "table-turnaround", "type", "unfreeze") == ["2", "72.0", "93.6"]
    assert row(html, "table-turnaround", "type", "account_change") == ["0", "n/a", "n/a"]
    assert row(html, "table-reasons", "reason", "glare") == ["1"]
    assert "Glare or reflections" in html
    assert row(html, "table-findings", "finding", "blurry") == ["2"]
    assert row(html, "table-findings", "finding", "glare") == ["1"]
    assert "(4 files analysed)" in html


def test_decisions_before_the_window_are_left_out(app, lead_client, reviewer, submitted):
    ticket = submitted()
    approve(reviewer, ticket)
    backdate(app, ticket.reference, first_submitted_at=45, decided_days=40)
    html = lead_client.get("/review/dashboard").text
    assert row(html, "table-turnaround", "type", "all") == ["0", "n/a", "n/a"]
    assert "(0 approved, 0 rejected)" in html
