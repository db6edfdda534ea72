"""Sessions can be revoked, and cookies carry no access code (security.md, "State, text and
load"): signing out and "forget this device" end the session on the server, so a copy of
the cookie taken before stops working.
"""

from __future__ import annotations

import base64
import json
import zlib

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token
from tests.review import helpers
from tests.review.helpers import sign_in
from tests.tickets.conftest import UNFREEZE_FORM, create_on_web, form_token

make_reviewer, reviewer = helpers.make_reviewer, helpers.reviewer  # fixtures


def copy_of(browser: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of `browser`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    return thief


def session_text(app: Flask, cookie: str) -> str:
    """Everything the signed session cookie says, as readable text (it is not encrypted)."""
    payload = cookie.split(".")[1 if cookie.startswith(".") else 0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if cookie.startswith("."):
        raw = zlib.decompress(raw)
    decoded = app.session_interface.get_signing_serializer(app).loads(cookie)
    return raw.decode() + json.dumps(decoded)


# --- reviewers -------------------------------------------------------------------------------


def test_a_reviewer_cookie_copied_before_sign_out_no_longer_opens_the_queue(app, reviewer):
    browser = app.test_client()
    sign_in(browser, reviewer.email)
    thief = copy_of(browser, app)
    assert thief.get("/review/").status_code == 200  # the copy works while signed in

    queue = browser.get("/review/")
    browser.post("/review/sign-out", data={"csrf_token": csrf_token(queue.text)})

    response = thief.get("/review/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/review/sign-in")


def test_signing_out_ends_the_reviewers_sessions_on_every_device(app, reviewer):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, reviewer.email)
    sign_in(phone, reviewer.email)
    queue = laptop.get("/review/")
    laptop.post("/review/sign-out", data={"csrf_token": csrf_token(queue.text)})
    assert phone.get("/review/").status_code == 302  # one epoch per reviewer: all end


def test_a_reviewer_signs_in_again_after_signing_out(app, reviewer):
    browser = app.test_client()
    sign_in(browser, reviewer.email)
    queue = browser.get("/review/")
    browser.post("/review/sign-out", data={"csrf_token": csrf_token(queue.text)})
    assert sign_in(browser, reviewer.email).status_code == 302
    assert browser.get("/review/").status_code == 200


def test_a_session_without_the_current_epoch_opens_nothing(app, reviewer):
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = str(reviewer.id)  # a cookie from before epochs
        session["_fresh"] = True
    assert browser.get("/review/").status_code == 302


# --- customers -------------------------------------------------------------------------------


def test_a_customer_cookie_copied_before_forget_no_longer_opens_the_ticket(app, client):
    reference, _ = create_on_web(client)
    thief = copy_of(client, app)
    assert thief.get(f"/tickets/{reference}").status_code == 200

    token = form_token(client, f"/tickets/{reference}")
    forget = client.post(f"/tickets/{reference}/forget", data={"csrf_token": token})
    assert forget.status_code == 302

    for browser in (client, thief):
        response = browser.get(f"/tickets/{reference}")
        assert response.status_code == 302
        assert response.headers["Location"] == f"/resume?reference={reference}"
        upload = browser.post(f"/tickets/{reference}/evidence", data={"csrf_token": token})
        assert upload.status_code == 404  # nor can it act on the ticket


def test_forgetting_one_device_leaves_the_others(app, client, new_client):
    reference, code = create_on_web(client)
    laptop = new_client()
    token = form_token(laptop, "/resume")
    laptop.post("/resume", data={"reference": reference, "code": code, "csrf_token": token})
    assert laptop.get(f"/tickets/{reference}").status_code == 200

    token = form_token(client, f"/tickets/{reference}")
    client.post(f"/tickets/{reference}/forget", data={"csrf_token": token})
    assert client.get(f"/tickets/{reference}").status_code == 302
    assert laptop.get(f"/tickets/{reference}").status_code == 200


def test_signing_in_as_a_reviewer_ends_the_browsers_ticket_grants_on_the_server(
    app, client, reviewer
):
    reference, _ = create_on_web(client)
    thief = copy_of(client, app)
    sign_in(client, reviewer.email)
    assert thief.get(f"/tickets/{reference}").status_code == 302


def test_a_cookie_from_before_server_side_grants_opens_nothing(app, client):
    reference, _ = create_on_web(client)
    old = app.test_client()
    with old.session_transaction() as session:
        session["tickets"] = [reference]  # the old format: a list of references
    assert old.get(f"/tickets/{reference}").status_code == 302


# --- the access code -------------------------------------------------------------------------


def test_the_access_code_is_never_in_a_cookie(app, client):
    from triage.extensions import db
    from triage.grants.models import TicketGrant

    token = form_token(client, "/new/unfreeze")
    response = client.post("/new/unfreeze", data={**UNFREEZE_FORM, "csrf_token": token})
    assert response.status_code == 302
    cookie_after_post = client.get_cookie("session").value

    # Between the two requests only a sealed copy exists, in this browser's grant row.
    with app.app_context():
        sealed = db.session.scalars(db.select(TicketGrant.sealed_code)).one()
    assert sealed

    page = client.get(response.headers["Location"])
    code = page.text.split('id="access-code">')[1].split("<")[0]
    plain = code.replace("-", "")
    for cookie in (cookie_after_post, client.get_cookie("session").value):
        text = session_text(app, cookie)
        assert code not in text and plain not in text
    assert code not in sealed and plain not in sealed
    with app.app_context():
        assert db.session.scalars(db.select(TicketGrant.sealed_code)).one() is None  # shown: gone

    again = client.get(response.headers["Location"])
    assert again.status_code == 302  # shown once; a reload goes to the ticket
    assert code not in client.get(again.headers["Location"]).text


def test_the_code_page_is_never_cached(client):
    token = form_token(client, "/new/unfreeze")
    response = client.post("/new/unfreeze", data={**UNFREEZE_FORM, "csrf_token": token})
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"


def test_the_database_alone_cannot_unseal_the_code(app, client):
    """The sealed code needs the grant token, which only the browser holds: the database
    keeps its SHA-256, so a copy of the database alone reveals no code."""
    from triage.extensions import db
    from triage.grants import operations as grants
    from triage.grants.models import TicketGrant
    from triage.tickets.models import Ticket

    token = form_token(client, "/new/unfreeze")
    client.post("/new/unfreeze", data={**UNFREEZE_FORM, "csrf_token": token})
    with app.app_context():
        grant = db.session.scalars(db.select(TicketGrant)).one()
        reference = db.session.get(Ticket, grant.ticket_id).reference
        assert grants.take_code(grant.token_hash, reference) is None  # the hash is not the key


def test_a_second_ticket_drops_the_first_tickets_unshown_code(app, client):
    from triage.extensions import db
    from triage.grants.models import TicketGrant

    for _ in range(2):
        token = form_token(client, "/new/unfreeze")
        client.post("/new/unfreeze", data={**UNFREEZE_FORM, "csrf_token": token})
    with app.app_context():
        sealed = db.session.scalars(db.select(TicketGrant.sealed_code)).all()
    assert len([s for s in sealed if s]) == 1


def test_typing_the_code_again_replaces_the_browsers_grant(app, client):
    from triage.extensions import db
    from triage.grants.models import TicketGrant

    reference, code = create_on_web(client)
    thief = copy_of(client, app)
    token = form_token(client, "/resume")
    client.post("/resume", data={"reference": reference, "code": code, "csrf_token": token})
    assert client.get(f"/tickets/{reference}").status_code == 200
    assert thief.get(f"/tickets/{reference}").status_code == 302  # the old grant is gone
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(TicketGrant)) == 1


def test_expired_grants_open_nothing_and_are_removed(app, client, new_client):
    from datetime import timedelta

    from triage.extensions import db
    from triage.grants.models import TicketGrant
    from triage.grants.operations import GRANT_MAX_AGE
    from triage.timeutil import utcnow

    reference, code = create_on_web(client)
    with app.app_context():
        db.session.execute(
            db.update(TicketGrant).values(
                created_at=utcnow() - GRANT_MAX_AGE - timedelta(minutes=1)
            )
        )
        db.session.commit()
    assert client.get(f"/tickets/{reference}").status_code == 302

    other = new_client()
    token = form_token(other, "/resume")
    other.post("/resume", data={"reference": reference, "code": code, "csrf_token": token})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(TicketGrant)) == 1
