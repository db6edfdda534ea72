"""What the customer pages say about a lost access code, and the header of a ticket not
sent yet (issue: a newcomer's findings, parts 1 and 2).

Nobody can look a code up (only its hash is stored), but a customer who lost it asks for a
new private link on `/tickets/resend-link` (README "Lost the access code?", api.md
`POST /api/v1/tickets/<reference>/resend-link`); the new code replaces the old one. The
pages say so in every language and link to that page; none tells the customer to file a
new ticket. A ticket not sent yet was "started", not "filed".
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import render_template
from flask_babel import force_locale

from tests.tickets.conftest import UNFREEZE_FORM, form_token

LANGUAGES = ["en", "es", "zh_Hans"]
# What the old pages said: a lost code meant a new ticket.
OLD_ADVICE = {
    "en": ("file a new ticket", "cannot recover"),
    "es": ("presentar una solicitud nueva", "Presente una solicitud nueva"),
    "zh_Hans": ("重新提交工单",),
}
NEW_LINK = {"en": "new private link", "es": "enlace privado nuevo", "zh_Hans": "私人链接"}
STARTED = {"en": "Started", "es": "Iniciada el", "zh_Hans": "创建于"}
FILED = {"en": "Filed", "es": "Presentada el", "zh_Hans": "提交于"}
SENT = {"en": "sent", "es": "enviada el", "zh_Hans": "发送于"}


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


def _link_to_resend(html: str, reference: str | None = None) -> str:
    """The text of the link to the resend page (its reference filled in when given)."""
    query = rf"\?reference={reference}" if reference else r"(\?reference=[^\"]*)?"
    match = re.search(rf'<a href="/tickets/resend-link{query}">([^<]+)</a>', html)
    assert match, "no link to /tickets/resend-link"
    return match.group(1)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_created_page_offers_a_new_link_not_a_new_ticket(client, language):
    token = form_token(client, "/new/unfreeze")
    created = client.post("/new/unfreeze", data={**UNFREEZE_FORM, "csrf_token": token})
    reference = re.search(r"/tickets/([A-Z0-9-]+)/created", created.headers["Location"]).group(1)

    page = client.get(created.headers["Location"], headers={"Accept-Language": language})
    assert page.status_code == 200
    assert f'<html lang="{language.replace("_", "-")}"' in page.text
    assert NEW_LINK[language] in _link_to_resend(page.text, reference)
    for words in OLD_ADVICE[language]:
        assert words not in page.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_resume_page_links_to_the_resend_page(client, language):
    page = client.get("/resume", headers={"Accept-Language": language})
    assert page.status_code == 200
    text = _text(page.text)
    assert NEW_LINK[language] in text
    _link_to_resend(page.text)
    for words in OLD_ADVICE[language]:
        assert words not in page.text
    lost = page.text.split('id="lost-code"', 1)[1].split("</p>", 1)[0]
    assert "/new/" not in lost and 'href="/"' not in lost  # no "file a new ticket" link


def test_the_resume_page_hands_the_typed_reference_to_the_resend_page(client):
    page = client.get("/resume?reference=UF-7K3P-9QXM")
    _link_to_resend(page.text, "UF-7K3P-9QXM")
    # The resend page takes it from there.
    resend = client.get("/tickets/resend-link?reference=UF-7K3P-9QXM")
    assert 'value="UF-7K3P-9QXM"' in resend.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_ticket_not_sent_yet_was_started_and_a_sent_one_filed_and_sent(
    client, web_ticket, language
):
    reference, code = web_ticket
    headers = {"Accept-Language": language}
    dates = re.compile(r'<p class="dates">(.*?)</p>', re.S)

    draft = dates.search(client.get(f"/tickets/{reference}", headers=headers).text).group(1)
    assert draft.startswith(STARTED[language])
    assert FILED[language] not in draft and SENT[language] not in draft

    answer = client.post(
        f"/api/v1/tickets/{reference}/submit",
        headers={"Authorization": f"Bearer {code}"},
        json={"explanation": "I have no documents with me yet."},
    )
    assert answer.status_code == 200, answer.json
    sent = dates.search(client.get(f"/tickets/{reference}", headers=headers).text).group(1)
    assert sent.startswith(FILED[language])
    assert SENT[language] in sent and STARTED[language] not in sent


IF_NOT_YOU = {
    "en": ("If you didn't ask for it", "any device that used it no longer open the ticket"),
    "es": ("Si no lo pidió", "ni los dispositivos que lo usaron abren ya la solicitud"),
    "zh_Hans": ("如果这不是您申请的", "用过它的任何设备都已无法打开工单"),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("part", ["txt", "html"])
def test_the_new_link_email_says_the_old_code_and_its_devices_are_done(app, language, part):
    """Whoever asked, the old code no longer works by the time the email is read: the email
    does not say "ignore it", and says the ticket is still the reader's."""
    context = {
        "reference": "UF-7K3P-9QXM",
        "private_link": "https://triage.example/resume#UF-7K3P-9QXM:K7QM-2XPA-9RTD-C4HW-8NJB",
        "code": "K7QM-2XPA-9RTD-C4HW-8NJB",
    }
    with app.test_request_context(), force_locale(language):
        body = _text(render_template(f"email/access_link.{part}", **context))
    body = " ".join(body.split())
    for words in IF_NOT_YOU[language]:
        assert words in body
    assert "ignore" not in body and "ignorarlo" not in body and "忽略" not in body
