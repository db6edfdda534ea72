"""Arbitrary Unicode in every text field, through the API and through the pages (issue 9 #2).

security.md, "State, text and load": "Nothing stored can make a page fail to render." For
any text at all (lone surrogates, NUL, non-characters, bidi controls, strings around each
length limit), no request answers 5xx, and afterwards the customer's and the reviewer's
pages for the ticket both answer 200.

Bounded for CI: `TEXT_FUZZ_EXAMPLES` examples per face (default 15), derandomised, so a
run takes well under a minute per database and fails the same way every time.
"""

from __future__ import annotations

import io
import os
import re
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED, ApiTicket, csrf_token
from tests.review import helpers
from tests.review.helpers import PASSWORD, sign_in, unique_pdf
from tests.tickets.conftest import CHANGE_FORM

make_reviewer = helpers.make_reviewer  # the reviewer fixtures of tests/review

EXAMPLES = int(os.environ.get("TEXT_FUZZ_EXAMPLES", "15"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one app and database for all examples
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# Every code point, lone surrogates included (Hypothesis leaves Cs out unless told).
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
# What broke pages or the database before, and what a page must not render raw.
NASTY = st.sampled_from(
    [
        "\ud800",
        "\udfff",
        "\x00",
        "\x1b",
        "\x7f",
        "\x85",
        "\ufdd0",
        "\ufffe",
        "\uffff",
        "\U0010ffff",
        "\u202e",
        "\u2066",
        "\u2069",
        "\u200b",
        "\ufeff",
        "\u00ad",
        "\r\n",
        "\t",
        "\uff21",
        "<script>",
        "{{ 7*7 }}",
        "%00",
        "'\"",
    ]
)
TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=40),
    st.lists(st.one_of(ANY_CHARACTER, NASTY), min_size=1, max_size=12).map("".join),
    # Around each length limit of triage.text (30, 200, 254, 4000).
    st.builds(
        lambda ch, n: ch * n,
        st.one_of(st.sampled_from("a9é中"), NASTY),
        st.sampled_from([30, 31, 200, 201, 254, 255, 4000, 4001]),
    ),
)
INFO_TICKET = {**CHANGE_DIRECT_AUTHENTICATED, "real_name_auth": "not_completed"}
INFO_FORM = {**CHANGE_FORM, "real_name_auth": "not_completed", "payments_made": "false"}
ADDRESS_PARTS = ("line1", "line2", "city", "province", "postal_code", "country")


def below_500(response, what: str):
    assert response.status_code < 500, (what, response.status_code, response.text[:300])
    return response


def form_body(data: dict[str, Any]) -> bytes:
    """urlencoded as a careless client would: lone surrogates as their raw UTF-8 bytes."""
    return urlencode(data, doseq=True, encoding="utf-8", errors="surrogatepass").encode()


def post_form(client, path: str, data: dict[str, Any]):
    return client.post(path, data=form_body(data), content_type="application/x-www-form-urlencoded")


@pytest.fixture
def lead_on_web(new_client, make_reviewer):
    """(the lead's API handle, a browser signed in as the lead)."""
    lead = make_reviewer("lina@example.com", role="lead")
    browser = new_client()
    assert sign_in(browser, lead.email, PASSWORD).status_code == 302
    return lead, browser


def take(lead, reference: str) -> None:
    """The lead takes this very ticket (not the queue's first) and holds it."""
    response = lead.post(f"/tickets/{reference}/reassign", {"reviewer": lead.email})
    assert response.status_code == 200, response.json


def grant(browser, reference: str, code: str) -> None:
    token = csrf_token(browser.get("/resume").text)
    answer = browser.post(
        "/resume", data={"reference": reference, "code": code, "csrf_token": token}
    )
    assert answer.status_code == 302, answer.text[:300]


def assert_pages_render(customer_browser, reviewer_browser, reference: str) -> None:
    mine = customer_browser.get(f"/tickets/{reference}")
    assert mine.status_code == 200, mine.text[:300]
    review = reviewer_browser.get(f"/review/tickets/{reference}")
    assert review.status_code == 200, review.text[:300]
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", review.text + mine.text)


# --- the JSON API -------------------------------------------------------------------------------


@FUZZ
@given(text=TEXT)
def test_any_text_in_any_api_field(text, client, new_client, lead_on_web, pdf_bytes):
    lead, reviewer_browser = lead_on_web
    # Ticket creation: every text field at once, then the two stored free-text fields.
    below_500(
        client.post(
            "/api/v1/tickets",
            json={**INFO_TICKET, "contact_email": text, "change": {"mobile": text, "email": text}},
        ),
        "create: contact fields",
    )
    created = below_500(
        client.post(
            "/api/v1/tickets", json={**INFO_TICKET, "account_name": text, "description": text}
        ),
        "create: name and description",
    )
    if created.status_code != 201:
        created = client.post("/api/v1/tickets", json=INFO_TICKET)
    ticket = ApiTicket(created.json["reference"], created.json["access_token"], client)

    # Information items, typed and free text, and every part of the address.
    below_500(ticket.put_information({"email": text, "original_mobile": text}), "info: typed")
    below_500(ticket.put_information({"user_name": text}), "info: user_name")
    address = {part: f"{part} {text}" for part in ADDRESS_PARTS}
    below_500(ticket.put_information({"contact_address": address}), "info: address")
    assert ticket.upload("passport", unique_pdf(pdf_bytes), "p.pdf").status_code == 201

    if below_500(ticket.submit(text or "-"), "submit: explanation").status_code != 200:
        assert ticket.submit("fallback explanation").status_code == 200

    # Reviewer fields, while the lead holds the ticket.
    below_500(lead.post("/queue/claim", {"type": text}), "claim: type")
    below_500(lead.get("/queue?type=" + quote(text, errors="surrogatepass")), "queue: type")
    below_500(lead.post(f"/tickets/{ticket.reference}/reassign", {"reviewer": text}), "reassign")
    take(lead, ticket.reference)
    evidence = ticket.get()["evidence"][0]["id"]
    below_500(
        lead.post(
            f"/evidence/{evidence}/review",
            {"decision": "rejected", "reason": "other", "note": text},
        ),
        "review: note",
    )
    asked = below_500(
        lead.request_materials(ticket.reference, ["passport"], text), "request: message"
    )
    if asked.status_code == 200:  # back to the customer: resubmit, and take it again
        assert ticket.submit("resubmitted").status_code == 200
        take(lead, ticket.reference)
    below_500(lead.decide(ticket.reference, "rejected", text), "decision: note")

    customer_browser = new_client()
    grant(customer_browser, ticket.reference, ticket.token)
    assert_pages_render(customer_browser, reviewer_browser, ticket.reference)


# --- the pages ----------------------------------------------------------------------------------


def _created(browser, response) -> tuple[str, str] | None:
    if response.status_code != 302:
        return None
    page = browser.get(response.headers["Location"]).text
    reference = re.search(r'id="reference">([^<]+)<', page).group(1)
    code = re.search(r'id="access-code">([^<]+)<', page).group(1)
    return reference, code


@FUZZ
@given(text=TEXT)
def test_any_text_in_any_form_field(text, new_client, lead_on_web, pdf_bytes):
    lead, reviewer_browser = lead_on_web
    browser = new_client()

    # The facts form: every text field at once, then the stored free text alone.
    token = csrf_token(browser.get("/new/account_change").text)
    everything = {
        **INFO_FORM,
        "contact_email": text,
        "change_mobile": text,
        "change_email": text,
        "csrf_token": token,
    }
    below_500(post_form(browser, "/new/account_change", everything), "new: contact fields")
    named = {**INFO_FORM, "account_name": text, "description": text, "csrf_token": token}
    made = _created(
        browser, below_500(post_form(browser, "/new/account_change", named), "new: name")
    )
    if made is None:
        made = _created(
            browser, post_form(browser, "/new/account_change", {**INFO_FORM, "csrf_token": token})
        )
    reference, code = made
    grant(browser, reference, code)
    ticket_page = f"/tickets/{reference}"

    # The information form (its fields are written by the template, not WTForms).
    token = csrf_token(browser.get(ticket_page).text)
    info = {"user_name": text, "email": text, "original_mobile": text, "csrf_token": token}
    info |= {f"contact_address.{part}": text for part in ADDRESS_PARTS}
    below_500(post_form(browser, f"{ticket_page}/information", info), "information form")

    # An upload under a fuzzed material key (multipart: what the server would decode from
    # the bytes of a lone surrogate is U+FFFD), then a real one for the reviewer.
    token = csrf_token(browser.get(ticket_page).text)
    material = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    below_500(
        browser.post(
            f"{ticket_page}/evidence",
            data={
                "material": material,
                "csrf_token": token,
                "files": [(io.BytesIO(unique_pdf(pdf_bytes)), "p.pdf")],
            },
            content_type="multipart/form-data",
        ),
        "upload: material",
    )
    ticket = ApiTicket(reference, code, browser)
    assert ticket.upload("passport", unique_pdf(pdf_bytes), "p.pdf").status_code == 201

    token = csrf_token(browser.get(ticket_page).text)
    sent = below_500(
        post_form(browser, f"{ticket_page}/submit", {"explanation": text, "csrf_token": token}),
        "submit form: explanation",
    )
    if sent.status_code != 302:
        assert ticket.submit("fallback explanation").status_code == 200

    # The review page's forms, while the lead holds the ticket.
    take(lead, reference)
    review_page = f"/review/tickets/{reference}"
    evidence = ticket.get()["evidence"][0]["id"]
    for action, data in [
        (f"/review/tickets/{reference}/reassign", {"reviewer": text}),
        (
            f"/review/evidence/{evidence}/review",
            {
                f"ev-{evidence}-decision": "rejected",
                f"ev-{evidence}-reason": "other",
                f"ev-{evidence}-note": text,
            },
        ),
        (
            f"/review/tickets/{reference}/request-materials",
            {"materials": ["passport"], "message": text},
        ),
    ]:
        token = csrf_token(reviewer_browser.get(review_page).text)
        below_500(post_form(reviewer_browser, action, {**data, "csrf_token": token}), action)
    if ticket.get()["status"] == "needs_more_info":
        assert ticket.submit("resubmitted").status_code == 200
        take(lead, reference)
    token = csrf_token(reviewer_browser.get(review_page).text)
    below_500(
        post_form(
            reviewer_browser,
            f"/review/tickets/{reference}/decision",
            {"decision": "rejected", "note": text, "csrf_token": token},
        ),
        "decision form: note",
    )
    assert_pages_render(browser, reviewer_browser, reference)
