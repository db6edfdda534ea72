"""A refused request shows its errors beside the form that was sent.

The review page has two forms that ask the customer for more, posting to one endpoint:
"Ask the customer for more" and the record panel's "Ask the customer for what the
record's list still lacks" (templates/review/_record.html). Sent without a script and
refused, the page comes back with the sent form's errors and what was typed in it; the
other form is as a fresh page has it.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.review.helpers import (
    RECORD_WITH_CARD,
    field_errors,
    form_html,
    import_record,
    page_token,
    ticked,
)


@pytest.fixture
def page(desk, reviewer, submitted, runner, tmp_path) -> str:
    """A held ticket whose record panel asks for more: declared without a card, the
    record says a card is bound (the card holder's certificate and the card front)."""
    import_record(runner, tmp_path, **RECORD_WITH_CARD)
    files = ["real_name_certificate", "transaction_records", "card_front"]
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED, files=files, known=False)
    assert reviewer.claim().status_code == 200
    return f"/review/tickets/{ticket.reference}"


def _message(form: str) -> str:
    found = re.search(r'<textarea[^>]*name="message"[^>]*>\n?([^<]*)</textarea>', form)
    assert found, form
    return unescape(found.group(1))


def _send(desk, page: str, **data) -> str:
    """Send the page's form with `data`, as a browser without the script: refused."""
    response = desk.post(
        f"{page}/request-materials", data={**data, "csrf_token": page_token(desk, page)}
    )
    assert response.status_code == 400, response.status_code
    return response.text


def test_the_record_forms_errors_are_beside_it(desk, page):
    fresh = desk.get(page).text
    typed = "Please send the card's front & your certificate <soon>."
    html = _send(desk, page, form="record-request", message=typed)
    record = form_html(html, "record-request-form")
    assert field_errors(record) == ["Choose at least one item."]
    assert 'aria-describedby="record-materials-error"' in record
    assert _message(record) == typed  # what was typed, kept
    assert ticked(html, "record-request-form") == []  # and what was not ticked
    # The main form is as a fresh page has it: no errors, its own ticks, no message.
    main = form_html(html, "request-form")
    assert field_errors(main) == []
    assert 'id="materials-error"' not in html and 'id="message-error"' not in html
    assert ticked(html, "request-form") == ticked(fresh, "request-form")
    assert _message(main) == _message(form_html(fresh, "request-form"))


def test_the_record_form_keeps_its_ticks_when_the_message_is_missing(desk, page):
    html = _send(desk, page, form="record-request", materials=["card_front"], message="")
    record = form_html(html, "record-request-form")
    assert field_errors(record) == ["Write what you need and why."]
    assert 'aria-describedby="record-message-error"' in record
    assert ticked(html, "record-request-form") == ["card_front"]
    assert field_errors(form_html(html, "request-form")) == []


def test_the_main_forms_errors_leave_the_record_form_alone(desk, page):
    fresh = desk.get(page).text
    html = _send(desk, page, materials=["passport"], message="")
    main = form_html(html, "request-form")
    assert field_errors(main) == ["Write what you need and why."]
    assert ticked(html, "request-form") == ["passport"]
    record = form_html(html, "record-request-form")
    assert field_errors(record) == []
    assert "has-error" not in record
    assert ticked(html, "record-request-form") == ticked(fresh, "record-request-form")
    assert _message(record) == _message(form_html(fresh, "record-request-form"))
