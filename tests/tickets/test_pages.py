"""The customer's pages: start, facts and checklist, creation, coming back, the ticket page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.tickets.conftest import (
    CHANGE_FORM,
    UNFREEZE_FORM,
    create_on_web,
    form_token,
    post_on_ticket,
    upload_on_web,
)

NO_PAYMENTS_FORM = {**CHANGE_FORM, "real_name_auth": "not_completed", "payments_made": "false"}
NO_RULE_FORM = {**CHANGE_FORM, "real_name_auth": "not_completed", "payments_made": "true"}


def ticket_count(app) -> int:
    from triage.extensions import db
    from triage.tickets.models import Ticket

    with app.app_context():
        return db.session.scalar(select(func.count(Ticket.id)))


def the_ticket(app):
    """The (only) ticket as committed now; its columns and flags stay readable."""
    from triage.extensions import db
    from triage.tickets.models import Ticket

    with app.app_context():
        return db.session.scalar(select(Ticket))


def preview(client, ticket_type: str, answers: dict[str, str]):
    token = form_token(client, f"/new/{ticket_type}")
    return client.post(f"/new/{ticket_type}", data={**answers, "csrf_token": token, "preview": "1"})


def described_error(html: str, field_id: str) -> str:
    """The error text tied to a field through aria-describedby."""
    tag = re.search(rf'<[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    assert tag, f"no element with id {field_id}"
    described = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
    assert described, f"{field_id} has no aria-describedby"
    error_id = next(i for i in described.group(1).split() if i.endswith("-error"))
    error = re.search(rf'id="{error_id}"[^>]*>(.*?)</(p|div)>', html, re.S)
    assert error, f"{error_id} is not on the page"
    assert 'aria-invalid="true"' in tag.group(0)
    return re.sub(r"<[^>]+>", "", error.group(1)).strip()


def input_value(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert tag, f"no input {name}"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def checked(html: str, name: str) -> str | None:
    for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', html):
        if " checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


# --- start and the facts form ----------------------------------------------------------------


def test_start_page_offers_the_two_ticket_types_in_plain_words(client):
    html = client.get("/").text
    assert 'href="/new/account_change">I can no longer use the phone number or email' in html
    assert 'href="/new/unfreeze">My account is restricted or frozen' in html
    assert 'href="/resume"' in html
    assert "You do not need to sign in" in html


def test_unknown_ticket_type_is_404(client):
    assert client.get("/new/refund").status_code == 404


def test_facts_form_loads_its_script_from_a_file_only(client):
    response = client.get("/new/unfreeze")
    html = response.text
    assert '<script src="/static/js/requirements.js" defer></script>' in html
    # JSON data blocks (the page's words) are never run; no script is inline.
    assert re.findall(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))", html) == []
    assert "style=" not in html and "<style" not in html
    assert 'name="preview"' in html and "Show what I need" in html
    assert 'data-requirements-url="/api/v1/requirements"' in html
    assert "Answer the questions above to see the list." in html


def test_preview_without_javascript_shows_the_any_two_of_three_checklist(client, app):
    response = preview(client, "unfreeze", {**UNFREEZE_FORM, "account_name": "typed-name"})
    assert response.status_code == 200
    section = response.text.split('id="checklist-preview"')[1].split("</section>")[0]
    assert "Choose 2 of these 3" in section
    assert "Choose 1 of these 3" in section and "All of these:" in section
    for label in (
        "Passport",
        "Resident identity card, front",
        "Driver license",
        "Front of the credit card",
        "Transaction details of the bound credit card",
    ):
        assert label in section
    assert checked(response.text, "card_added") == "true"
    assert input_value(response.text, "account_name") == "typed-name"
    assert ticket_count(app) == 0


def test_preview_marks_items_to_type_in_and_optional_ones(client):
    section = preview(client, "account_change", NO_PAYMENTS_FORM).text
    assert re.search(r"Original mobile number\s*<span class=\"optional\">\(optional\)", section)
    assert re.search(r"Email address\s*<span class=\"kind\">to type in", section)


def test_the_typed_items_hint_appears_only_with_typed_items(client):
    hint = "Items marked “to type in” are typed into a form"
    assert hint in preview(client, "account_change", NO_PAYMENTS_FORM).text
    assert hint not in preview(client, "unfreeze", UNFREEZE_FORM).text


def test_preview_for_the_combination_without_a_rule_explains_manual_review(client):
    html = preview(client, "account_change", NO_RULE_FORM).text
    section = html.split('id="checklist-preview"')[1].split("</section>")[0]
    assert 'class="notice manual-review"' in section
    assert "No standard list of materials applies" in section
    assert "a reviewer will tell you what else" in section
    assert "req-list" not in section


def test_preview_with_unanswered_questions_says_which(client):
    response = preview(client, "account_change", {"account_type": "individual"})
    assert response.status_code == 200
    html = response.text
    assert "Answer the questions above to see the list." in html
    assert re.search(r'id="customer_type-error">Please choose one\.', html)
    assert 'id="customer_type-group"' in html
    assert 'aria-describedby="customer_type-error"' in html
    assert 'href="#customer_type-group"' in html  # the summary links to the question
    assert "account_name-error" not in html  # contact details are not checked on preview


def test_create_errors_are_next_to_their_fields_and_keep_what_was_typed(client, app):
    token = form_token(client, "/new/account_change")
    answers = {
        **CHANGE_FORM,
        "account_name": "",
        "contact_email": "owner@",
        "change_mobile": "",
        "change_email": "",
        "real_name_auth": "",
        "description": "Phone stolen in Lisbon <b>yesterday</b>",
    }
    response = client.post("/new/account_change", data={**answers, "csrf_token": token})
    assert response.status_code == 400
    html = response.text
    assert "Please check 4 answers" in html
    assert (
        '<a href="#real_name_auth-group">Has the account completed real-name '
        "authentication? Please choose one.</a>"
    ) in html
    assert described_error(html, "account_name") == "Tell us which account this is about."
    assert described_error(html, "contact_email") == "Enter an email address like name@example.com."
    assert described_error(html, "change_mobile") == (
        "Give the new mobile number, the new email address, or both."
    )
    assert 'id="real_name_auth-error">Please choose one.' in html
    assert 'aria-describedby="real_name_auth-error"' in html
    # What was typed or chosen is still there, escaped.
    assert input_value(html, "contact_email") == "owner@"
    assert checked(html, "customer_type") == "direct"
    assert checked(html, "card_added") == "false"
    assert "Phone stolen in Lisbon &lt;b&gt;yesterday&lt;/b&gt;</textarea>" in html
    assert ticket_count(app) == 0


def test_service_errors_are_shown_as_sentences_next_to_the_field(client):
    token = form_token(client, "/new/account_change")
    response = client.post(
        "/new/account_change",
        data={**CHANGE_FORM, "csrf_token": token, "change_mobile": "call me maybe"},
    )
    assert response.status_code == 400
    assert described_error(response.text, "change_mobile").startswith(
        "This is not a phone number: use digits, with the country code"
    )
    assert input_value(response.text, "change_mobile") == "call me maybe"


def test_a_post_without_csrf_token_is_refused_with_an_explanation(client, app):
    response = client.post("/new/unfreeze", data=UNFREEZE_FORM)
    assert response.status_code == 400
    assert "This form has expired or was sent from another site, so nothing was changed" in (
        response.text
    )
    assert ticket_count(app) == 0


@pytest.mark.parametrize("action", ["submit", "withdraw", "information", "forget"])
def test_every_ticket_form_needs_the_csrf_token(client, web_ticket, action, app):
    reference, _ = web_ticket
    response = client.post(f"/tickets/{reference}/{action}", data={"explanation": "x"})
    assert response.status_code == 400
    assert "nothing was changed" in response.text
    assert the_ticket(app).status == "draft"


def test_the_upload_form_needs_the_csrf_token(client, web_ticket, pdf_bytes):
    import io

    reference, _ = web_ticket
    response = client.post(
        f"/tickets/{reference}/evidence",
        content_type="multipart/form-data",
        data={"material": "passport", "files": (io.BytesIO(pdf_bytes), "passport.pdf")},
    )
    assert response.status_code == 400
    assert "nothing was changed" in response.text


def test_every_form_on_the_ticket_page_carries_a_csrf_token(client, web_ticket):
    html = client.get(f"/tickets/{web_ticket[0]}").text
    forms = re.findall(r"<form\b.*?</form>", html, re.S)
    assert len(forms) >= 6  # one upload per item, the extra upload, submit, withdraw, forget
    for form in forms:
        assert 'name="csrf_token"' in form


# --- creation and the access code ------------------------------------------------------------


def test_creation_shows_the_code_once_then_redirects(client):
    token = form_token(client, "/new/unfreeze")
    response = client.post("/new/unfreeze", data={**UNFREEZE_FORM, "csrf_token": token})
    assert response.status_code == 302
    location = response.headers["Location"]
    reference = re.fullmatch(r"/tickets/(UF-[A-Z0-9]{4}-[A-Z0-9]{4})/created", location).group(1)

    page = client.get(location)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    code = re.search(r'id="access-code">([^<]+)<', page.text).group(1)
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}", code)
    assert f'href="http://localhost/resume#{reference}:{code}"' in page.text
    assert "we show the access code only once" in page.text

    again = client.get(location)
    assert again.status_code == 302
    assert again.headers["Location"] == f"/tickets/{reference}"
    assert code not in client.get(f"/tickets/{reference}").text


def test_the_code_is_shown_only_on_its_own_tickets_page(client):
    def create() -> str:
        token = form_token(client, "/new/unfreeze")
        response = client.post("/new/unfreeze", data={**UNFREEZE_FORM, "csrf_token": token})
        return response.headers["Location"]

    first, second = create(), create()  # the first page was never opened
    assert client.get(first).status_code == 302
    page = client.get(second)
    assert page.status_code == 200
    code = re.search(r'id="access-code">([^<]+)<', page.text).group(1)
    reference = second.split("/")[2]
    opened = client.get(f"/api/v1/tickets/{reference}", headers={"Authorization": f"Bearer {code}"})
    assert opened.status_code == 200


def test_the_access_code_never_appears_in_a_url(client, new_client):
    reference, code = create_on_web(client)
    other = new_client()
    token = form_token(other, "/resume")
    response = other.post(
        "/resume", data={"reference": reference, "code": code, "csrf_token": token}
    )
    locations = [response.headers["Location"]]
    page = other.get(locations[0])
    hrefs = re.findall(r'(?:href|action|src)="([^"]+)"', page.text)
    plain = code.replace("-", "")
    for url in locations + hrefs:
        assert code not in url and plain not in url
    assert locations == [f"/tickets/{reference}"]


def test_the_access_code_never_reaches_a_log_line(client, new_client, caplog):
    with caplog.at_level("DEBUG"):
        reference, code = create_on_web(client)
        other = new_client()
        token = form_token(other, "/resume")
        other.post("/resume", data={"reference": reference, "code": code, "csrf_token": token})
        other.get(f"/tickets/{reference}")
        other.get(f"/api/v1/tickets/{reference}", headers={"Authorization": f"Bearer {code}"})
    assert any(reference in record.getMessage() for record in caplog.records)
    for record in caplog.records:
        assert code not in record.getMessage() and code.replace("-", "") not in (
            record.getMessage()
        )


def test_the_code_is_stored_only_as_a_hash(client, app):
    import hashlib

    _, code = create_on_web(client)
    ticket = the_ticket(app)
    assert ticket.access_token_hash == hashlib.sha256(code.replace("-", "").encode()).hexdigest()


def test_a_created_page_of_a_ticket_this_browser_does_not_hold_is_404(client, new_client):
    reference, _ = create_on_web(client)
    assert new_client().get(f"/tickets/{reference}/created").status_code == 404


# --- coming back -----------------------------------------------------------------------------


def test_resume_from_another_device_opens_the_ticket(client, new_client):
    reference, code = create_on_web(client)
    phone = new_client()
    assert phone.get(f"/tickets/{reference}").headers["Location"] == (
        f"/resume?reference={reference}"
    )
    page = phone.get(f"/resume?reference={reference}")
    assert f'To open ticket <span class="mono">{reference}</span> on this device' in page.text
    assert input_value(page.text, "reference") == reference
    response = phone.post(
        "/resume",
        data={
            "reference": reference.lower(),
            "code": code.replace("-", " ").lower(),
            "csrf_token": csrf_token(page.text),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/tickets/{reference}"
    ticket_page = phone.get(f"/tickets/{reference}")
    assert ticket_page.status_code == 200
    assert f'Ticket <span class="mono nowrap">{reference}</span>' in ticket_page.text


def test_resume_with_a_wrong_code_explains_next_to_the_field(client, new_client):
    reference, _code = create_on_web(client)
    other = new_client()
    token = form_token(other, "/resume")
    response = other.post(
        "/resume", data={"reference": reference, "code": "AAAA-BBBB", "csrf_token": token}
    )
    assert response.status_code == 400
    assert described_error(response.text, "code").startswith(
        "This reference and access code do not match a ticket."
    )
    assert input_value(response.text, "reference") == reference
    assert other.get(f"/tickets/{reference}").status_code == 302


def test_resume_with_the_code_of_another_ticket_is_refused(client, new_client):
    mine, _ = create_on_web(client)
    _, their_code = create_on_web(client)
    other = new_client()
    token = form_token(other, "/resume")
    response = other.post(
        "/resume", data={"reference": mine, "code": their_code, "csrf_token": token}
    )
    assert response.status_code == 400
    assert "do not match a ticket" in response.text


def test_resume_with_empty_fields_says_what_to_type(client):
    token = form_token(client, "/resume")
    response = client.post("/resume", data={"reference": "", "code": "", "csrf_token": token})
    assert response.status_code == 400
    assert described_error(response.text, "reference") == "Type the ticket reference."
    assert described_error(response.text, "code") == "Type the access code."


def test_resume_page_hands_the_private_link_to_its_script(client):
    html = client.get("/resume").text
    assert '<script src="/static/js/resume.js" defer></script>' in html
    assert 'id="resume-form"' in html and 'name="reference"' in html and 'name="code"' in html
    # JSON data blocks (the page's words) are never run; no script is inline.
    assert re.findall(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))", html) == []


def test_the_ticket_page_of_another_ticket_redirects_to_resume(client, new_client, app):
    reference, _ = create_on_web(client)
    stranger = new_client()
    create_on_web(stranger)
    response = stranger.get(f"/tickets/{reference}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/resume?reference={reference}"
    token = form_token(stranger, "/resume")
    for action in ("submit", "withdraw", "information"):
        answer = stranger.post(
            f"/tickets/{reference}/{action}", data={"csrf_token": token, "explanation": "mine now"}
        )
        assert answer.status_code == 404
    assert the_ticket_by(app, reference).status == "draft"


def the_ticket_by(app, reference: str):
    from triage.extensions import db
    from triage.tickets.models import Ticket

    with app.app_context():
        return db.session.scalar(select(Ticket).where(Ticket.reference == reference))


def test_forgetting_the_device_removes_access(client, web_ticket):
    reference, _ = web_ticket
    response = post_on_ticket(client, reference, "forget")
    assert response.headers["Location"] == "/"
    assert "no longer has access" in client.get("/").text
    assert client.get(f"/tickets/{reference}").status_code == 302


# --- the ticket page -------------------------------------------------------------------------


def words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_ticket_page_shows_the_choice_and_each_missing_item_once(client, web_ticket, pdf_bytes):
    reference, _ = web_ticket
    html = client.get(f"/tickets/{reference}").text
    assert "Not sent to us yet" in html
    next_step = words(html.split('id="next"')[1].split("</section>")[0])
    assert "Still needed: Choose 2 of these 3: One of these: Passport" in next_step
    assert html.count('href="#item-passport"') == 1  # listed once, not three times
    assert "badge" not in html.split('id="documents"')[1]  # plain words, not MISSING badges
    upload_on_web(client, reference, "passport", (pdf_bytes, "passport.pdf"))
    html = client.get(f"/tickets/{reference}").text
    next_step = words(html.split('id="next"')[1].split("</section>")[0])
    assert (
        "Still needed: Choose 1 more of these 2: Front of the credit card Transaction details"
        in (next_step)
    )
    assert 'id="file-passport"' in html and 'id="file-card_transactions"' in html
    assert "passport.pdf" in html
    assert "What you told us" in html and "owner@example.com" in html


def test_a_met_choice_folds_the_options_not_taken(client, web_ticket, pdf_bytes):
    from tests.tickets.conftest import JPEG

    reference, _ = web_ticket
    upload_on_web(client, reference, "passport", (pdf_bytes, "passport.pdf"))
    upload_on_web(client, reference, "card_front", (JPEG, "front.jpg"))
    html = client.get(f"/tickets/{reference}").text
    group = html.split('class="choice-group group-done"', 1)[1]
    assert "Done: you have sent enough for this part." in group
    folded = group.split('<details class="folded"')[-1]
    assert "1 other option (not needed now)" in folded
    assert 'id="item-card_transactions"' in folded
    assert "Not sent yet" not in html.split('id="next"')[1].split("</section>")[0]


def test_information_form_keeps_typed_values_and_ties_errors_to_fields(client, app):
    reference, _ = create_on_web(client, "account_change", NO_PAYMENTS_FORM)
    typed = {
        "original_mobile": "12",
        "email": "li@",
        "user_name": "Li Wei",
        "contact_address.line1": "1 Main Street",
        "contact_address.line2": "",
        "contact_address.city": "",
        "contact_address.province": "Zhejiang",
        "contact_address.postal_code": "310000",
        "contact_address.country": "China",
    }
    response = post_on_ticket(client, reference, "information", typed)
    assert response.status_code == 400
    html = response.text
    assert "Nothing was saved. Please check the fields marked below." in html
    assert described_error(html, "f-email").startswith("This is not a valid email address")
    assert described_error(html, "f-original_mobile").startswith("This is not a phone number")
    assert described_error(html, "f-contact_address-city") == "City is required."
    for name, value in typed.items():
        assert input_value(html, name) == value
    assert the_ticket(app).information == {}

    fixed = {
        **typed,
        "original_mobile": "",
        "email": "li@example.com",
        "contact_address.city": "Hangzhou",
    }
    response = post_on_ticket(client, reference, "information", fixed)
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).text
    assert "Your information was saved." in html
    assert input_value(html, "email") == "li@example.com"
    assert input_value(html, "contact_address.city") == "Hangzhou"
    assert the_ticket(app).information["user_name"] == "Li Wei"


def test_submit_incomplete_lists_what_is_missing_and_asks_why(client, web_ticket, pdf_bytes, app):
    reference, _ = web_ticket
    upload_on_web(client, reference, "passport", (pdf_bytes, "passport.pdf"))
    response = post_on_ticket(client, reference, "submit")
    assert response.status_code == 409
    html = response.text
    missing = html.split('id="submit-missing"')[1].split("</div>")[0]
    assert "You cannot send it yet: something on the list at the top is still needed." in missing
    assert 'href="#next"' in missing
    assert "say why below and send the ticket anyway" in missing
    assert html.count('href="#item-card_front"') == 1  # the list at the top, once
    assert re.search(
        r'<textarea[^>]*aria-describedby="submit-missing"[^>]*aria-invalid="true"'
        r'[^>]*name="explanation"',
        html,
    )
    assert the_ticket(app).status == "draft"


def test_submit_with_an_explanation_is_flagged_incomplete(client, web_ticket, app):
    reference, _ = web_ticket
    response = post_on_ticket(
        client,
        reference,
        "submit",
        {"explanation": "My card was cancelled when the phone was stolen."},
    )
    assert response.status_code == 302
    html = client.get(f"/tickets/{reference}").text
    assert "Your ticket was sent." in html
    assert "We are checking your documents" in html
    assert "You do not need to do anything now" in html
    assert 'id="file-passport"' not in html  # no more uploads
    ticket = the_ticket(app)
    assert ticket.status == "awaiting_review" and "incomplete" in ticket.flags
    assert ticket.explanation == "My card was cancelled when the phone was stolen."


def test_an_overlong_explanation_is_refused_next_to_the_field(client, web_ticket, app):
    reference, _ = web_ticket
    response = post_on_ticket(client, reference, "submit", {"explanation": "x" * 4001})
    assert response.status_code == 400
    assert "Field cannot be longer than 4000 characters." in described_error(
        response.text, "explanation"
    )
    assert the_ticket(app).status == "draft"


def test_a_complete_ticket_submits_without_an_explanation(client, web_ticket, pdf_bytes, app):
    from tests.tickets.conftest import JPEG

    reference, _ = web_ticket
    upload_on_web(client, reference, "passport", (pdf_bytes, "passport.pdf"))
    upload_on_web(client, reference, "card_front", (JPEG, "front.jpg"))
    html = client.get(f"/tickets/{reference}").text
    assert "Everything needed is here." in html
    assert 'name="explanation"' not in html
    assert post_on_ticket(client, reference, "submit").status_code == 302
    ticket = the_ticket(app)
    # No record of the account was loaded here, so only recovery.md's flag is on.
    assert ticket.status == "awaiting_review" and ticket.flags == ["unknown_account"]


def test_withdraw(client, web_ticket, app):
    reference, _ = web_ticket
    response = post_on_ticket(client, reference, "withdraw")
    assert response.headers["Location"] == f"/tickets/{reference}"
    html = client.get(f"/tickets/{reference}").text
    assert "Your ticket was withdrawn. Nothing more will happen with it." in html
    assert "You withdrew this ticket" in html
    assert "Withdraw the ticket" not in html and 'id="file-passport"' not in html
    assert the_ticket(app).status == "withdrawn"
    again = post_on_ticket(client, reference, "withdraw")
    assert (
        "You cannot withdraw while the ticket is withdrawn"
        in client.get(again.headers["Location"]).text
    )


def test_a_ticket_without_a_rule_offers_an_open_upload_form(client):
    reference, _ = create_on_web(client, "account_change", NO_RULE_FORM)
    html = client.get(f"/tickets/{reference}").text
    assert "No standard list of materials applies" in html
    assert re.search(r'<details class="more-docs" id="more-docs" open>', html)
    assert "Add documents that show the account is yours" in html
    response = post_on_ticket(client, reference, "submit")
    assert response.status_code == 409
    assert "add at least one document that shows the account is yours" in response.text


def test_a_request_for_more_is_shown_with_what_and_why(client, web_ticket, app):
    from triage.extensions import db
    from triage.tickets.models import MaterialRequest, Ticket

    reference, _ = web_ticket
    post_on_ticket(client, reference, "submit", {"explanation": "Later."})
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        ticket.status = "needs_more_info"
        db.session.add(
            MaterialRequest(
                ticket_id=ticket.id,
                materials=["driver_license"],
                message="Your passport photo is blurred.",
                at=datetime.now(UTC),
            )
        )
        db.session.commit()
    html = client.get(f"/tickets/{reference}").text
    assert "The reviewer asks for more" in html
    assert "Your passport photo is blurred." in html
    assert 'href="#item-driver_license">Driver license' in html
    assert 'id="file-driver_license"' in html
    assert "Send again" in html


@pytest.fixture
def rate_limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    return app_config


def test_forms_sent_back_for_a_correction_do_not_count_against_the_creation_limit(
    rate_limited, client
):
    from tests.tickets.conftest import UNFREEZE_FORM, form_token

    for _ in range(6):  # the limit is 5 a minute; each of these is sent back to be corrected
        token = form_token(client, "/new/unfreeze")
        answers = {**UNFREEZE_FORM, "contact_email": "not an address"}
        response = client.post("/new/unfreeze", data={**answers, "csrf_token": token})
        assert response.status_code == 400
    reference, _ = create_on_web(client)
    assert reference.startswith("UF-")


def test_pages_name_an_empty_icon_so_browsers_never_ask_for_favicon_ico(client):
    assert '<link rel="icon" href="data:,">' in client.get("/").text
