"""Customer form errors are whole sentences in the page's language (README "Languages";
forms.tickets.sentence): hostile values on the new-ticket and information forms never
answer 5xx, never put English next to a field on a Chinese or Spanish page, keep what was
typed and never echo raw HTML."""

from __future__ import annotations

import html

import pytest

from tests.forms.test_field_messages import (
    ENGLISH,
    assert_in_language,
    errors_by_field,
    input_value,
)
from tests.tickets.conftest import CHANGE_FORM, form_token
from triage.text import show_text

LANGUAGES = [("zh-CN", "zh_Hans"), ("es", "es")]
HOSTILE = [
    "%(field)s",
    "%s%s%s%d",
    "%(",
    ".*+?[](){}|^$\\1",
    "<script>alert(1)</script>",
    "a@b",
    "ana@exämple.测试",
    "＋４４ ７７００ ９００１２３",  # full-width look-alikes  # noqa: RUF001
    "((+44)) [7700] {900} 123",
    "x" * 5000,
    "\u202eevil",
    "a\u0007b",
    "Ⅹ@ехample.com",  # Cyrillic look-alikes  # noqa: RUF001
]
# Each hostile value in one of the two other languages, in turn: the sentences come from one
# catalogue lookup whatever the language, so every value need not meet both.
CASES = [(value, *LANGUAGES[n % 2]) for n, value in enumerate(HOSTILE)]


@pytest.mark.parametrize(("value", "accept_language", "locale"), CASES, ids=range(len(CASES)))
@pytest.mark.parametrize("field", ["change_mobile", "change_email", "contact_email"])
def test_hostile_values_on_the_new_ticket_form_answer_in_the_language(
    client, accept_language, locale, value, field
):
    headers = {"Accept-Language": accept_language}
    token = form_token(client, "/new/account_change")
    answers = {**CHANGE_FORM, field: value, "csrf_token": token}
    response = client.post("/new/account_change", headers=headers, data=answers)
    assert response.status_code < 500
    if response.status_code in (302, 303):
        return  # accepted as it is: nothing to show next to a field
    assert response.status_code == 400, response.status_code
    errors = errors_by_field(response.text)
    assert_in_language(errors, locale)
    assert "<script>alert(1)</script>" not in response.text
    assert "%(" not in "".join(errors.values())
    kept = html.unescape(input_value(response.text, field))
    # Kept, cut to the field's limit and shown safely (bidi controls named, controls U+FFFD).
    assert kept and show_text(value).startswith(kept), (kept[:40], value[:40])


INFO_FIELDS = ["email", "original_mobile", "user_name", "contact_address.city"]
NO_PAYMENTS_FORM = {**CHANGE_FORM, "real_name_auth": "not_completed", "payments_made": "false"}


@pytest.mark.parametrize(("value", "accept_language", "locale"), CASES, ids=range(len(CASES)))
@pytest.mark.parametrize("field", INFO_FIELDS)
def test_hostile_values_on_the_information_form_answer_in_the_language(
    client, accept_language, locale, value, field
):
    from tests.tickets.conftest import create_on_web

    reference, _ = create_on_web(client, "account_change", NO_PAYMENTS_FORM)
    headers = {"Accept-Language": accept_language}
    typed = {
        "email": "ana@example.com",
        "original_mobile": "+44 7700 900123",
        "user_name": "Li Wei",
        "contact_address.line1": "1 Main Street",
        "contact_address.line2": "",
        "contact_address.city": "Hangzhou",
        "contact_address.province": "Zhejiang",
        "contact_address.postal_code": "310000",
        "contact_address.country": "China",
        field: value,
    }
    token = form_token(client, f"/tickets/{reference}")
    response = client.post(
        f"/tickets/{reference}/information", headers=headers, data={**typed, "csrf_token": token}
    )
    assert response.status_code < 500
    if response.status_code in (302, 303):
        return
    assert response.status_code == 400, response.status_code
    errors = errors_by_field(response.text)
    assert_in_language(errors, locale)
    assert "<script>alert(1)</script>" not in response.text
    assert not any(ENGLISH.search(words) for words in errors.values())
