"""Form errors next to the fields speak the page's language (README "Languages").

The services say what is wrong in the API's words (`fields`, English by api.md, unchanged);
the pages show each as a whole sentence from the catalog (`forms.tickets.sentence`), with
values such as an address part's label translated too. Chinese and Spanish pages never show
the services' English, and what the customer typed is kept.
"""

from __future__ import annotations

import re

import pytest

from tests.tickets.conftest import CHANGE_FORM, create_on_web, form_token

NO_PAYMENTS_FORM = {**CHANGE_FORM, "real_name_auth": "not_completed", "payments_made": "false"}
LANGUAGES = [("zh-CN", "zh_Hans"), ("es", "es")]
# Words of the services' and the pages' English that no Chinese or Spanish sentence contains.
ENGLISH = re.compile(
    r"\b(this|is|the|must|required|please|give|not|valid|address|characters?|phone|"
    r"remove|type|choose|fill|field|cannot|longer)\b",
    re.I,
)


def errors_by_field(html: str) -> dict[str, str]:
    """Each field's error (`<… id="<name>-error">`), as text."""
    found = re.findall(r'id="([^"]+)-error"[^>]*>(.*?)</(?:p|div)>', html, re.S)
    return {name: re.sub(r"<[^>]+>", "", words).strip() for name, words in found}


def input_value(html: str, name: str) -> str:
    tag = re.search(rf'<(?:input|textarea)[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert tag, f"no field {name}"
    if tag.group(0).startswith("<textarea"):
        return html[tag.end() :].split("</textarea>", 1)[0]
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def assert_in_language(errors: dict[str, str], locale: str) -> None:
    assert errors, "no error next to any field"
    for name, words in errors.items():
        assert words, name
        assert not ENGLISH.search(words), f"English next to {name} in {locale}: {words!r}"
        if locale == "zh_Hans":
            assert re.search(r"[\u4e00-\u9fff]", words), (name, words)


# --- the new-ticket form -------------------------------------------------------------------


@pytest.mark.parametrize(("accept_language", "locale"), LANGUAGES)
def test_an_account_change_without_a_new_mobile_or_email_is_refused_in_the_language(
    client, app, accept_language, locale
):
    headers = {"Accept-Language": accept_language}
    token = form_token(client, "/new/account_change")
    answers = {**CHANGE_FORM, "change_mobile": "", "change_email": "", "csrf_token": token}
    response = client.post("/new/account_change", headers=headers, data=answers)
    assert response.status_code == 400
    errors = errors_by_field(response.text)
    expected = {
        "zh_Hans": "请填写新手机号码或新邮箱地址，也可以两项都填。",  # noqa: RUF001
        "es": "Indique el nuevo número de móvil, el nuevo correo electrónico o ambos.",
    }
    assert errors["change_mobile"] == expected[locale]
    assert "Give the new mobile number" not in response.text
    assert_in_language(errors, locale)
    assert input_value(response.text, "account_name") == "acme-cloud"


@pytest.mark.parametrize(("accept_language", "locale"), LANGUAGES)
def test_the_new_ticket_forms_service_errors_are_in_the_language(client, accept_language, locale):
    headers = {"Accept-Language": accept_language}
    token = form_token(client, "/new/account_change")
    typed = {
        **CHANGE_FORM,
        "change_mobile": "12ab",
        "change_email": "old-at-example",
        "account_name": "x" * 300,
        "description": "Phone lost\x01",
    }
    response = client.post(
        "/new/account_change", headers=headers, data={**typed, "csrf_token": token}
    )
    assert response.status_code == 400
    errors = errors_by_field(response.text)
    assert {"change_mobile", "change_email", "account_name", "description"} <= set(errors)
    assert_in_language(errors, locale)
    assert "+44 7700 900123" in errors["change_mobile"]  # the example stays
    assert "U+0001" in errors["description"]
    assert "@-sign" not in response.text  # email-validator's reason is English only
    assert input_value(response.text, "change_mobile") == "12ab"
    assert input_value(response.text, "change_email") == "old-at-example"


def test_english_pages_keep_the_services_own_words(client):
    token = form_token(client, "/new/account_change")
    typed = {**CHANGE_FORM, "change_mobile": "12ab", "change_email": "old-at-example"}
    response = client.post("/new/account_change", data={**typed, "csrf_token": token})
    errors = errors_by_field(response.text)
    assert errors["change_mobile"] == (
        "This is not a phone number: use digits, with the country code, e.g. +44 7700 900123."
    )
    assert errors["change_email"] == (
        "This is not a valid email address (An email address must have an @-sign.)"
    )


@pytest.mark.parametrize(("accept_language", "locale"), LANGUAGES)
def test_a_preview_with_a_choice_that_does_not_exist_asks_in_the_language(
    client, accept_language, locale
):
    token = form_token(client, "/new/account_change")
    response = client.post(
        "/new/account_change",
        headers={"Accept-Language": accept_language},
        data={**CHANGE_FORM, "customer_type": "other", "preview": "1", "csrf_token": token},
    )
    errors = errors_by_field(response.text)
    assert "customer_type" in errors
    assert_in_language(errors, locale)


# --- the ticket page: information, upload, submit -------------------------------------------


@pytest.mark.parametrize(("accept_language", "locale"), LANGUAGES)
def test_the_information_forms_errors_are_in_the_language_and_keep_what_was_typed(
    client, app, accept_language, locale
):
    reference, _ = create_on_web(client, "account_change", NO_PAYMENTS_FORM)
    headers = {"Accept-Language": accept_language}
    typed = {
        "email": "old-at-example",
        "original_mobile": "12ab",
        "user_name": "Li\x01Wei",
        "contact_address.line1": "1 Main Street",
        "contact_address.line2": "",
        "contact_address.city": "Hangzhou",
        "contact_address.province": "",
        "contact_address.postal_code": "",
        "contact_address.country": "",
    }
    token = form_token(client, f"/tickets/{reference}")
    response = client.post(
        f"/tickets/{reference}/information", headers=headers, data={**typed, "csrf_token": token}
    )
    assert response.status_code == 400
    errors = errors_by_field(response.text)
    for part in ("province", "postal_code", "country", "email", "original_mobile"):
        assert any(part in name for name in errors), (part, errors)
    assert_in_language(errors, locale)
    labels = {
        "zh_Hans": ("请填写省、州或自治区。", "请填写邮政编码。", "请填写国家或地区。"),
        "es": (
            "Rellene el campo «Provincia, estado o región autónoma».",
            "Rellene el campo «Código postal».",
            "Rellene el campo «País o región».",
        ),
    }
    for sentence in labels[locale]:
        assert sentence in errors.values(), (sentence, errors)
    for english in (
        "This is not a valid email address",
        "This is not a phone number",
        "is required",
        "@-sign",
        "control characters",
    ):
        assert english not in response.text, english
    for name, value in typed.items():
        if "\x01" not in value:
            assert input_value(response.text, name) == value, name


@pytest.mark.parametrize(("accept_language", "locale"), LANGUAGES)
def test_a_bank_account_number_and_a_long_name_are_refused_in_the_language(
    accept_language, locale, app
):
    """Words the page form reaches less often, through `sentence` directly."""
    from forms.tickets import sentence
    from triage.tickets.information import (
        NOT_AN_ACCOUNT_NUMBER,
        NOT_AN_ITEM,
        clean_email,
        part_required,
    )

    try:
        clean_email("old-at-example")
    except ValueError as exc:
        bad_email = str(exc)
    cases = [
        NOT_AN_ACCOUNT_NUMBER,
        NOT_AN_ITEM,
        part_required("line1"),
        bad_email,
        "must be at most 200 characters",
        "must be at most 200 characters (this has 201)",
        "contains a lone UTF-16 surrogate (U+D800, at position 5)",
        "must be one of: direct, reseller, partner",
        "unknown parts: planet",  # words no sentence is written for: a general one
        "is required",
    ]
    with app.test_request_context("/", headers={"Accept-Language": accept_language}):
        shown = {case: sentence(case) for case in cases}
    assert_in_language(shown, locale)
    assert "200" in shown["must be at most 200 characters"]
    assert "U+D800" in shown["contains a lone UTF-16 surrogate (U+D800, at position 5)"]


def test_a_translated_message_is_shown_as_it_is(app):
    """A page error already in the customer's language (the view's `_form`) is not touched."""
    from forms.tickets import sentence

    with app.test_request_context("/?lang=zh_Hans"):
        assert sentence("您不能修改信息。") == "您不能修改信息。"
    with app.test_request_context("/?lang=es"):
        assert sentence("No puede cambiar la información.") == "No puede cambiar la información."


@pytest.mark.parametrize(("accept_language", "locale"), LANGUAGES)
def test_upload_and_submit_errors_are_in_the_language(client, accept_language, locale):
    reference, _ = create_on_web(client)
    headers = {"Accept-Language": accept_language}
    token = form_token(client, f"/tickets/{reference}")
    upload = client.post(
        f"/tickets/{reference}/evidence",
        headers=headers,
        data={"csrf_token": token, "material": "x" * 60},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 400
    assert "Field cannot be longer" not in upload.text
    submit = client.post(
        f"/tickets/{reference}/submit",
        headers=headers,
        data={"csrf_token": token, "explanation": "The card is lost\x01"},
    )
    assert submit.status_code == 400
    errors = errors_by_field(submit.text)
    assert "U+0001" in errors["explanation"]
    assert_in_language(errors, locale)
    assert "Remove it and send the form again" not in submit.text


@pytest.mark.parametrize(("accept_language", "locale"), LANGUAGES)
def test_the_resume_forms_errors_are_in_the_language(client, accept_language, locale):
    headers = {"Accept-Language": accept_language}
    token = form_token(client, "/resume")
    response = client.post(
        "/resume",
        headers=headers,
        data={"reference": "UF-7K3P\x01", "code": "", "csrf_token": token},
    )
    assert response.status_code == 400
    errors = errors_by_field(response.text)
    assert {"reference", "code"} <= set(errors)
    assert_in_language(errors, locale)


# --- the API keeps its words ---------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh_Hans", "es"])
def test_the_apis_fields_stay_the_services_words_in_every_language(client, lang):
    body = {**{k: v for k, v in CHANGE_FORM.items() if not k.startswith("change")}}
    body |= {"type": "account_change", "card_added": False, "change": {"mobile": "12ab"}}
    english = client.post("/api/v1/tickets", json=body).json["error"]
    other = client.post(f"/api/v1/tickets?lang={lang}", json=body).json["error"]
    assert english["code"] == other["code"] == "invalid_request"
    assert english["fields"] == other["fields"]
    assert other["fields"]["change.mobile"].startswith("is not a phone number")
    assert english["message"] == "Some answers are missing or not valid."
    assert other["message"] != english["message"]


def test_translators_read_the_sentences_english_pages_show(app):
    """Where English pages show the services' words as they are, the catalog's English is
    that same sentence, so a translation says what the English page says."""
    from forms.tickets import FIELD_SENTENCES, _known, sentence
    from triage.tickets.information import (
        NOT_A_PHONE,
        NOT_AN_ACCOUNT_NUMBER,
        NOT_AN_ITEM,
        part_required,
    )
    from triage.tickets.schemas import CHANGE_NEEDED

    templates = dict(FIELD_SENTENCES)
    with app.test_request_context("/"):
        for words in (CHANGE_NEEDED, NOT_A_PHONE, NOT_AN_ACCOUNT_NUMBER, NOT_AN_ITEM):
            assert sentence(words) == templates[words]
        assert sentence(part_required("city")) == "City is required."
        assert _known(part_required("city")).values["field"] == "City"
