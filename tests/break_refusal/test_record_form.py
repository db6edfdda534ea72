"""The record panel's request form (templates/review/_record.html, `form=record-request`)
refused and sent again: its errors beside itself, what was typed kept exactly (a browser
drops one newline after `<textarea>`), no 5xx for a missing CSRF token, an odd `form=`
value, a very long or hostile message; nothing the reviewer sent echoed beyond an
excerpt (security.md "State, text and load")."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.review.helpers import (
    RECORD_WITH_CARD,
    field_errors,
    form_html,
    import_record,
    page_token,
    ticked,
)

RECORD_FORM = "record-request-form"
MAIN_FORM = "request-form"
TYPED = "\nFirst line was empty.\n<b>Card</b> & “certificate” 请提供 🙂\ttab\n"


@pytest.fixture
def page(desk, reviewer, submitted, runner, tmp_path) -> str:
    """A held ticket whose record panel asks for the card holder's certificate and the
    card front (declared without a card; the record has one)."""
    import_record(runner, tmp_path, **RECORD_WITH_CARD)
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED, "Files follow.", files=[], known=False)
    assert reviewer.claim().status_code == 200
    return f"/review/tickets/{ticket.reference}"


def _textarea(form: str) -> str:
    """The message as a browser fills the box: one leading newline dropped, unescaped."""
    found = re.search(r'<textarea[^>]*name="message"[^>]*>(.*?)</textarea>', form, re.DOTALL)
    assert found, form
    value = found.group(1)
    return unescape(value[1:] if value.startswith("\n") else value)


def _requests(app, page: str) -> list[tuple[list[str], str]]:
    from triage.extensions import db
    from triage.tickets.models import MaterialRequest, Ticket

    reference = page.rsplit("/", 1)[1]
    with app.app_context():
        rows = db.session.execute(
            select(MaterialRequest.materials, MaterialRequest.message)
            .join(Ticket, Ticket.id == MaterialRequest.ticket_id)
            .where(Ticket.reference == reference)
        ).all()
        return [(list(r.materials), r.message) for r in rows]


def _post(desk, page: str, **data):
    return desk.post(
        f"{page}/request-materials", data={**data, "csrf_token": page_token(desk, page)}
    )


def test_refused_then_sent_again_as_the_browser_shows_it_keeps_every_character(app, desk, page):
    refused = _post(desk, page, form="record-request", message=TYPED)
    assert refused.status_code == 400
    record = form_html(refused.text, RECORD_FORM)
    assert field_errors(record) == ["Choose at least one item."]
    assert field_errors(form_html(refused.text, MAIN_FORM)) == []
    shown = _textarea(record)
    assert shown == TYPED
    again = _post(desk, page, form="record-request", materials=["card_front"], message=shown)
    assert again.status_code == 302, again.status_code
    [(materials, stored)] = _requests(app, page)
    assert materials == ["card_front"] and stored.strip() == TYPED.strip(), stored


def test_without_a_csrf_token_nothing_is_sent_and_the_page_explains(app, desk, page):
    answer = desk.post(
        f"{page}/request-materials",
        data={"form": "record-request", "materials": ["card_front"], "message": "Send it."},
    )
    assert answer.status_code == 400 and "<html" in answer.text
    assert _requests(app, page) == []


@pytest.mark.parametrize("value", ["", "RECORD-REQUEST", "record-request ", "request", "x" * 500])
def test_a_form_value_that_is_neither_is_the_main_form(desk, page, value):
    answer = _post(desk, page, form=value, materials=[], message="Main form words.")
    assert answer.status_code == 400
    assert field_errors(form_html(answer.text, MAIN_FORM)) == ["Choose at least one item."]
    record = form_html(answer.text, RECORD_FORM)
    assert field_errors(record) == [] and "has-error" not in record
    assert "x" * 100 not in answer.text  # the odd value is not echoed


def test_a_message_over_the_limit_is_refused_beside_the_record_form_and_kept(desk, page):
    long = "Lorem ipsum " * 334  # 4,008 characters: over the 4,000 limit
    answer = _post(desk, page, form="record-request", materials=["card_front"], message=long)
    assert answer.status_code == 400
    record = form_html(answer.text, RECORD_FORM)
    assert field_errors(record) and "4000" in field_errors(record)[0]
    assert _textarea(record) == long
    assert ticked(answer.text, RECORD_FORM) == ["card_front"]
    huge = _post(desk, page, form="record-request", materials=["card_front"], message="z" * 300_000)
    assert huge.status_code in (400, 413)


@pytest.mark.parametrize(
    ("message", "error"),
    [("stop\u202eevil", None), ("nul\x00here", "U+0000"), ("bad\ufffe", "U+FFFE")],
)
def test_hostile_characters_in_the_record_forms_message(desk, page, message, error):
    """No tick, so refused: the error is beside the record form, never a 5xx, and no
    bidirectional control reaches the page raw."""
    answer = _post(desk, page, form="record-request", message=message)
    assert answer.status_code == 400
    record = form_html(answer.text, RECORD_FORM)
    errors = field_errors(record)
    assert "Choose at least one item." in errors
    if error:
        assert any(error in e for e in errors), errors
    assert "\u202e" not in answer.text and "\x00" not in answer.text
    assert field_errors(form_html(answer.text, MAIN_FORM)) == []


def test_a_lone_surrogate_sent_as_json_is_refused_beside_the_record_form(desk, page):
    """Flask-WTF reads a JSON body as the form's data, so a client that posts the record
    form as JSON (`{"form": "record-request", ...}`, CSRF in X-CSRFToken) gets it
    validated; but `_request_form_name` reads only `request.form`, so the refusal and
    what was typed land on 'Ask the customer for more', and the record panel shows its
    untouched default text. Fix: read `form` from the same data the form reads
    (`form.meta.wrap_formdata`, or `request.get_json(silent=True)`)."""
    answer = desk.post(
        f"{page}/request-materials",
        json={"form": "record-request", "materials": [], "message": "bad\ud800end"},
        headers={"X-CSRFToken": page_token(desk, page)},
    )
    assert answer.status_code == 400
    record = form_html(answer.text, RECORD_FORM)
    errors = field_errors(record)
    assert any("U+D800" in e for e in errors), errors
    assert field_errors(form_html(answer.text, MAIN_FORM)) == []


def test_an_unknown_material_is_not_echoed_in_full_beside_the_record_form(desk, page):
    """A tampered tick (`materials=<3,000 characters>`) is refused, and the record panel's
    new error line quotes all 3,000 characters back: "'<b>xxxx…' is not a valid choice for
    this field." (WTForms' SelectMultipleField message, forms/review.py
    RequestMaterialsForm; the main form and the JSON `fields` echo it the same way).
    security.md: nothing the client sent is echoed back beyond a short excerpt. Fix: a
    choice error that quotes `triage.text.excerpt(value)` (or names no value)."""
    value = "<b>" + "x" * 3000
    answer = _post(desk, page, form="record-request", materials=[value], message="Hi.")
    assert answer.status_code == 400
    errors = field_errors(form_html(answer.text, RECORD_FORM))
    assert errors, "no error beside the record form"
    assert all(len(e) < 400 for e in errors), [len(e) for e in errors]
