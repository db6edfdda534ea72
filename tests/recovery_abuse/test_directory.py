"""A hostile or broken HTTP account directory (recovery.md "Accounts of record": "A
directory that does not answer never blocks a customer")."""

from __future__ import annotations

import json

import pytest

from tests.accounts.conftest import (  # noqa: F401 - fixtures
    ACME_RECORD,
    CLAIMS_NOTHING,
    directory,
    directory_down,
    http_config,
)
from tests.accounts.test_creation import _stored


@pytest.fixture
def app_config(http_config):  # noqa: F811
    return http_config


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 40000,  # deeply nested JSON, well under the 64 KiB cap
        b'{"a":' * 10000 + b"1" + b"}" * 10000,
        b"\xff\xfe\x00garbage",  # not UTF-8
        b"null",
        b'{"account_name": "acme-cloud", "card_last4": 1e999}',
        b'{"account_name": "acme-cloud", "email": {"x": 1}}',
        b'{"account_name": "acme-cloud", "mobile": ' + json.dumps("9" * 5000).encode() + b"}",
        b" " * 70000,  # over the cap
    ],
    ids=["nested-array", "nested-object", "not-utf8", "null", "inf", "dict-email", "long", "big"],
)
def test_nonsense_from_the_directory_never_breaks_creation(app, directory, make_ticket, body):  # noqa: F811
    directory.body = body
    response = app.test_client().post("/api/v1/tickets", json=CLAIMS_NOTHING)
    assert response.status_code == 201, (response.status_code, response.get_data()[:300])
    stored = _stored(app, response.json["reference"])
    assert stored["status"] in ("pending", "matched", "mismatch", "unknown")


def test_a_redirect_is_not_followed(app, directory, make_ticket):  # noqa: F811
    directory.status = 302
    response = app.test_client().post("/api/v1/tickets", json=CLAIMS_NOTHING)
    assert response.status_code == 201
    assert _stored(app, response.json["reference"])["status"] == "pending"
