"""`holder_name`, the optional field of ticket creation (api.md "Evidence analysis"): "your
full name as it appears on your identity document", on the JSON API and on both creation
forms, shown back to the customer and to reviewers, with the text rule and length limit of
the other typed names."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED, UNFREEZE_WITH_CARD
from tests.review.helpers import (  # noqa: F401 - fixtures
    make_reviewer,
    reviewer,
    sign_in,
)
from tests.tickets.conftest import CHANGE_FORM, UNFREEZE_FORM, create_on_web, form_token
from triage.api.schemas import text_limit

LIMIT = text_limit("holder_name")


def stored_holder_name(app, reference: str) -> str | None:
    from triage.extensions import db
    from triage.tickets.models import Ticket

    with app.app_context():
        return db.session.scalar(select(Ticket.holder_name).where(Ticket.reference == reference))


def holder_name_input(page: str) -> str:
    tag = re.search(r'<input[^>]*name="holder_name"[^>]*>', page)
    assert tag, "no holder_name field"
    return tag.group(0)


# --- the JSON API ------------------------------------------------------------------------------


@pytest.mark.parametrize("base", [UNFREEZE_WITH_CARD, CHANGE_DIRECT_AUTHENTICATED])
def test_the_api_takes_it_and_shows_it_back(app, client, reviewer, base):  # noqa: F811 - fixture
    response = client.post("/api/v1/tickets", json={**base, "holder_name": "  张伟 "})
    assert response.status_code == 201, response.json
    assert response.json["holder_name"] == "张伟"  # stripped, as every text field
    reference, token = response.json["reference"], response.json["access_token"]
    assert stored_holder_name(app, reference) == "张伟"
    mine = client.get(f"/api/v1/tickets/{reference}", headers={"Authorization": f"Bearer {token}"})
    assert mine.json["holder_name"] == "张伟"
    assert reviewer.get(f"/tickets/{reference}").json["holder_name"] == "张伟"


def test_it_is_optional(app, make_ticket):
    ticket = make_ticket()
    assert ticket.get()["holder_name"] is None
    blank = make_ticket(holder_name="   ")  # only spaces: no answer
    assert blank.get()["holder_name"] is None
    assert make_ticket(holder_name=None).get()["holder_name"] is None


def test_nfc_normalised_like_the_other_text_fields(make_ticket):
    decomposed = "Jose\u0301 Garci\u0301a"
    assert make_ticket(holder_name=decomposed).get()["holder_name"] == "José García"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("x" * (LIMIT + 1), f"must be at most {LIMIT} characters"),
        ("Zhang\x00Wei", "contains control characters (U+0000, NUL, at position 6)"),
        ("Zhang\nWei", "a line break in a one-line field"),
        (42, "must be text"),
    ],
)
def test_the_text_rule_and_limit_of_a_typed_name(client, value, words):
    response = client.post("/api/v1/tickets", json={**UNFREEZE_WITH_CARD, "holder_name": value})
    assert response.status_code == 400, response.json
    error = response.json["error"]
    assert error["code"] == "invalid_request"
    assert words in error["fields"]["holder_name"]


def test_at_the_limit_it_is_kept_whole(make_ticket):
    name = "A" * LIMIT
    assert make_ticket(holder_name=name).get()["holder_name"] == name


def test_the_openapi_document_shows_it(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    field = schemas["TicketCreate"]["properties"]["holder_name"]
    assert {"maxLength": LIMIT, "type": "string"} in field["anyOf"]
    assert "identity document" in field["description"]
    assert "holder_name" not in schemas["TicketCreate"].get("required", [])
    for shown in ("Ticket", "TicketCreated", "ReviewTicket"):
        assert "holder_name" in schemas[shown]["properties"], shown


# --- the pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ticket_type", "answers"), [("unfreeze", UNFREEZE_FORM), ("account_change", CHANGE_FORM)]
)
def test_both_creation_forms_take_it_and_the_ticket_page_shows_it(
    app, client, ticket_type, answers
):
    form = client.get(f"/new/{ticket_type}").text
    assert 'name="holder_name"' in form
    assert "Your full name as it appears on your identity document (optional)" in form
    assert f'maxlength="{LIMIT}"' in holder_name_input(form)
    reference, _ = create_on_web(client, ticket_type, {**answers, "holder_name": "Zhang Wei"})
    assert stored_holder_name(app, reference) == "Zhang Wei"
    page = client.get(f"/tickets/{reference}").text
    assert "Your name as on your identity document" in page
    assert "Zhang Wei" in page


def test_left_empty_on_the_form_nothing_is_stored_or_shown(app, client):
    reference, _ = create_on_web(client, "unfreeze", {**UNFREEZE_FORM, "holder_name": ""})
    assert stored_holder_name(app, reference) is None
    assert "Your name as on your identity document" not in client.get(f"/tickets/{reference}").text


def test_a_form_sent_back_keeps_what_was_typed(client):
    token = form_token(client, "/new/unfreeze")
    answers = {**UNFREEZE_FORM, "contact_email": "", "holder_name": "Anne-Marie O\u2019Brien"}
    response = client.post("/new/unfreeze", data={**answers, "csrf_token": token})
    assert response.status_code == 400
    value = re.search(r'value="([^"]*)"', holder_name_input(response.text)).group(1)
    assert html.unescape(value) == "Anne-Marie O\u2019Brien"


def test_a_refused_character_is_named_next_to_the_field(client):
    token = form_token(client, "/new/unfreeze")
    answers = {**UNFREEZE_FORM, "holder_name": "Zhang\x07Wei"}
    response = client.post("/new/unfreeze", data={**answers, "csrf_token": token})
    assert response.status_code == 400
    assert 'id="holder_name-error"' in response.text
    assert "control characters" in response.text


def test_too_long_on_the_form_is_refused_as_in_the_api(client):
    token = form_token(client, "/new/unfreeze")
    answers = {**UNFREEZE_FORM, "holder_name": "x" * (LIMIT + 1)}
    response = client.post("/new/unfreeze", data={**answers, "csrf_token": token})
    assert response.status_code == 400
    assert 'id="holder_name-error"' in response.text


@pytest.mark.parametrize(
    ("lang", "label", "hint", "shown"),
    [
        (
            "es",
            "Su nombre completo tal como aparece en su documento de identidad (opcional)",
            "Lo comparamos con el documento que suba.",
            "Su nombre según su documento de identidad",
        ),
        (
            "zh_Hans",
            "您的全名，与身份证件上的一致（可选）",  # noqa: RUF001 - Chinese punctuation
            "我们会将它与您上传的证件进行核对。",
            "身份证件上的姓名",
        ),
    ],
)
def test_label_hint_and_page_in_the_customers_language(client, lang, label, hint, shown):
    form = client.get(f"/new/unfreeze?lang={lang}").text
    assert label in form and hint in form
    reference, _ = create_on_web(client, "unfreeze", {**UNFREEZE_FORM, "holder_name": "张伟"})
    page = client.get(f"/tickets/{reference}?lang={lang}").text
    assert shown in page and "张伟" in page


def test_reviewers_read_it_beside_the_facts(app, client, reviewer):  # noqa: F811 - fixture
    response = client.post(
        "/api/v1/tickets", json={**UNFREEZE_WITH_CARD, "holder_name": "Zoë O'Neil-Ng"}
    )
    reference = response.json["reference"]
    desk = app.test_client()
    assert sign_in(desk, reviewer.email).status_code == 302
    page = desk.get(f"/review/tickets/{reference}").text
    assert "Name as on the identity document" in page
    assert "Zoë O&#39;Neil-Ng" in page  # Jinja's escaping
