"""The registered owner is told (recovery.md "Notice to the registered owner, and a
waiting period"): at submission, when the record arrives late, and at the final approval;
only when the registered email differs from the ticket's contact email; never for unfreeze.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from tests.recovery.conftest import (
    CONTACT,
    OWNER,
    UNFREEZE,
    history,
    html_part,
    later,
    links_in,
    notifications,
    owner_messages,
    record_of,
    set_columns,
    text_part,
)


def test_a_submitted_change_tells_the_registered_email_with_a_one_time_link(
    app, change_ticket, smtp
):
    made = change_ticket()
    [notice] = owner_messages(smtp, 2)
    assert "acme-cloud" in notice["Subject"]
    text, html = text_part(notice), html_part(notice)
    for body in (text, html):
        assert "acme-cloud" in body
        assert "+44 ***-****-0123" in body  # the new contact, masked
        assert "7700 900123" not in body and "7700900123" not in body
        assert "(UTC)" in body
    [token] = links_in(notice)
    assert f"https://triage.example/not-me/{token}?lang=en" in text

    kinds = [(n["kind"], n["recipient"]) for n in notifications(app, made.reference)]
    assert ("owner_notice", OWNER) in kinds
    # The customer's own emails still go to the contact address only.
    assert all(r == CONTACT for k, r in kinds if k != "owner_notice")
    assert ("notification_sent", "system", "owner_notice") in [
        (a, actor, d.get("kind")) for a, actor, d in history(app, made.reference)
    ]
    # The registered email is a contact of record: the history shows it masked only.
    sent_to = [d.get("to") for a, _, d in history(app, made.reference) if a == "notification_sent"]
    assert OWNER not in sent_to
    assert OWNER[0] + "***@" + OWNER.split("@")[1] in sent_to


def test_the_token_is_stored_only_as_its_sha256(app, change_ticket, smtp):
    from triage.extensions import db
    from triage.history.models import Event
    from triage.notifications.models import Notification
    from triage.recovery.models import DisputeLink

    made = change_ticket()
    [token] = links_in(owner_messages(smtp, 2)[0])
    with app.app_context():
        [link] = db.session.scalars(select(DisputeLink)).all()
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert link.used_at is None
        notification = db.session.get(Notification, link.notification_id)
        assert notification.kind == "owner_notice" and notification.recipient == OWNER
        stored = [repr(n.context) for n in db.session.scalars(select(Notification))]
        stored += [repr(e.details) for e in db.session.scalars(select(Event))]
    assert not any(token in text for text in stored)
    assert made.reference


def test_no_notice_when_the_registered_email_is_the_contact_email(app, change_ticket, smtp):
    # Compared normalised: case and full-width letters do not make another address.
    made = change_ticket(owner="Owner@EXAMPLE.com")
    smtp.wait_for(1, timeout=5)
    assert [n["kind"] for n in notifications(app, made.reference)] == ["ticket_created"]
    assert smtp.to(OWNER) == []


def test_no_notice_for_an_unfreeze_ticket(app, change_ticket, smtp):
    made = change_ticket(base=UNFREEZE)
    smtp.wait_for(1, timeout=5)
    assert "owner_notice" not in [n["kind"] for n in notifications(app, made.reference)]
    assert smtp.to(OWNER) == []


def test_no_notice_without_a_record_or_without_a_registered_email(app, change_ticket, smtp):
    unknown = change_ticket(record_status="unknown", owner=None)
    assert "owner_notice" not in [n["kind"] for n in notifications(app, unknown.reference)]


def test_a_record_that_arrives_after_submission_sends_the_notice_then_once(
    app, change_ticket, smtp
):
    from triage.extensions import db
    from triage.history.models import record
    from triage.tickets.models import Ticket

    made = change_ticket(record_status="pending")
    assert "owner_notice" not in [n["kind"] for n in notifications(app, made.reference)]

    def checked() -> None:
        # What the accounts part's recheck job writes once the directory answers.
        with app.app_context():
            ticket = db.session.scalar(select(Ticket).where(Ticket.reference == made.reference))
            ticket.record = record_of(OWNER)
            ticket.record_status = "matched"
            record(ticket.id, "system", "record_checked", status="matched")
            db.session.commit()

    checked()
    checked()  # a second completion (another worker) sends nothing more
    [notice] = owner_messages(smtp, 2)
    assert len(links_in(notice)) == 1
    kinds = [n["kind"] for n in notifications(app, made.reference)]
    assert kinds.count("owner_notice") == 1


def test_a_record_checked_on_a_draft_waits_for_the_submission(app, change_ticket, smtp):
    made = change_ticket(submit=False)
    assert "owner_notice" not in [n["kind"] for n in notifications(app, made.reference)]
    assert made.ticket.submit().status_code == 200
    assert [n["kind"] for n in notifications(app, made.reference)].count("owner_notice") == 1


def test_the_final_approval_tells_the_owner_when_it_takes_effect_with_a_fresh_link(
    app, change_ticket, smtp
):
    made = change_ticket()
    [first] = owner_messages(smtp, 2)
    made.approve(later(72))
    messages = owner_messages(smtp, 4)
    assert len(messages) == 2
    second = messages[1]
    assert "approved" in second["Subject"]
    assert "takes effect on" in text_part(second)
    assert links_in(second) and links_in(second) != links_in(first)

    # The customer's decision email says when the change takes effect.
    [decision] = [m for m in smtp.to(CONTACT) if "approved" in m["Subject"]]
    assert "takes effect on" in text_part(decision)
    assert "takes effect on" in html_part(decision)


def test_an_approval_after_a_dispute_tells_the_owner_without_a_new_link(app, change_ticket, smtp):
    made = change_ticket()
    owner_messages(smtp, 2)
    set_columns(app, made.reference, disputed_at=later(0))
    made.approve(later(1), after_dispute=True)
    smtp.wait_for(4, timeout=10)
    approved = [n for n in notifications(app, made.reference) if n["kind"] == "owner_approved"]
    assert approved and approved[0]["context"]["link"] is False
    [message] = [m for m in smtp.to(OWNER) if "approved" in m["Subject"]]
    assert links_in(message) == []


def test_an_unfreeze_decision_says_nothing_about_taking_effect(app, change_ticket, smtp):
    made = change_ticket(base=UNFREEZE)
    made.approve(None)
    smtp.wait_for(2, timeout=10)
    [decision] = [m for m in smtp.to(CONTACT) if "approved" in m["Subject"]]
    assert "takes effect" not in text_part(decision)
    assert smtp.to(OWNER) == []
