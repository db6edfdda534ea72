"""The leads' own queues (recovery.md "Second approval") count what they list: the type
and flag counts of a tab, and its filters, are the tab's, never the review queue's."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.review.helpers import signed_in
from tests.review.second_helpers import first_approved
from triage.tickets.flags import FLAG_WORDS

TAB = "/review/?status=awaiting_second_approval"


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _options(html: str, select_id: str) -> list[str]:
    start = html.index(f'id="{select_id}"')
    select = html[start : html.index("</select>", start)]
    return [_text(o) for o in re.findall(r"<option[^>]*>(.*?)</option>", select)]


def _listed(html: str) -> list[str]:
    return re.findall(r'<tr class="queue-row[^"]*" data-reference="([A-Z0-9-]+)"', html)


@pytest.fixture
def queues(reviewer, submitted):
    """One unfreeze ticket for an account without a record (`unknown_account`: two
    approvals) approved once; two account changes in the review queue, one flagged
    `incomplete`."""
    unfreeze = submitted(known=False, account_name="no-record")
    first_approved(reviewer, unfreeze)
    submitted(CHANGE_DIRECT_AUTHENTICATED, account_name="change-one")
    submitted(
        CHANGE_DIRECT_AUTHENTICATED,
        account_name="change-two",
        files=["real_name_certificate"],
        explanation="The records are on their way.",
    )
    return unfreeze


def test_the_second_approval_tab_counts_its_own_tickets(app, lead, queues):
    browser = signed_in(app, lead)
    html = browser.get(TAB).text
    assert _listed(html) == [queues.reference]
    assert _options(html, "filter-type") == ["All types", "Account change (0)", "Unfreeze (1)"]
    options = _options(html, "filter-flag")[1:]
    flags = dict(re.match(r"(.*) \((\d+)\)$", option).groups() for option in options)
    assert flags[FLAG_WORDS["unknown_account"]] == "1"
    assert flags[FLAG_WORDS["incomplete"]] == "0"  # the review queue's flag, not this tab's
    table = _text(html[html.index('id="counts-table"') : html.index("</table>")])
    assert "Queue Waiting for a second approval" in table
    assert "Account change 0 Unfreeze 1 All 1" in table
    assert "Second approval (1)" in _text(html)


def test_a_tab_filtered_by_type_lists_what_its_count_says(app, lead, queues):
    browser = signed_in(app, lead)
    unfreeze = browser.get(f"{TAB}&type=unfreeze").text
    assert _listed(unfreeze) == [queues.reference]
    assert 'name="status" value="awaiting_second_approval"' in unfreeze  # still the tab
    assert _listed(browser.get(f"{TAB}&type=account_change").text) == []


def test_the_review_queue_keeps_its_own_counts(app, lead, queues):
    html = signed_in(app, lead).get("/review/").text
    assert _options(html, "filter-type") == ["All types", "Account change (2)", "Unfreeze (0)"]
    table = _text(html[html.index('id="counts-table"') : html.index("</table>")])
    assert "Queue Waiting In review Account change 2 0 Unfreeze 0 0 All 2 0" in table


def test_the_api_counts_the_queue_asked_for(lead, queues):
    counts = lead.queue(status="awaiting_second_approval", counts="true").json["counts"]
    assert counts["by_type"] == {
        "account_change": {"awaiting_second_approval": 0},
        "unfreeze": {"awaiting_second_approval": 1},
    }
    assert counts["by_flag"]["unknown_account"] == 1 and counts["by_flag"]["incomplete"] == 0
    assert counts["awaiting_second_approval"] == 1 and counts["disputed"] == 0
    assert counts["held_by"] == {}
    review = lead.queue(counts="true").json["counts"]
    assert review["by_type"]["account_change"] == {"awaiting_review": 2, "in_review": 0}
    assert review["by_flag"]["incomplete"] == 1 and review["by_flag"]["unknown_account"] == 0
    assert review["awaiting_second_approval"] == 1


def test_tab_counts_are_grouped_queries_not_one_per_ticket(app, lead, queues, submitted):
    """Counting reads the tab with a fixed number of statements, however many it holds."""
    from sqlalchemy import event

    from triage.extensions import db
    from triage.review.queue import queue

    def statements() -> int:
        seen: list[str] = []
        with app.app_context():
            engine = db.engine

            def note(conn, cursor, statement, *args):
                seen.append(statement)

            event.listen(engine, "before_cursor_execute", note)
            try:
                queue(status="awaiting_second_approval")
                db.session.rollback()
            finally:
                event.remove(engine, "before_cursor_execute", note)
        return len(seen)

    one = statements()
    with app.app_context():
        from sqlalchemy import update

        from triage.tickets.models import Ticket

        # More tickets in the tab, put there directly: the count of statements stays.
        db.session.execute(
            update(Ticket)
            .where(Ticket.status == "awaiting_review")
            .values(status="awaiting_second_approval")
        )
        db.session.commit()
    assert statements() == one
