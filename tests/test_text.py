"""Text from anyone (security.md, "State, text and load"; issue 9 items 2 and 6).

Refused characters answer 400 naming the field, every field has one length limit shared by
the API, the pages and the OpenAPI document, deep JSON is a 400, bidirectional controls
are never rendered raw, look-alike account names are one account, and no error echoes
more than a short excerpt of what was sent.
"""

from __future__ import annotations

import io
import re

import pytest

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED, UNFREEZE_WITH_CARD, csrf_token
from tests.review import helpers
from tests.review.helpers import sign_in, unique_pdf
from triage import text
from triage.api.openapi import openapi_document

# The reviewer fixtures of tests/review, for this module too.
make_reviewer = helpers.make_reviewer
reviewer = helpers.reviewer
lead = helpers.lead
submitted = helpers.submitted

INFO_TICKET = {**CHANGE_DIRECT_AUTHENTICATED, "real_name_auth": "not_completed"}
REFUSED = {
    "lone surrogate": "\ud800",
    "NUL": "\x00",
    "C0 control": "\x1b",
    "DEL": "\x7f",
    "C1 control": "\x85",
    "non-character U+FDD0": "\ufdd0",
    "non-character U+FFFE": "\ufffe",
    "non-character U+10FFFF": "\U0010ffff",
}


# --- the rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REFUSED)
def test_refused_characters_are_named_by_code_point_never_quoted(name):
    bad = REFUSED[name]
    problem = text.text_problem(f"ok {bad} ok")
    assert problem is not None
    assert f"U+{ord(bad):04X}" in problem and "position 4" in problem
    assert bad not in problem
    with pytest.raises(ValueError):
        text.clean(f"x{bad}", "account_name")


def test_tab_and_newlines_only_where_a_field_takes_several_lines():
    assert text.check_field("explanation", "line one\r\nline two\tend") is None
    assert text.check_field("note", "a\nb") is None
    assert "one-line field" in text.check_field("account_name", "a\nb")
    assert "one-line field" in text.check_field("contact_address.city", "a\tb")


@pytest.mark.parametrize(
    "value",
    ["acme-cloud", "北京云计算有限公司", "\uff21cme", "مرحبا", "😀 ok", "a\u202eb", "\u200bzero"],
)
def test_ordinary_text_of_any_script_is_accepted(value):
    assert text.text_problem(value) is None


def test_one_table_of_limits_used_by_the_api_the_pages_and_the_document(app):
    assert text.limit("account_name") == 200
    assert text.limit("explanation") == text.limit("note") == text.limit("message") == 4000
    assert text.limit("contact_address.postal_code") == 200
    assert text.limit("user_name") == text.limit("information")  # any other item
    assert text.limit("materials[3]") == text.limit("material") == 40
    assert "at most 4000" in text.check_field("explanation", "x" * 4001)

    doc = openapi_document()["components"]["schemas"]
    assert doc["TicketCreate"]["properties"]["account_name"]["maxLength"] == 200
    assert doc["SubmitRequest"]["properties"]["explanation"]["anyOf"][0]["maxLength"] == 4000
    assert doc["MaterialsRequest"]["properties"]["message"]["maxLength"] == 4000
    assert doc["Address"]["properties"]["city"]["maxLength"] == 200
    assert doc["InformationUpdate"]["properties"]["email"]["anyOf"][0]["maxLength"] == 254

    from forms.review import DecisionForm
    from forms.tickets import NewTicketForm, SubmitForm

    with app.test_request_context():
        form = NewTicketForm(meta={"csrf": False})
        assert 'maxlength="200"' in str(form.account_name())
        assert 'maxlength="4000"' in str(form.description())
        assert 'maxlength="30"' in str(form.change_mobile())
        assert 'maxlength="4000"' in str(SubmitForm(meta={"csrf": False}).explanation())
        assert 'maxlength="4000"' in str(DecisionForm(meta={"csrf": False}).note())


@pytest.mark.parametrize(
    "variant",
    [
        "acme-cloud",
        "ACME-Cloud",
        "\ufeffacme-cloud",  # BOM
        "acme\u200b-cloud",  # zero-width space
        "ac\u200dme-clo\u200cud",  # zero-width joiner and non-joiner
        "\uff41\uff43\uff4d\uff45\uff0d\uff43\uff4c\uff4f\uff55\uff44",  # full-width
        "acme\u00ad-cloud",  # soft hyphen
        "\u202eacme-cloud\u202c",  # bidi override
        " acme-cloud\u2060 ",  # word joiner, spaces
    ],
)
def test_look_alike_names_normalise_to_one(variant):
    assert text.normalise_name(variant) == "acme-cloud"


def test_names_that_differ_stay_different():
    assert text.normalise_name("acme cloud") != text.normalise_name("acme-cloud")
    assert text.normalise_name("a  b\u3000c") == "a b c"  # runs of spaces, ideographic too


def test_bidi_controls_are_shown_by_name_and_broken_text_still_renders():
    assert text.show_text("invoice\u202efdp.exe") == "invoice[RLO]fdp.exe"
    assert text.show_text("\u2067x\u2069") == "[RLI]x[PDI]"
    assert text.show_text("bad \ud800 and \x00") == "bad \ufffd and \ufffd"
    plain = "nothing to do\u200f here"  # RLM stays: it cannot reorder other text
    assert text.show_text("plain") == "plain"
    assert text.show_text(plain) == plain
    assert text.show_text("two\nlines") == "two\nlines"


def test_an_excerpt_is_short_and_marked_as_cut():
    assert text.excerpt("x" * 400_000) == "x" * 39 + "…"
    assert text.excerpt("short") == "short"


def test_problems_in_json_are_found_without_recursion_keys_included():
    deep: object = "leaf"
    for _ in range(50_000):
        deep = [deep]
    found = text.find_problems(deep, max_depth=8)  # iterative: no RecursionError
    assert list(found.values()) == ["is nested more than 8 levels deep"]
    found = text.find_problems({"change": {"mobile": "\x00"}, "k\x00": 1, "x" * 41: 2})
    assert set(found) == {"change.mobile", "body"}


# --- the JSON API -------------------------------------------------------------------------------


def _error(response, status=400, code="invalid_request"):
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.json["error"]["code"] == code
    return response.json["error"]


def _grant(client, reference: str, code: str) -> None:
    token = csrf_token(client.get("/resume").text)
    response = client.post(
        "/resume", data={"reference": reference, "code": code, "csrf_token": token}
    )
    assert response.status_code == 302, response.text[:300]


@pytest.fixture
def pages(app, new_client, make_reviewer):
    """pages(ticket) -> (customer page status, reviewer page status) for an API ticket."""
    reviewer_client = new_client()
    make_reviewer("paula@example.com", role="lead")
    assert sign_in(reviewer_client, "paula@example.com").status_code == 302

    def statuses(ticket) -> tuple[int, int]:
        customer = new_client()
        _grant(customer, ticket.reference, ticket.token)
        mine = customer.get(f"/tickets/{ticket.reference}")
        review = reviewer_client.get(f"/review/tickets/{ticket.reference}")
        return mine.status_code, review.status_code

    statuses.reviewer_client = reviewer_client  # type: ignore[attr-defined]
    return statuses


@pytest.mark.parametrize("name", ["lone surrogate", "NUL", "non-character U+FFFE"])
def test_refused_text_in_creation_answers_400_naming_the_field(client, name):
    bad = REFUSED[name]
    for field, body in [
        ("account_name", {**UNFREEZE_WITH_CARD, "account_name": f"acme{bad}"}),
        ("description", {**UNFREEZE_WITH_CARD, "description": f"hello{bad}"}),
        ("change.mobile", {**CHANGE_DIRECT_AUTHENTICATED, "change": {"mobile": bad}}),
        ("contact_email", {**UNFREEZE_WITH_CARD, "contact_email": f"a{bad}@example.com"}),
    ]:
        error = _error(client.post("/api/v1/tickets", json=body))
        assert field in error["fields"], (field, error)
        assert all(bad not in words for words in error["fields"].values())


def test_a_lone_surrogate_in_an_information_item_is_refused_and_pages_render(make_ticket, pages):
    ticket = make_ticket(INFO_TICKET)
    error = _error(ticket.put_information({"user_name": "Ada \ud800"}))
    assert error["fields"] == {
        "user_name": "contains a lone UTF-16 surrogate (U+D800, at position 5)"
    }
    error = _error(ticket.put_information({"contact_address": {"line1": "\ud800"}}))
    assert list(error["fields"]) == ["contact_address.line1"]
    assert pages(ticket) == (200, 200)


def test_nul_in_the_explanation_is_refused_and_nothing_changes(make_ticket, pages):
    ticket = make_ticket()
    error = _error(ticket.submit("I lost the card\x00"))
    assert list(error["fields"]) == ["explanation"]
    assert ticket.get()["status"] == "draft"
    assert pages(ticket) == (200, 200)


def test_the_explanation_has_its_limit_through_the_api(make_ticket, reviewer):
    ticket = make_ticket()
    error = _error(ticket.submit("x" * 2_000_000))
    assert error["fields"]["explanation"].startswith("must be at most 4000 characters")
    assert len(str(error)) < 500
    assert ticket.submit("y" * 4000).status_code == 200
    submitted_event = [e for e in reviewer.history(ticket.reference) if e["action"] == "submitted"]
    assert len(submitted_event[0]["details"]["explanation"]) == 4000


@pytest.mark.parametrize("depth", [9, 100, 1000, 100_000])
def test_deeply_nested_json_answers_400(client, make_ticket, depth):
    ticket = make_ticket()
    body = "[" * depth + "]" * depth
    for path in ("/api/v1/tickets", f"/api/v1/tickets/{ticket.reference}/submit"):
        response = client.post(
            path, data=body, content_type="application/json", headers=ticket.headers
        )
        error = _error(response)
        assert any("nested" in words for words in error["fields"].values()), error
    nested = '{"description": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
    assert _error(client.post("/api/v1/tickets", data=nested, content_type="application/json"))


def test_bad_keys_and_constants_are_refused(client):
    assert _error(
        client.post("/api/v1/tickets", data='{"a\\u0000": 1}', content_type="application/json")
    )["fields"]["body"].startswith("has a key that contains")
    assert _error(
        client.post("/api/v1/tickets", data='{"x": NaN}', content_type="application/json")
    )


def test_reviewer_fields_refuse_bad_text_and_pages_still_render(submitted, lead, pages, reviewer):
    ticket = submitted()
    evidence = ticket.get()["evidence"][0]["id"]
    assert (
        lead.post(f"/tickets/{ticket.reference}/reassign", {"reviewer": lead.email}).status_code
        == 200
    )
    for path, body, field in [
        (
            f"/evidence/{evidence}/review",
            {"decision": "rejected", "reason": "other", "note": "see \ud800"},
            "note",
        ),
        (
            f"/tickets/{ticket.reference}/request-materials",
            {"materials": ["passport"], "message": "\x00"},
            "message",
        ),
        (
            f"/tickets/{ticket.reference}/decision",
            {"decision": "rejected", "note": "\ufdd0"},
            "note",
        ),
        (f"/tickets/{ticket.reference}/reassign", {"reviewer": "\ud800@example.com"}, "reviewer"),
    ]:
        error = _error(lead.post(path, body))
        assert list(error["fields"]) == [field], (path, error)
    # A review note may have several lines, like the page's text area sends them.
    response = lead.post(
        f"/evidence/{evidence}/review",
        {"decision": "rejected", "reason": "other", "note": "one\r\ntwo"},
    )
    assert response.status_code == 200, response.json
    assert pages(ticket) == (200, 200)


def test_the_four_invalid_requests_schemathesis_found_are_refused(submitted, reviewer):
    ticket = submitted()
    evidence = ticket.get()["evidence"][0]["id"]
    assert _error(reviewer.get("/queue", query_string={"counts": "null"}))["fields"]["counts"]
    assert _error(reviewer.post("/queue/claim", {"type": None}))["fields"]["type"]
    claimed = reviewer.claim()
    assert claimed.status_code == 200
    response = reviewer.get(f"/evidence/{evidence}/content", query_string={"download": "null"})
    assert _error(response)["fields"]["download"]
    response = reviewer.post(f"/evidence/{evidence}/review", {"decision": "accepted", "reason": {}})
    assert _error(response)["fields"]["reason"].startswith("must be one of")
    # The switches still work with their documented words.
    assert reviewer.get("/queue", query_string={"counts": "true"}).json["counts"]
    response = reviewer.get(f"/evidence/{evidence}/content", query_string={"download": "1"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")


# --- no long echoes -----------------------------------------------------------------------------


def test_a_400_kb_material_key_is_never_echoed(make_ticket, pdf_bytes, client):
    ticket = make_ticket()
    huge = "k" * 400_000
    response = ticket.upload(huge, pdf_bytes, "a.pdf")
    assert response.status_code in (400, 422)
    assert len(response.data) < 1000
    response = ticket.put_information({huge: "x"})
    assert response.status_code == 400 and len(response.data) < 1000
    response = ticket.upload("k" * 39, pdf_bytes, "a.pdf")  # within the limit: unknown
    error = _error(response, 422, "unknown_material")
    assert len(error["message"]) < 200


def test_an_unknown_material_through_the_page_is_quoted_short(client, app):
    from tests.tickets.conftest import create_on_web, upload_on_web

    reference, _ = create_on_web(client)
    huge = "q" * 400_000
    response = upload_on_web(client, reference, huge, (b"%PDF-1.4", "a.pdf"))
    assert response.status_code in (400, 422)
    assert huge[:200] not in response.text


def test_an_unknown_material_in_a_request_is_quoted_short(submitted, reviewer):
    ticket = submitted()
    assert reviewer.claim().status_code == 200
    response = reviewer.request_materials(ticket.reference, ["z" * 40] * 30, "Please.")
    error = _error(response, 422, "unknown_material")
    assert len(str(error)) < 1000


# --- look-alike names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    ["acme\u200b-cloud", "\ufeffacme-cloud", "\uff41\uff43\uff4d\uff45-cloud", "ACME-CLOUD"],
)
def test_look_alike_account_names_are_a_repeat_request(submitted, variant, reviewer):
    first = submitted(account_name="acme-cloud")
    second = submitted(account_name=variant)
    assert "repeat_request" in reviewer.get(f"/tickets/{second.reference}").json["flags"]
    assert "repeat_request" not in reviewer.get(f"/tickets/{first.reference}").json["flags"]
    # The customer is never told that another ticket exists for the account.
    assert "repeat_request" not in second.get()["flags"]


# --- showing text -------------------------------------------------------------------------------


def test_a_right_to_left_override_is_never_rendered_raw(make_ticket, pdf_bytes, pages):
    ticket = make_ticket(account_name="invoice\u202efdp.exe", description="a \u2067b\u2069 c")
    assert ticket.upload("passport", unique_pdf(pdf_bytes), "p.pdf").status_code == 201
    assert ticket.submit("I lost the card \u202eoops").status_code == 200
    review = pages.reviewer_client.get(f"/review/tickets/{ticket.reference}")
    assert review.status_code == 200
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", review.text)
    assert "invoice[RLO]fdp.exe" in review.text
    assert "[RLI]b[PDI]" in review.text
    assert pages(ticket) == (200, 200)


# --- the pages ----------------------------------------------------------------------------------


def test_a_form_field_with_a_refused_character_is_refused_next_to_it(client):
    page = client.get("/new/unfreeze")
    form = {
        "account_type": "individual",
        "card_added": "true",
        "account_name": "acme\x00",
        "contact_email": "owner@example.com",
        "description": "fine\ufffe",
        "csrf_token": csrf_token(page.text),
    }
    response = client.post("/new/unfreeze", data=form)
    assert response.status_code == 400
    assert "U+0000" in response.text and "U+FFFE" in response.text


def test_raw_surrogate_bytes_from_a_form_do_not_break_anything(client):
    from tests.tickets.conftest import create_on_web, post_on_ticket

    reference, _ = create_on_web(client)
    token = csrf_token(client.get(f"/tickets/{reference}").text)
    # "\ud800" as a broken client would encode it (CESU-8): Werkzeug decodes it to U+FFFD.
    body = b"explanation=a%ED%A0%80b&csrf_token=" + token.encode()
    response = client.post(
        f"/tickets/{reference}/submit", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500
    assert client.get(f"/tickets/{reference}").status_code == 200
    assert post_on_ticket(client, reference, "withdraw").status_code == 302


def test_nul_in_the_address_is_404_not_a_database_error(client, make_ticket, reviewer):
    ticket = make_ticket()
    assert client.get("/api/v1/tickets/AC-%00", headers=ticket.headers).status_code == 404
    assert reviewer.get("/evidence/%00/content").status_code == 404
    assert client.get("/tickets/%00").status_code in (302, 404)
    response = reviewer.get("/queue", query_string={"type": "\x00"})
    assert _error(response)["fields"]["type"].startswith("contains control characters")


def test_an_upload_with_a_material_too_long_is_400_before_anything_is_read(make_ticket):
    ticket = make_ticket()
    response = ticket.client.post(
        f"/api/v1/tickets/{ticket.reference}/evidence",
        headers=ticket.headers,
        data={"material": "passport\x00", "file": (io.BytesIO(b"x"), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert _error(response)["fields"]["material"].startswith("contains control characters")
