"""Email through a transactional outbox (api.md "Notifications"; issue 11, item 2).

The SMTP server is real (aiosmtpd, in this process); jobs run eagerly here, and
tests/jobs runs them on real workers.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import UNFREEZE_WITH_CARD
from tests.notifications.conftest import free_port, html_part, text_part
from tests.review.helpers import evidence_ids


def rows(app, **where):
    from triage.extensions import db
    from triage.notifications.models import Notification

    with app.app_context():
        query = select(Notification).filter_by(**where).order_by(Notification.id)
        return [
            {c: getattr(n, c) for c in ("id", "kind", "status", "attempts", "recipient")}
            for n in db.session.scalars(query)
        ]


def actions(reviewer, reference: str) -> list[tuple[str, str | None]]:
    return [(e["action"], e["details"].get("kind")) for e in reviewer.history(reference)]


# --- what each change sends ------------------------------------------------------------------


def test_a_new_ticket_is_emailed_with_its_reference_and_how_to_come_back_never_the_code(
    app, client, smtp, reviewer
):
    response = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    assert response.status_code == 201
    reference, code = response.json["reference"], response.json["access_token"]

    [message] = smtp.wait_for(1)
    assert message["To"] == "owner@example.com"
    assert message["From"] == "Evidence triage <desk@triage.example>"
    assert reference in message["Subject"]
    text, html = text_part(message), html_part(message)
    for body in (text, html):
        assert reference in body
        assert f"https://triage.example/resume?reference={reference}" in body
        assert f"https://triage.example/tickets/resend-link?reference={reference}" in body
        assert code not in body and code.replace("-", "") not in body
    assert "We never send the access code by email." in text
    assert message["Content-Language"] == "en"
    # The account's record is checked at creation (recovery.md), then the email goes.
    assert actions(reviewer, reference)[:3] == [
        ("created", None),
        ("record_checked", None),
        ("notification_sent", "ticket_created"),
    ]
    assert rows(app)[0] | {"id": 0} == {
        "id": 0,
        "kind": "ticket_created",
        "status": "sent",
        "attempts": 1,
        "recipient": "owner@example.com",
    }


def test_the_ticket_keeps_the_language_it_was_filed_in(app, client, smtp):
    response = client.post(
        "/api/v1/tickets", json=UNFREEZE_WITH_CARD, headers={"Accept-Language": "es-CL,es;q=0.9"}
    )
    assert response.status_code == 201
    [message] = smtp.wait_for(1)
    assert message["Content-Language"] == "es"
    assert '<html lang="es">' in html_part(message)
    reference = response.json["reference"]
    assert message["Subject"] == f"Su solicitud {reference}: cómo volver a ella"
    assert "Recibimos su solicitud" in html_part(message)


def test_an_email_is_written_in_chinese_for_a_ticket_filed_in_chinese(app, client, smtp):
    response = client.post("/api/v1/tickets?lang=zh_Hans", json=UNFREEZE_WITH_CARD)
    assert response.status_code == 201
    [message] = smtp.wait_for(1)
    assert message["Subject"].strip() == f"您的工单 {response.json['reference']}：如何再次访问"  # noqa: RUF001 - Chinese punctuation
    assert message["Content-Language"] == "zh-Hans"


def test_materials_requested_a_file_rejected_and_the_decision_are_each_emailed(
    app, smtp, submitted, reviewer
):
    ticket = submitted()
    assert reviewer.claim().status_code == 200
    card = evidence_ids(ticket)["card_front"]
    assert reviewer.review(card, "rejected", "glare", "The top half is white.").status_code == 200
    asked = reviewer.request_materials(
        ticket.reference, ["card_front", "driver_license"], "The card photo has glare."
    )
    assert asked.status_code == 200, asked.json
    subjects = [m["Subject"] for m in smtp.wait_for(3)]
    assert subjects == [
        f"Your ticket {ticket.reference}: how to come back to it",
        f"Ticket {ticket.reference}: a file could not be accepted",
        f"Ticket {ticket.reference}: we need more from you",
    ]
    rejected, requested = smtp.messages[1], smtp.messages[2]
    text = text_part(rejected)
    assert "card.png" in text
    assert "Glare or reflections hide part of the document" in text  # the customer's words
    assert "The top half is white." in text
    text = text_part(requested)
    assert "The card photo has glare." in text
    assert "  - Driver license" in text
    assert "<li>Driver license</li>" in html_part(requested)

    # The customer answers, the reviewer decides.
    ticket.upload("card_front", b"\x89PNG" + b"0" * 10, "c.png")  # refused or not: no email
    assert ticket.submit("Here it is").status_code == 200
    assert reviewer.claim().status_code == 200
    assert (
        reviewer.decide(ticket.reference, "rejected", "The card is not yours.").status_code == 200
    )
    decision = smtp.wait_for(4)[-1]
    assert decision["Subject"] == f"Ticket {ticket.reference}: your request was not approved"
    assert "The card is not yours." in text_part(decision)
    sent = [kind for action, kind in actions(reviewer, ticket.reference) if kind]
    assert sent == ["ticket_created", "file_rejected", "materials_requested", "decision"]
    assert len(smtp.messages) == 4  # nothing for uploads, submissions, accepted files


def test_a_change_that_rolls_back_sends_nothing(app, smtp):
    from triage.extensions import db
    from triage.notifications.models import Notification
    from triage.tickets.operations import create_ticket

    with app.app_context():
        create_ticket(UNFREEZE_WITH_CARD)
        db.session.flush()
        assert db.session.scalar(select(Notification.kind)) == "ticket_created"  # with it
        db.session.rollback()
        db.session.commit()  # a later commit of the same session does not resurrect it
    assert rows(app) == []
    assert smtp.messages == []


# --- exactly once ----------------------------------------------------------------------------


def _pending(app) -> int:
    """A ticket's notification left pending, as if its send job was lost."""
    from triage.extensions import db
    from triage.notifications.models import Notification

    app.config["CELERY_TASK_ALWAYS_EAGER"] = True
    with app.app_context():
        celery = app.extensions["celery"]
        celery.conf.task_always_eager = False
        celery.conf.broker_url = "memory://"  # the job goes nowhere: the row stays pending
        from triage.tickets.operations import create_ticket

        create_ticket(UNFREEZE_WITH_CARD)
        db.session.commit()
        celery.conf.task_always_eager = True
        return db.session.scalar(select(Notification.id))


def test_eight_workers_at_once_send_a_notification_exactly_once(app, smtp):
    from triage.notifications.operations import send_notification

    notification = _pending(app)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def worker(n: int) -> None:
        with app.app_context():
            barrier.wait()
            outcomes.append(send_notification(notification, f"worker-{n}").outcome)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["sent"] + ["skipped"] * 7
    assert len(smtp.messages) == 1
    assert rows(app)[0]["status"] == "sent"
    # Run again, it changes nothing.
    with app.app_context():
        assert send_notification(notification, "late-worker").outcome == "skipped"
    assert len(smtp.messages) == 1


def test_a_row_whose_worker_died_is_sent_by_another_after_its_lease(app, smtp):
    from triage.extensions import db
    from triage.notifications.models import Notification
    from triage.notifications.operations import claim, send_notification
    from triage.timeutil import utcnow

    notification = _pending(app)
    with app.app_context():
        assert claim(notification, "dies-now")
        assert send_notification(notification, "other").outcome == "skipped"  # leased
        row = db.session.get(Notification, notification)
        row.lease_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert send_notification(notification, "other").outcome == "sent"
    assert len(smtp.messages) == 1
    assert rows(app)[0]["attempts"] == 2


def test_the_sweep_sends_what_was_never_enqueued(app, smtp):
    from triage.extensions import db
    from triage.notifications.models import Notification
    from triage.notifications.operations import SWEEP_AFTER
    from triage.timeutil import utcnow

    notification = _pending(app)
    with app.app_context():
        app.extensions["celery"].tasks["triage.notifications.sweep"].delay()
        assert smtp.messages == []  # not yet: it may still be on its way
        row = db.session.get(Notification, notification)
        row.next_attempt_at = utcnow() - SWEEP_AFTER - timedelta(seconds=1)
        db.session.commit()
        app.extensions["celery"].tasks["triage.notifications.sweep"].delay()
    assert len(smtp.wait_for(1)) == 1
    assert rows(app)[0]["status"] == "sent"


# --- failures: retried, then notification_failed ---------------------------------------------


@pytest.fixture
def mail_down(app_config):
    app_config["MAIL_PORT"] = free_port()  # nothing listens there
    app_config["MAIL_TIMEOUT"] = 2


def test_a_server_that_never_answers_is_retried_then_notification_failed(
    mail_down, app, client, reviewer, lead
):
    response = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    assert response.status_code == 201  # the change commits whatever the mail server does
    reference = response.json["reference"]
    [row] = rows(app)
    assert (row["status"], row["attempts"]) == ("failed", 6)  # the first try and 5 retries
    events = [e for e in reviewer.history(reference) if e["action"].startswith("notification")]
    assert [e["action"] for e in events] == ["notification_failed"]
    assert events[0]["details"]["kind"] == "ticket_created"
    assert (
        "Connection" in events[0]["details"]["error"] or "refused" in events[0]["details"]["error"]
    )
    # A lead sees the failed job.
    from tests.review.helpers import sign_in

    desk = app.test_client()
    sign_in(desk, lead.email)
    page = desk.get("/review/jobs/")
    assert page.status_code == 200
    assert "triage.notifications.send" in page.text
    assert "Failed" in page.text
    other = app.test_client()
    sign_in(other, reviewer.email)
    assert other.get("/review/jobs/").status_code == 403


def test_a_refused_recipient_fails_at_once_without_retries(app, client, smtp, reviewer):
    smtp.refuse = "550 5.1.1 No such mailbox"
    response = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    assert response.status_code == 201
    [row] = rows(app)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert ("notification_failed", "ticket_created") in actions(
        reviewer, response.json["reference"]
    )


# --- without MAIL_SERVER ---------------------------------------------------------------------


def test_without_a_mail_server_messages_are_eml_files_in_the_instance_folder(tmp_path, app_config):
    from email import message_from_bytes, policy

    from triage.app import create_app

    app_config.pop("MAIL_SERVER")
    app_config["TESTING"] = False
    production_like = create_app(app_config)
    assert production_like.config["MAIL_BACKEND"] == "triage.notifications.eml"
    assert production_like.config["MAIL_FILE_PATH"].endswith("instance/mail")

    app_config.update(
        TESTING=True, MAIL_BACKEND="triage.notifications.eml", MAIL_FILE_PATH=str(tmp_path / "mail")
    )
    app = create_app(app_config)
    response = app.test_client().post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    assert response.status_code == 201
    [eml] = list((tmp_path / "mail").glob("*.eml"))
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert response.json["reference"] in message["Subject"]
    assert message.get_body(("html",)) is not None
