"""The language of the registered owner's emails (recovery.md "Notice to the registered
owner, and a waiting period"): the account's own, else the deployment's default, never the
language of whoever filed the change. An attacker who files a change chooses the ticket's
language; were the owner's warning written in it, they would choose one the owner cannot
read, and the "this was not me" link would go unread. The requester's own emails stay in
the ticket's language, and the link's page opens in the owner's email's language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask_babel import force_locale, gettext

from tests.conftest import csrf_token
from tests.recovery.conftest import (
    CONTACT,
    OWNER,
    html_part,
    later,
    links_in,
    notifications,
    text_part,
)

# The "this was not me" link as the email has it: its path and its `?lang=`.
FULL_LINK = re.compile(r"https://triage\.example(/not-me/[A-Za-z0-9_\-]+\?lang=([A-Za-z_]+))")
OWNER_KINDS = ("owner_notice", "owner_approved", "owner_disputed")
# The requester's own emails on the same path (to the ticket's contact email).
REQUESTER_KINDS = ("ticket_created", "decision", "disputed")
# The <html lang> a page or an HTML email of each language has.
TAGS = {"en": "en", "zh_Hans": "zh-Hans", "es": "es"}
# How a customer's browser asks for each language.
ACCEPT = {"zh_Hans": "zh-CN,zh;q=0.9", "es": "es-CL,es;q=0.9", "en": "en-GB"}


def subject(app, language: str, msgid: str, **values: Any) -> str:
    """The subject `msgid` as the catalogue has it in `language`."""
    with app.app_context(), force_locale(language):
        return str(gettext(msgid, **values))


def owner_link(message) -> tuple[str, str]:
    """(path with query, `lang`) of the one "this was not me" link in `message`."""
    [found] = set(FULL_LINK.findall(text_part(message)))
    return found


def in_language(message, language: str) -> bool:
    return message["Content-Language"] == TAGS[
        language
    ] and f'<html lang="{TAGS[language]}">' in html_part(message)


def walk_the_whole_path(app, change_ticket, smtp, requester: str, account: str | None):
    """File a change in `requester`'s language for an account whose record says `account`
    (None: no language), approve it, then the owner presses "this was not me" through the
    exact link of the approval email, in a browser that asks for nothing. Returns (made,
    owner's messages by kind, requester's messages by kind, the link's page, its answer)."""
    made = change_ticket(headers={"Accept-Language": ACCEPT[requester]}, language=account)
    smtp.wait_for(2, timeout=10)  # ticket_created, owner_notice
    made.approve(later(72))
    smtp.wait_for(4, timeout=10)  # + decision, owner_approved
    owner_browser = app.test_client()
    path, _ = owner_link(smtp.to(OWNER)[-1])
    shown = owner_browser.get(path)
    assert shown.status_code == 200, shown.text[:400]
    answer = owner_browser.post(path, data={"csrf_token": csrf_token(shown.text)})
    assert answer.status_code == 200, answer.text[:400]
    smtp.wait_for(6, timeout=10)  # + disputed, owner_disputed
    rows = notifications(app, made.reference)
    assert {row["kind"]: row["status"] for row in rows} == dict.fromkeys(
        OWNER_KINDS + REQUESTER_KINDS, "sent"
    )
    # Each message by its Message-ID, which names its outbox row.
    sent = {m["Message-ID"]: m for m in smtp.messages}
    by_kind = {r["kind"]: sent[f"<notification-{r['id']}@triage.example>"] for r in rows}
    owner = {k: m for k, m in by_kind.items() if m["To"] == OWNER}
    mine = {k: m for k, m in by_kind.items() if m["To"] == CONTACT}
    assert set(owner) == set(OWNER_KINDS) and set(mine) == set(REQUESTER_KINDS)
    languages = {row["kind"]: row["language"] for row in rows}
    return made, owner, mine, languages, shown, answer


@pytest.mark.parametrize("requester", ["zh_Hans", "es"])
def test_a_record_without_a_language_the_owner_is_written_in_the_default_language(
    app, change_ticket, smtp, requester
):
    made, owner, mine, languages, shown, answer = walk_the_whole_path(
        app, change_ticket, smtp, requester, account=None
    )
    # The owner's three emails: English (the default), whatever the requester speaks.
    for kind in OWNER_KINDS:
        assert languages[kind] == "en", (kind, languages)
        assert in_language(owner[kind], "en"), (kind, owner[kind]["Content-Language"])
    assert owner["owner_notice"]["Subject"] == "A change to your account acme-cloud was requested"
    assert owner["owner_approved"]["Subject"] == "A change to your account acme-cloud was approved"
    assert owner["owner_disputed"]["Subject"] == (
        "We stopped the change to your account acme-cloud"
    )
    assert "this is the email address registered for that account" in text_part(
        owner["owner_notice"]
    )
    # Both links open the page in the owner's email's language.
    for kind in ("owner_notice", "owner_approved"):
        assert owner_link(owner[kind])[1] == "en"
        assert [len(t) for t in links_in(owner[kind])] == [43]
    assert '<html lang="en">' in shown.text and 'id="not-me-form"' in shown.text
    assert '<html lang="en">' in answer.text and 'id="not-me-done"' in answer.text
    # The requester's own emails stay in the language they filed in.
    for kind in REQUESTER_KINDS:
        assert languages[kind] == requester, (kind, languages)
        assert in_language(mine[kind], requester), (kind, mine[kind]["Content-Language"])
    assert mine["disputed"]["Subject"].strip() == subject(
        app, requester, "Ticket %(reference)s: on hold", reference=made.reference
    )
    assert mine["disputed"]["Subject"] != f"Ticket {made.reference}: on hold"


@pytest.mark.parametrize(("requester", "account"), [("zh_Hans", "es"), ("es", "zh_Hans")])
def test_a_record_with_a_language_the_owner_is_written_in_it(
    app, change_ticket, smtp, requester, account
):
    _, owner, mine, languages, shown, answer = walk_the_whole_path(
        app, change_ticket, smtp, requester, account=account
    )
    for kind in OWNER_KINDS:
        assert languages[kind] == account, (kind, languages)
        assert in_language(owner[kind], account), (kind, owner[kind]["Content-Language"])
    assert owner["owner_notice"]["Subject"].strip() == subject(
        app, account, "A change to your account %(account)s was requested", account="acme-cloud"
    )
    assert owner["owner_disputed"]["Subject"].strip() == subject(
        app, account, "We stopped the change to your account %(account)s", account="acme-cloud"
    )
    for kind in ("owner_notice", "owner_approved"):
        assert owner_link(owner[kind])[1] == account
    assert f'<html lang="{TAGS[account]}">' in shown.text
    assert f'<html lang="{TAGS[account]}">' in answer.text
    for kind in REQUESTER_KINDS:
        assert languages[kind] == requester, (kind, languages)
        assert in_language(mine[kind], requester)


def test_the_link_opens_in_the_owners_language_whatever_the_owners_browser_asks(
    app, change_ticket, smtp
):
    """The page follows the link's `lang` (the owner's email), ahead of a browser's
    Accept-Language: the owner reads the page in the language the warning was in."""
    change_ticket(headers={"Accept-Language": ACCEPT["zh_Hans"]}, language="es")
    smtp.wait_for(2, timeout=10)
    [notice] = smtp.to(OWNER)
    path, lang = owner_link(notice)
    assert lang == "es" and in_language(notice, "es")
    shown = app.test_client().get(path, headers={"Accept-Language": "zh-CN"})
    assert shown.status_code == 200 and '<html lang="es">' in shown.text


@pytest.mark.parametrize(("spelling", "language"), [("zh-CN", "zh_Hans"), ("ES-mx", "es")])
def test_a_record_language_in_another_spelling_is_read_as_the_language(
    app, change_ticket, smtp, spelling, language
):
    made = change_ticket(language=spelling)  # a record stored before it was cleaned
    smtp.wait_for(2, timeout=10)
    [notice] = smtp.to(OWNER)
    assert in_language(notice, language)
    assert {r["kind"]: r["language"] for r in notifications(app, made.reference)} == {
        "ticket_created": "en",
        "owner_notice": language,
    }


def test_a_record_language_the_product_does_not_write_falls_back_to_the_default(
    app, change_ticket, smtp
):
    change_ticket(headers={"Accept-Language": ACCEPT["zh_Hans"]}, language="fr")
    smtp.wait_for(2, timeout=10)
    [notice] = smtp.to(OWNER)
    assert in_language(notice, "en") and owner_link(notice)[1] == "en"


@pytest.fixture
def default_language(request, app_config):
    """The deployment's default language (`DEFAULT_LANGUAGE`, which config.load_config
    reads into BABEL_DEFAULT_LOCALE), set before the app is made: indirect parameter."""
    app_config["BABEL_DEFAULT_LOCALE"] = request.param
    return request.param


@pytest.mark.parametrize("default_language", ["zh_Hans"], indirect=True)
def test_the_deployments_default_language_is_the_owners_when_the_record_has_none(
    default_language, app, change_ticket, smtp
):
    made = change_ticket(headers={"Accept-Language": ACCEPT["es"]})
    smtp.wait_for(2, timeout=10)
    [notice] = smtp.to(OWNER)
    assert in_language(notice, "zh_Hans") and owner_link(notice)[1] == "zh_Hans"
    [created] = smtp.to(CONTACT)
    assert in_language(created, "es")  # the requester's, as filed
    assert {r["kind"]: r["language"] for r in notifications(app, made.reference)} == {
        "ticket_created": "es",
        "owner_notice": "zh_Hans",
    }
    # The account's own language still comes first.
    change_ticket(language="en")
    smtp.wait_for(4, timeout=10)
    assert in_language(smtp.to(OWNER)[-1], "en")


# Only a test can set an unsupported default: config refuses it (below).
@pytest.mark.parametrize("default_language", ["fr"], indirect=True)
def test_a_default_the_product_does_not_speak_is_read_as_english(
    default_language, app, change_ticket, smtp
):
    change_ticket(headers={"Accept-Language": ACCEPT["zh_Hans"]})
    smtp.wait_for(2, timeout=10)
    [notice] = smtp.to(OWNER)
    assert in_language(notice, "en")


def test_the_default_language_setting_is_read_and_checked(tmp_path):
    import config

    assert config.load_config({"SECRET_KEY": "x"}, tmp_path)["BABEL_DEFAULT_LOCALE"] == "en"
    for code in ("en", "zh_Hans", "es"):
        loaded = config.load_config({"SECRET_KEY": "x", "DEFAULT_LANGUAGE": code}, tmp_path)
        assert loaded["BABEL_DEFAULT_LOCALE"] == code
    for wrong in ("fr", "zh-Hans", "ZH_HANS", "english"):
        with pytest.raises(config.ConfigError, match="DEFAULT_LANGUAGE must be one of"):
            config.load_config({"SECRET_KEY": "x", "DEFAULT_LANGUAGE": wrong}, tmp_path)


def test_only_the_owners_kinds_leave_the_tickets_language(app, change_ticket, smtp):
    """The rule in one place: `queue_notification` chooses the language, so no caller
    can write an owner's email in the requester's language."""
    from sqlalchemy import select

    from triage.extensions import db
    from triage.notifications.operations import KINDS, OWNER_KINDS, notification_language
    from triage.tickets.models import Ticket

    made = change_ticket(headers={"Accept-Language": ACCEPT["zh_Hans"]}, language="es")
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == made.reference))
        assert ticket.language == "zh_Hans"
        for kind in KINDS:
            expected = "es" if kind in OWNER_KINDS else "zh_Hans"
            assert notification_language(ticket, kind) == expected, kind
