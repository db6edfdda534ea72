"""Every 429 says when to come back (README: "A refused request gets `429` with
`Retry-After`; no answer carries `X-RateLimit-*` headers"), from the limit that refused."""

from __future__ import annotations

import pytest

from tests.conftest import UNFREEZE_WITH_CARD


@pytest.fixture
def limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_STORAGE_URI"] = "memory://"


def retry_after(response, at_most: int) -> int:
    """The answer's Retry-After: a positive whole number of seconds, at most `at_most`
    (callers other than test_retry_after_is_at_most_the_window allow the window plus the
    one second that test is about)."""
    assert response.status_code == 429, response.get_data(as_text=True)[:300]
    value = response.headers.get("Retry-After")
    assert value is not None, f"429 without Retry-After: {dict(response.headers)}"
    assert value.isdigit() and 1 <= int(value) <= at_most, value
    assert not any(h.lower().startswith("x-ratelimit") for h, _ in response.headers.items())
    return int(value)


def test_reviewer_token_guessing_429_says_when_to_come_back(limited, client):
    """api.md: 20 failed reviewer-token lookups a minute per address, then 429
    (triage.security.refuse_token_guessing raises RateLimited, which triage_error answers
    without the Retry-After http_error adds)."""
    headers = {"Authorization": "Bearer not-a-reviewer-token"}
    statuses = [client.get("/api/v1/queue", headers=headers).status_code for _ in range(21)]
    assert statuses == [401] * 20 + [429]
    retry_after(client.get("/api/v1/queue", headers=headers), 61)


def test_access_code_guessing_429_says_when_to_come_back(limited, make_ticket, client):
    ticket = make_ticket()
    path = f"/api/v1/tickets/{ticket.reference}"
    for i in range(30):
        client.get(path, headers={"Authorization": f"Bearer GUESS-{i}"})
    retry_after(client.get(path, headers={"Authorization": "Bearer GUESS-x"}), 3601)


def test_a_page_429_says_when_to_come_back(limited, client):
    from tests.conftest import csrf_token

    token = csrf_token(client.get("/resume").text)
    data = {"reference": "UF-AAAA-AAAA", "code": "A" * 20, "csrf_token": token}
    statuses = [client.post("/resume", data=data).status_code for _ in range(11)]
    assert statuses[-1] == 429 and 429 not in statuses[:10], statuses
    response = client.post("/resume", data=data)
    assert response.content_type.startswith("text/html")
    retry_after(response, 61)


def test_retry_after_is_at_most_the_window(limited, client, monkeypatch):
    """A "5 per minute" limit refusing one instant after its window opened: the window ends in
    under 60 s, so Retry-After must be at most 60. `_retry_after` takes Flask-Limiter's
    `RequestLimit.reset_at`, which is `int(window_end + 1)` (rounded up to the next whole
    second, plus one), and rounds up again: 61 whenever the window opened at a fraction
    of a second below .8 or so. Time is frozen at .2 past a second to make it certain."""
    import time

    monkeypatch.setattr(time, "time", lambda: 1_900_000_000.2)
    for _ in range(5):
        assert client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD).status_code == 201
    retry_after(client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD), 60)


def test_sign_in_429_for_an_account_tried_from_many_addresses(limited, app, make_reviewer):
    """The account's "10 per hour" (any address) refuses: Retry-After from that limit."""
    from tests.conftest import csrf_token

    reviewer = make_reviewer("rita@example.com")
    statuses = []
    for i in range(11):
        browser = app.test_client()
        env = {"REMOTE_ADDR": f"10.0.0.{i + 1}"}
        page = browser.get("/review/sign-in", environ_base=env)
        statuses.append(
            browser.post(
                "/review/sign-in",
                data={
                    "email": reviewer.email,
                    "password": "wrong password here",
                    "csrf_token": csrf_token(page.text),
                },
                environ_base=env,
            )
        )
    assert [r.status_code for r in statuses] == [401] * 10 + [429]
    seconds = retry_after(statuses[-1], 3601)
    assert seconds > 60, "the account's hour limit refused, not a minute's"


def test_resend_link_429_per_reference_says_up_to_an_hour(limited, client):
    """Three shared limits on one route; the reference's "5 per hour" refuses the sixth
    request for one reference (each from another address, to another contact)."""
    answers = [
        client.post(
            "/api/v1/tickets/UF-AAAA-BBBB/resend-link",
            json={"contact_email": f"someone{i}@example.com"},
        )
        for i in range(6)
    ]
    assert [a.status_code for a in answers] == [202] * 5 + [429]
    seconds = retry_after(answers[-1], 3601)
    assert seconds > 60, "the hour's limit refused"
