"""Visit tokens (`?visit=`, reads.py) attacked: forged, mangled, another reviewer's, replayed,
or used by someone who is not a reviewer. Never a 5xx, never a read unlogged for a reviewer
who was not given the token, never one reviewer silencing another's reads; concurrent loads
of one file in one visit are one read (SQLite and PostgreSQL, over a live server).
"""

from __future__ import annotations

import threading
from urllib.parse import quote

import pytest
import requests

from tests.break_workbench.conftest import browser, reads, visit_token, visit_urls
from tests.review.helpers import evidence_ids

MANGLED = [
    "",
    ".",
    "..",
    "a.b",
    "a.b.c",
    "x" * 5000,
    "x" * 12 + "." + "y" * 5000,
    "\x00.\x00",
    "é" * 12 + "." + "é" * 22,
    "\u202e" * 12 + "." + "\u202e" * 22,
    "\uff41" * 12 + "\uff0e" + "\uff42" * 22,  # full-width letters and dot
    "\U0001f600.\U0001f600",
    "%00",
]


def _card_url(app, who, ticket, client=None) -> tuple[str, str]:
    """The card's id and the visit token of `ticket`'s page, rendered for `who` in `client`
    (a new signed-in browser if none: a token belongs to the session it was given in)."""
    client = client or browser(app, who)
    page = client.get(f"/review/tickets/{ticket.reference}").text
    card = evidence_ids(ticket)["card_front"]
    return card, visit_token(page)


@pytest.mark.parametrize("token", MANGLED)
def test_a_mangled_token_is_no_token_and_never_a_5xx(app, reviewer, held, token):
    client = browser(app, reviewer)
    card = evidence_ids(held)["card_front"]
    served = 0
    for _ in range(2):
        response = client.get(f"/review/evidence/{card}", query_string={"visit": token})
        assert response.status_code in (200, 400, 414), response.status_code  # 400: too long
        served += response.status_code == 200
    # No valid visit: every load served is a read.
    assert len(reads(reviewer, held.reference)) == served


@pytest.mark.parametrize(
    "raw", [b"visit=%ED%A0%80.%ED%B0%80", b"visit=%FF%FE.%C0%AF", b"visit=%00" * 3]
)
def test_undecodable_bytes_in_the_token(app, reviewer, held, raw):
    client = browser(app, reviewer)
    card = evidence_ids(held)["card_front"]
    for path in (f"/review/evidence/{card}", f"/review/evidence/{card}/preview"):
        response = client.get(path + "?" + raw.decode())
        assert response.status_code < 500, path


def test_a_mangled_x_review_visit_header_on_a_json_action(app, reviewer, held):
    from tests.break_workbench.conftest import JSON
    from tests.review.helpers import page_token

    client = browser(app, reviewer)
    page = f"/review/tickets/{held.reference}"
    card = evidence_ids(held)["card_front"]
    prefix = f"ev-{card}-"
    for header in ["x" * 9000, "a.b", "\u00ff.\u00ff", "..."]:
        response = client.post(
            f"/review/evidence/{card}/review",
            data={prefix + "decision": "accepted", "csrf_token": page_token(client, page)},
            headers={**JSON, "X-Review-Visit": header.encode("latin-1").decode("latin-1")},
        )
        assert response.status_code == 200, response.text[:300]
        # The regions carry a fresh, valid visit, not the mangled one.
        assert header[:40] not in response.json["regions"][f"file-{card}"]


def test_another_reviewers_token_does_not_silence_their_reads(app, reviewer, other_reviewer, held):
    card, mine = _card_url(app, reviewer, held)
    assert browser(app, reviewer).get(f"/review/evidence/{card}?visit={mine}").status_code == 200
    theirs = browser(app, other_reviewer)
    for _ in range(3):
        assert theirs.get(f"/review/evidence/{card}?visit={mine}").status_code == 200
    assert len(reads(reviewer, held.reference)) == 4
    assert (
        sum(
            r["actor"] == f"reviewer:{other_reviewer.email}"
            for r in reads(reviewer, held.reference)
        )
        == 3
    )


def test_one_reviewer_cannot_suppress_anothers_read_with_the_same_visit_name(
    app, reviewer, other_reviewer, held
):
    """Both reviewers read in a visit of their own: each is logged, once."""
    me, them = browser(app, reviewer), browser(app, other_reviewer)
    card, mine = _card_url(app, reviewer, held, me)
    _, theirs = _card_url(app, other_reviewer, held, them)
    for _ in range(2):
        me.get(f"/review/evidence/{card}?visit={mine}")
        them.get(f"/review/evidence/{card}?visit={theirs}")
    actors = sorted(r["actor"] for r in reads(reviewer, held.reference))
    assert actors == [f"reviewer:{other_reviewer.email}", f"reviewer:{reviewer.email}"]


def test_a_token_replayed_on_another_tickets_file_is_still_a_first_read(
    app, reviewer, lead, submitted, held
):
    other = submitted(account_name="someone-else")
    card, token = _card_url(app, reviewer, held)
    other_card = evidence_ids(other)["card_front"]
    client = browser(app, reviewer)
    client.get(f"/review/evidence/{card}?visit={token}")
    client.get(f"/review/evidence/{other_card}?visit={token}")
    client.get(f"/review/evidence/{other_card}?visit={token}")
    assert len(reads(reviewer, held.reference)) == 1
    assert len(reads(reviewer, other.reference)) >= 1  # never silent on the first load


@pytest.mark.parametrize("kind", ["signed_out", "customer"])
def test_a_token_in_a_non_reviewers_hands(app, reviewer, held, make_ticket, kind):
    card, token = _card_url(app, reviewer, held)
    client = app.test_client()
    if kind == "customer":
        ticket = make_ticket(account_name="nosy-customer")
        client = ticket.client if hasattr(ticket, "client") else client
    for path in (
        f"/review/evidence/{card}?visit={token}",
        f"/review/evidence/{card}/pages/1.png?visit={token}",
        f"/review/evidence/{card}/masked.png?visit={token}",
        f"/review/evidence/{card}/preview?visit={token}",
    ):
        response = client.get(path)
        assert response.status_code in (302, 401, 403, 404), (path, response.status_code)
    assert reads(reviewer, held.reference) == []


def _concurrent_loads(base: str, cookie: dict, urls: list[str], times: int) -> list[int]:
    start = threading.Barrier(len(urls) * times)
    statuses: list[int] = []
    lock = threading.Lock()

    def load(url: str) -> None:
        session = requests.Session()
        session.cookies.update(cookie)
        start.wait()
        status = session.get(base + url, timeout=60).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=load, args=(u,)) for u in urls for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return statuses


def test_concurrent_loads_of_one_file_in_one_visit_are_one_read(app, live_server, reviewer, held):
    client = browser(app, reviewer)
    client.get(f"/review/tickets/{held.reference}")  # starts the PDF's previews
    from tests.conftest import wait_for_background_work

    wait_for_background_work()
    page = client.get(f"/review/tickets/{held.reference}").text
    cookie = {"session": client.get_cookie("session").value}
    ids = evidence_ids(held)
    for material, evidence_id in ids.items():
        urls = visit_urls(page, evidence_id)
        assert urls, material
        statuses = _concurrent_loads(live_server, cookie, urls, 6)
        assert statuses and all(s == 200 for s in statuses), statuses
    per_file = [r["details"]["evidence_id"] for r in reads(reviewer, held.reference)]
    assert sorted(per_file) == sorted(ids.values())


def test_concurrent_loads_by_two_reviewers_are_one_read_each(
    app, live_server, reviewer, other_reviewer, held
):
    card = evidence_ids(held)["card_front"]
    loads = []
    for who in (reviewer, other_reviewer):
        client = browser(app, who)
        page = client.get(f"/review/tickets/{held.reference}").text
        loads.append(({"session": client.get_cookie("session").value}, visit_urls(page, card)))
    statuses: list[int] = []
    threads = [
        threading.Thread(
            target=lambda c=c, u=u: statuses.extend(_concurrent_loads(live_server, c, u, 5))
        )
        for c, u in loads
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses and all(s == 200 for s in statuses), statuses
    actors = sorted(r["actor"] for r in reads(reviewer, held.reference))
    assert actors == sorted([f"reviewer:{reviewer.email}", f"reviewer:{other_reviewer.email}"])


def test_quoted_token_is_the_same_visit(app, reviewer, held):
    client = browser(app, reviewer)
    card, token = _card_url(app, reviewer, held, client)
    client.get(f"/review/evidence/{card}?visit={token}")
    client.get(f"/review/evidence/{card}?visit={quote(token, safe='')}")
    assert len(reads(reviewer, held.reference)) == 1


def test_a_visit_does_not_outlive_the_session_it_was_given_in(app, reviewer, held):
    """Issue 13: reads are logged once per reviewer, file and *visit* (one render of the
    page). A token kept from last week's page (a bookmark, the browser's history) and used
    after signing out and in again is not that visit any more: the read must be logged.
    The token is bound to the signed-in session it was given in (reads.py `new_visit`)."""
    first = browser(app, reviewer)
    card, token = _card_url(app, reviewer, held, first)
    assert first.get(f"/review/evidence/{card}?visit={token}").status_code == 200
    later = browser(app, reviewer)  # another sign-in, another browser
    assert later.get(f"/review/evidence/{card}?visit={token}").status_code == 200
    assert len(reads(reviewer, held.reference)) == 2


def test_a_visit_token_from_another_tickets_page_is_not_a_visit_of_this_ticket(
    app, reviewer, held, submitted
):
    """A visit is one render of one ticket's page; a token from ticket A's page silences the
    reads of ticket B's files after the first unless it is bound to the ticket (reads.py)."""
    other = submitted(account_name="someone-else")
    _, token_of_a = _card_url(app, reviewer, held)
    other_card = evidence_ids(other)["card_front"]
    client = browser(app, reviewer)
    # B's page was never rendered with this token: each load is outside any visit of B.
    for _ in range(3):
        client.get(f"/review/evidence/{other_card}?visit={token_of_a}")
    assert len(reads(reviewer, other.reference)) == 3


def test_a_visit_ends_after_its_lifetime(app, reviewer, held, monkeypatch):
    """A page left open past VISIT_LIFETIME_SECONDS starts logging its reads again."""
    from triage.review.operations import reads as reads_module

    client = browser(app, reviewer)
    card, token = _card_url(app, reviewer, held, client)
    client.get(f"/review/evidence/{card}?visit={token}")
    client.get(f"/review/evidence/{card}?visit={token}")
    assert len(reads(reviewer, held.reference)) == 1
    monkeypatch.setattr(reads_module, "VISIT_LIFETIME_SECONDS", -1)  # every token is over
    client.get(f"/review/evidence/{card}?visit={token}")
    client.get(f"/review/evidence/{card}?visit={token}")
    assert len(reads(reviewer, held.reference)) == 3
