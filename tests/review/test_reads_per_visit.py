"""Reads are logged once per reviewer, file and visit (issue 13, "the workbench").

A visit is one render of the review page. The pictures it shows carry its token
(`?visit=`); loading them again in that visit is not another read. Reads without a token
(downloads, the API) are logged every time, and a token works only for the reviewer it
was made for. Reading still extends the holder's lease.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.review.helpers import evidence_ids, signed_in, visit_urls
from triage.timeutil import aware


def _reads(reviewer, reference: str) -> list[dict]:
    return [e for e in reviewer.history(reference) if e["action"] == "evidence_read"]


@pytest.fixture
def held(reviewer, submitted):
    """A submitted ticket (passport PDF, card photo) that `reviewer` holds."""
    ticket = submitted()
    assert reviewer.claim().status_code == 200
    return ticket


def test_the_pictures_of_one_visit_are_one_read_per_file(app, reviewer, held):
    browser = signed_in(app, reviewer)
    card = evidence_ids(held)["card_front"]
    page = browser.get(f"/review/tickets/{held.reference}")
    urls = visit_urls(page.text, card)
    assert urls and all("visit=" in url for url in urls)
    assert _reads(reviewer, held.reference) == []  # the page itself reads nothing
    for _ in range(5):
        assert browser.get(urls[0]).status_code == 200
    for url in urls[1:]:  # the strip's thumbnail too
        assert browser.get(url).status_code == 200
    reads = _reads(reviewer, held.reference)
    assert len(reads) == 1
    assert reads[0]["details"]["evidence_id"] == card
    assert reads[0]["actor"] == f"reviewer:{reviewer.email}"
    # Another visit (the page opened again) is another read.
    again = browser.get(f"/review/tickets/{held.reference}")
    new_url = visit_urls(again.text, card)[0]
    assert new_url != urls[0]
    browser.get(new_url)
    browser.get(new_url)
    assert len(_reads(reviewer, held.reference)) == 2
    # The first visit's token still counts as that visit: nothing new.
    browser.get(urls[0])
    assert len(_reads(reviewer, held.reference)) == 2


def test_each_file_of_a_visit_is_read_once(app, reviewer, held):
    browser = signed_in(app, reviewer)
    browser.get(f"/review/tickets/{held.reference}")  # starts the PDF's page previews
    page = browser.get(f"/review/tickets/{held.reference}").text
    ids = evidence_ids(held)
    assert all(visit_urls(page, evidence_id) for evidence_id in ids.values())
    for evidence_id in ids.values():
        for url in visit_urls(page, evidence_id) * 3:
            assert browser.get(url).status_code == 200
    reads = _reads(reviewer, held.reference)
    assert sorted(r["details"]["evidence_id"] for r in reads) == sorted(ids.values())


def test_another_reviewers_token_does_not_silence_the_log(app, reviewer, lead, held):
    mine = signed_in(app, reviewer)
    card = evidence_ids(held)["card_front"]
    url = visit_urls(mine.get(f"/review/tickets/{held.reference}").text, card)[0]
    mine.get(url)
    theirs = signed_in(app, lead)
    for _ in range(3):
        assert theirs.get(url).status_code == 200  # the picture, but no visit for them
    reads = _reads(reviewer, held.reference)
    actors = [r["actor"] for r in reads]
    assert actors == [f"reviewer:{reviewer.email}"] + [f"reviewer:{lead.email}"] * 3
    # A forged or mangled token is no token either.
    token = re.search(r"visit=([^&]+)", url).group(1)
    nonce = token.split(".")[0]
    for bad in (nonce, f"{nonce}.AAAAAAAAAAAAAAAAAAAAAA", "x" * 200, "", "é.é"):
        assert (
            theirs.get(f"/review/evidence/{card}", query_string={"visit": bad}).status_code == 200
        )
    assert len(_reads(reviewer, held.reference)) == 4 + 5


def test_downloads_and_the_api_are_logged_every_time(app, reviewer, held):
    browser = signed_in(app, reviewer)
    card = evidence_ids(held)["card_front"]
    url = visit_urls(browser.get(f"/review/tickets/{held.reference}").text, card)[0]
    token = re.search(r"visit=([^&]+)", url).group(1)
    for _ in range(3):
        # A download is a copy leaving the page: even with the token, each one counts.
        response = browser.get(f"/review/evidence/{card}?download=1&visit={token}")
        assert response.headers["Content-Disposition"].startswith("attachment;")
    for _ in range(2):
        assert reviewer.get(f"/evidence/{card}/content").status_code == 200
    reads = _reads(reviewer, held.reference)
    assert len(reads) == 5
    assert [r["details"]["via"] for r in reads] == ["page"] * 3 + ["api"] * 2
    assert all("visit" not in r["details"] for r in reads)


def test_a_read_in_a_visit_still_extends_the_lease(app, reviewer, held):
    from triage.extensions import db
    from triage.tickets.models import Ticket

    def expires() -> datetime:
        with app.app_context():
            ticket = db.session.scalars(
                db.select(Ticket).where(Ticket.reference == held.reference)
            ).one()
            return aware(ticket.claim_expires_at)

    browser = signed_in(app, reviewer)
    card = evidence_ids(held)["card_front"]
    url = visit_urls(browser.get(f"/review/tickets/{held.reference}").text, card)[0]
    browser.get(url)
    first = expires()
    browser.get(url)  # not logged again, but it is activity
    assert len(_reads(reviewer, held.reference)) == 1
    assert expires() > first


def test_the_history_shows_the_visit_nowhere_and_groups_the_reads(app, reviewer, held):
    browser = signed_in(app, reviewer)
    browser.get(f"/review/tickets/{held.reference}")  # starts the PDF's page previews
    page = browser.get(f"/review/tickets/{held.reference}").text
    for evidence_id in evidence_ids(held).values():
        browser.get(visit_urls(page, evidence_id)[0])
    page = browser.get(f"/review/tickets/{held.reference}").text
    history = page[page.index('id="history"') :]
    assert "visit:" not in history
    assert history.count('class="event event-evidence_read event-group kind-reads"') == 1
    assert "read 2 files" in history
