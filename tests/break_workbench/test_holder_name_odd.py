"""`holder_name` with odd Unicode, on both creation paths: never a 5xx, never stored longer
than its column (VARCHAR(200)), a sent-back form keeps what was typed."""

from __future__ import annotations

import html
import re
import unicodedata

import pytest

from tests.conftest import UNFREEZE_WITH_CARD
from tests.tickets.conftest import UNFREEZE_FORM, form_token
from triage.text import FIELDS

LIMIT = FIELDS["holder_name"].limit

ODD = {
    "full-width": "\uff3a\uff28\uff21\uff2e\uff27\u3000\uff37\uff25\uff29",  # ZHANG WEI
    "combining": "Zoe\u0308 Ba\u0301rðarson",
    "rtl": "محمد بن سلمان",
    "bidi control": "\u202eieW gnahZ",
    "emoji": "Wei \U0001f600",
    "zwj emoji": "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "only spaces": "   ",
    "ideographic spaces": "\u3000\u3000",
    "nbsp only": "\u00a0\u00a0",
    "at the limit": "x" * LIMIT,
    "over the limit": "x" * (LIMIT + 1),
    "limit of astral": "\U00020000" * LIMIT,  # one code point each, two UTF-16 units
    "NFC doubles it": "\u0958" * LIMIT,  # DEVANAGARI QA: NFC writes it as two code points
    "NFC doubles U+0344": "a\u0344" * (LIMIT // 2),
    "NFKC grows it": "\ufdfa" * LIMIT,  # one code point, eighteen under NFKC
}


def _stored(app, reference: str) -> str | None:
    from sqlalchemy import select

    from triage.extensions import db
    from triage.tickets.models import Ticket

    with app.app_context():
        return db.session.scalar(select(Ticket.holder_name).where(Ticket.reference == reference))


@pytest.mark.parametrize("name", sorted(ODD))
def test_the_api_never_fails_on_an_odd_holder_name(app, client, name):
    value = ODD[name]
    response = client.post("/api/v1/tickets", json={**UNFREEZE_WITH_CARD, "holder_name": value})
    assert response.status_code in (201, 400), response.text[:300]
    if response.status_code == 201:
        stored = _stored(app, response.json["reference"])
        assert stored is None or 0 < len(stored) <= LIMIT, (len(stored), stored[:20])
        assert stored is None or stored.strip(), "a name of white space alone was stored"
        if stored is not None:
            assert stored == unicodedata.normalize("NFC", value).strip()
    else:
        assert response.json["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("name", sorted(ODD))
def test_the_form_never_fails_and_keeps_it_when_sent_back(client, name):
    value = ODD[name]
    token = form_token(client, "/new/unfreeze")
    answers = {**UNFREEZE_FORM, "contact_email": "", "holder_name": value}  # email missing
    response = client.post("/new/unfreeze", data={**answers, "csrf_token": token})
    assert response.status_code == 400, response.status_code
    field = re.search(r'<input[^>]*name="holder_name"[^>]*>', response.text).group(0)
    kept = re.search(r'value="([^"]*)"', field)
    # security.md: bidirectional controls are never rendered raw (shown as [RLO]).
    assert kept and html.unescape(kept.group(1)) == value.replace("\u202e", "[RLO]")


@pytest.mark.parametrize("name", sorted(ODD))
def test_the_form_alone_never_fails(app, client, name):
    token = form_token(client, "/new/unfreeze")
    answers = {**UNFREEZE_FORM, "holder_name": ODD[name]}
    response = client.post("/new/unfreeze", data={**answers, "csrf_token": token})
    assert response.status_code in (302, 303, 400), response.status_code
