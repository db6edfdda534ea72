"""Reviewer sign-in and sign-out, with throttled failures."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token
from tests.review.helpers import PASSWORD, page_token, sign_in


@pytest.fixture
def browser(app):
    return app.test_client()


def test_sign_in_and_out(browser, reviewer):
    page = browser.get("/review/sign-in")
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.text
    response = sign_in(browser, reviewer.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/review/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    queue = browser.get("/review/")
    assert queue.status_code == 200
    assert "Sign out Rita" in queue.text
    response = browser.post("/review/sign-out", data={"csrf_token": csrf_token(queue.text)})
    assert response.status_code == 302
    assert browser.get("/review/").status_code == 302  # signed out
    assert "You are signed out." in browser.get("/review/sign-in").text


def test_email_is_case_insensitive(browser, reviewer):
    assert sign_in(browser, reviewer.email.upper()).status_code == 302


@pytest.mark.parametrize(
    "email,password",
    [
        ("rita@example.com", "wrong password!"),
        ("nobody@example.com", PASSWORD),
    ],
)
def test_wrong_credentials_say_nothing_about_which_part(browser, reviewer, email, password):
    response = sign_in(browser, email, password)
    assert response.status_code == 401
    assert "Those details do not match an active reviewer account." in response.text
    assert browser.get("/review/").status_code == 302


def test_an_inactive_reviewer_cannot_sign_in(browser, reviewer, app):
    from triage.extensions import db
    from triage.reviewers.models import Reviewer

    with app.app_context():
        db.session.get(Reviewer, reviewer.id).active = False
        db.session.commit()
    assert sign_in(browser, reviewer.email).status_code == 401


def test_a_deactivated_reviewers_session_ends(browser, reviewer, app):
    from triage.extensions import db
    from triage.reviewers.models import Reviewer

    sign_in(browser, reviewer.email)
    with app.app_context():
        db.session.get(Reviewer, reviewer.id).active = False
        db.session.commit()
    assert browser.get("/review/").status_code == 302


def test_an_empty_form_or_a_missing_csrf_token_is_refused(browser, reviewer):
    token = page_token(browser, "/review/sign-in")
    response = browser.post("/review/sign-in", data={"csrf_token": token})
    assert response.status_code == 400
    assert "Enter your email address." in response.text
    response = browser.post("/review/sign-in", data={"email": reviewer.email, "password": PASSWORD})
    assert response.status_code == 400
    assert browser.get("/review/").status_code == 302


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/review/tickets/UF-AAAA-BBBB", "/review/tickets/UF-AAAA-BBBB"),
        ("https://evil.example/", "/review/"),
        ("//evil.example/", "/review/"),
        ("/\\evil.example", "/review/"),
    ],
)
def test_next_goes_only_to_this_site(browser, reviewer, target, expected):
    response = sign_in(browser, reviewer.email, next_url=target)
    assert response.headers["Location"] == expected


def test_a_page_sends_a_stranger_to_sign_in_and_back(browser, reviewer):
    response = browser.get("/review/?type=unfreeze")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/review/sign-in?next=")
    page = browser.get(location)
    assert "Sign in as a reviewer to see this page." in page.text
    response = browser.post(
        location,
        data={"email": reviewer.email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert response.headers["Location"] == "/review/?type=unfreeze"


def test_signing_in_drops_what_the_session_held_before(app, browser, reviewer, make_ticket):
    ticket = make_ticket()
    token = page_token(browser, "/resume")
    browser.post(
        "/resume", data={"reference": ticket.reference, "code": ticket.token, "csrf_token": token}
    )
    assert browser.get(f"/tickets/{ticket.reference}").status_code == 200
    sign_in(browser, reviewer.email)
    assert browser.get(f"/tickets/{ticket.reference}").status_code == 302  # grant gone


# --- throttling -------------------------------------------------------------------------------


@pytest.fixture
def limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    return app_config


def _attempt(client, email, password, address="10.0.0.1"):
    page = client.get("/review/sign-in", environ_base={"REMOTE_ADDR": address})
    return client.post(
        "/review/sign-in",
        environ_base={"REMOTE_ADDR": address},
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
    )


def test_repeated_failures_from_one_address_are_throttled(limited, app, reviewer, other_reviewer):
    client = app.test_client()
    for _ in range(5):
        assert _attempt(client, "someone@example.com", "guess guess guess").status_code == 401
    response = _attempt(client, reviewer.email, PASSWORD)  # even the right password waits
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    # Another address is not affected.
    assert _attempt(client, reviewer.email, PASSWORD, "10.0.0.2").status_code == 302


def test_successful_sign_ins_are_not_counted(limited, app, reviewer):
    client = app.test_client()
    for _ in range(7):
        assert _attempt(client, reviewer.email, PASSWORD).status_code == 302


def test_repeated_failures_on_one_account_are_throttled(limited, app, reviewer, other_reviewer):
    client = app.test_client()
    for n in range(10):  # spread over addresses, so only the per-account limit sees them all
        response = _attempt(client, reviewer.email, "not the password", f"10.0.1.{n}")
        assert response.status_code == 401
    assert _attempt(client, reviewer.email, PASSWORD, "10.0.2.1").status_code == 429
    # Other accounts still sign in from anywhere.
    assert _attempt(client, other_reviewer.email, PASSWORD, "10.0.2.1").status_code == 302
