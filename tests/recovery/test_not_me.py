"""The owner's "this was not me" link (recovery.md "Notice to the registered owner, and a
waiting period"): no sign-in, nothing changes on GET, one use, stops the change only
before `effective_at`, raises priority and flag, tells both addresses."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.recovery.conftest import (
    CONTACT,
    OWNER,
    history,
    later,
    links_in,
    notifications,
    owner_messages,
    page,
    post_together,
    press,
    set_columns,
    ticket_row,
)


@pytest.fixture
def noticed(change_ticket, smtp):
    """noticed() -> (Change, token of the owner's first notice)."""

    def make():
        made = change_ticket()
        # Sent by the eager send job before the submission answered.
        [token] = links_in(smtp.to(OWNER)[-1])
        return made, token

    return make


def test_opening_the_link_changes_nothing(app, noticed, reviewer):
    made, token = noticed()
    before = ticket_row(app, made.reference)
    for _ in range(3):  # a mail scanner, a link preview, the owner
        shown = page(app.test_client(), token)
        assert shown.status_code == 200
        assert 'name="csrf_token"' in shown.text and 'id="not-me-form"' in shown.text
        assert "acme-cloud" in shown.text and "+44 ***-****-0123" in shown.text
        assert shown.headers["Cache-Control"] == "no-store"
    after = ticket_row(app, made.reference)
    assert (after.status, after.disputed_at, after.priority_rank, after.flags) == (
        before.status,
        None,
        before.priority_rank,
        before.flags,
    )
    assert "disputed" not in [a for a, _, _ in history(app, made.reference)]


def test_a_post_without_the_pages_csrf_token_is_refused(app, noticed):
    made, token = noticed()
    assert app.test_client().post(f"/not-me/{token}").status_code == 400
    assert ticket_row(app, made.reference).status == "awaiting_review"


def test_pressing_the_button_disputes_once_and_tells_both_addresses(app, noticed, smtp):
    made, token = noticed()
    done = press(app.test_client(), token)
    assert done.status_code == 200 and 'id="not-me-done"' in done.text

    ticket = ticket_row(app, made.reference)
    assert ticket.status == "disputed"
    assert ticket.disputed_at is not None
    assert ticket.priority == "high" and ticket.priority_rank == 0
    assert "disputed" in ticket.flags
    [(actor, details)] = [(who, d) for a, who, d in history(app, made.reference) if a == "disputed"]
    assert actor == "registered owner" and isinstance(details["link_id"], int)

    # The welcome and the owner's notice, then one message to each address.
    assert len(smtp.wait_for(4, timeout=10)) == 4
    kinds = {(n["kind"], n["recipient"], n["status"]) for n in notifications(app, made.reference)}
    assert ("disputed", CONTACT, "sent") in kinds
    assert ("owner_disputed", OWNER, "sent") in kinds
    assert any("on hold" in m["Subject"] for m in smtp.to(CONTACT))
    assert any("stopped" in m["Subject"] for m in smtp.to(OWNER))

    # One use: the same link again reads like an unknown one, and changes nothing.
    again = page(app.test_client(), token)
    unknown = page(app.test_client(), "x" * 43)
    assert again.status_code == unknown.status_code == 404
    assert 'id="not-me-invalid"' in again.text and 'id="not-me-invalid"' in unknown.text
    assert 'id="not-me-form"' not in again.text


def test_a_second_post_of_a_used_link_is_refused(app, noticed):
    made, token = noticed()
    client = app.test_client()
    shown = client.get(f"/not-me/{token}")
    csrf = csrf_token(shown.text)
    assert client.post(f"/not-me/{token}", data={"csrf_token": csrf}).status_code == 200
    second = client.post(f"/not-me/{token}", data={"csrf_token": csrf})
    assert second.status_code == 404 and 'id="not-me-invalid"' in second.text
    assert [a for a, _, _ in history(app, made.reference)].count("disputed") == 1


def test_an_approved_change_is_stopped_before_it_takes_effect(app, noticed, reviewer):
    made, token = noticed()
    made.approve(later(72))
    assert press(app.test_client(), token).status_code == 200
    assert ticket_row(app, made.reference).status == "disputed"
    # Blocked: not ready, not listed at all while disputed.
    set_columns(app, made.reference, effective_at=later(-1))
    listed = reviewer.get("/changes", query_string={"ready": "true"}).json["items"]
    assert made.reference not in [i["reference"] for i in listed]


def test_after_effective_at_the_link_says_applied_and_changes_nothing(app, noticed, smtp):
    made, token = noticed()
    made.approve(later(-0.01))
    shown = page(app.test_client(), token)
    assert shown.status_code == 409
    assert 'id="not-me-applied"' in shown.text and "contact support at" in shown.text
    assert 'id="not-me-form"' not in shown.text
    sent = len(smtp.messages)

    # A form fetched in time and posted too late changes nothing either.
    made2, token2 = noticed()
    client = app.test_client()
    csrf = csrf_token(client.get(f"/not-me/{token2}").text)
    made2.approve(later(-0.01))
    late = client.post(f"/not-me/{token2}", data={"csrf_token": csrf})
    assert late.status_code == 409 and 'id="not-me-applied"' in late.text
    for ref in (made.reference, made2.reference):
        row = ticket_row(app, ref)
        assert (row.status, row.disputed_at, "disputed" in row.flags) == ("approved", None, False)
        assert "disputed" not in [a for a, _, _ in history(app, ref)]
    from triage.extensions import db
    from triage.recovery.models import DisputeLink

    with app.app_context():
        assert all(link.used_at is None for link in db.session.scalars(select(DisputeLink)))
    assert len(smtp.messages) >= sent  # nothing about a dispute was queued
    assert not [n for n in notifications(app, made2.reference) if n["kind"] == "disputed"]


def test_a_closed_request_has_nothing_to_stop(app, noticed):
    made, token = noticed()
    set_columns(app, made.reference, status="rejected")
    shown = page(app.test_client(), token)
    assert shown.status_code == 409 and 'id="not-me-closed"' in shown.text


def test_a_second_link_of_a_disputed_ticket_says_it_is_on_hold(app, noticed, smtp):
    made, first = noticed()
    made.approve(later(72))
    [token] = links_in(owner_messages(smtp, 4)[-1])
    assert token != first
    assert press(app.test_client(), first).status_code == 200
    shown = page(app.test_client(), token)
    assert shown.status_code == 409 and 'id="not-me-on-hold"' in shown.text
    # A lead approved again after the dispute: the old links cannot reopen it.
    made.approve(later(72), after_dispute=True)
    shown = page(app.test_client(), token)
    assert shown.status_code == 409 and 'id="not-me-reviewed"' in shown.text


def test_two_posts_of_one_link_at_once_exactly_one_wins(app, noticed):
    for _ in range(6):
        made, token = noticed()
        answers = post_together(app, [token, token])
        assert sorted(a.status_code for a in answers) == [200, 404], [a.text[:300] for a in answers]
        assert [a for a, _, _ in history(app, made.reference)].count("disputed") == 1
        assert ticket_row(app, made.reference).status == "disputed"


def test_two_links_of_one_ticket_at_once_dispute_it_once(app, noticed, smtp):
    for _ in range(4):
        made, first = noticed()
        made.approve(later(72))
        [second] = links_in(smtp.to(OWNER)[-1])
        answers = post_together(app, [first, second])
        codes = sorted(a.status_code for a in answers)
        assert codes == [200, 409], [a.text[:300] for a in answers]
        assert 'id="not-me-on-hold"' in max(answers, key=lambda a: a.status_code).text
        assert [a for a, _, _ in history(app, made.reference)].count("disputed") == 1


@pytest.fixture
def limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_STORAGE_URI"] = "memory://"


def test_the_page_is_rate_limited_per_client(limited, app):
    client = app.test_client()
    codes = [page(client, "y" * 43).status_code for _ in range(11)]
    assert codes == [404] * 10 + [429]
