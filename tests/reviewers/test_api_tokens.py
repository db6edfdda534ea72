"""Reviewer API tokens cannot be guessed at speed: failed lookups are limited per address
(security.md, "State, text and load")."""

from __future__ import annotations

import pytest


@pytest.fixture
def limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    return app_config


def _queue(client, token: str, address: str = "10.0.0.1"):
    return client.get(
        "/api/v1/queue",
        headers={"Authorization": f"Bearer {token}"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_failed_token_lookups_from_one_address_are_limited(limited, app, reviewer):
    client = app.test_client()
    for n in range(20):
        assert _queue(client, f"rvw_guess{n}").status_code == 401
    response = _queue(client, "rvw_guess-after-the-limit")
    assert response.status_code == 429
    assert response.json["error"]["code"] == "rate_limited"
    # The address that guessed waits even with a good token; another address does not.
    assert _queue(client, reviewer.token).status_code == 429
    assert _queue(client, reviewer.token, "10.0.0.2").status_code == 200


def test_good_tokens_are_never_counted(limited, app, reviewer):
    client = app.test_client()
    for _ in range(30):
        assert _queue(client, reviewer.token).status_code == 200


def test_without_rate_limits_nothing_is_counted(app, reviewer):
    client = app.test_client()
    for n in range(25):
        assert _queue(client, f"rvw_guess{n}").status_code == 401
