"""api.md "Languages": `?lang=`, then the switcher's cookie, then Accept-Language; error
codes never change; dates and sizes follow the language."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from triage.i18n import COOKIE, date_time, file_size, normalise


def lang_of(response) -> str:
    return response.text.split('<html lang="', 1)[1].split('"', 1)[0]


def test_english_without_any_choice(client):
    assert lang_of(client.get("/")) == "en"


def test_accept_language_chooses_when_nothing_else_does(client):
    assert lang_of(client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})) == "zh-Hans"
    assert lang_of(client.get("/", headers={"Accept-Language": "es-CL,es;q=0.9"})) == "es"
    assert lang_of(client.get("/", headers={"Accept-Language": "fr-FR"})) == "en"
    # A browser that names only a region's tag (issue 13's newcomer: zh-CN alone gave English).
    for tag in ("zh-CN", "zh-TW", "zh-SG", "zh", "zh-Hans-CN"):
        assert lang_of(client.get("/", headers={"Accept-Language": tag})) == "zh-Hans", tag
    assert lang_of(client.get("/", headers={"Accept-Language": "fr, es;q=0.5"})) == "es"
    assert lang_of(client.get("/", headers={"Accept-Language": "es;q=0, zh-CN;q=0.4"})) == "zh-Hans"
    assert lang_of(client.get("/", headers={"Accept-Language": "*"})) == "en"


def test_the_cookie_beats_accept_language(client):
    client.set_cookie(COOKIE, "es")
    assert lang_of(client.get("/", headers={"Accept-Language": "zh-CN"})) == "es"


def test_lang_in_the_address_beats_the_cookie(client):
    client.set_cookie(COOKIE, "es")
    page = client.get("/?lang=zh_Hans", headers={"Accept-Language": "en"})
    assert lang_of(page) == "zh-Hans"


def test_an_unknown_language_is_ignored(client):
    page = client.get("/?lang=xx", headers={"Accept-Language": "es"})
    assert lang_of(page) == "es"


@pytest.mark.parametrize(
    ("value", "locale"),
    [
        ("zh-Hans", "zh_Hans"),
        ("zh_CN", "zh_Hans"),
        ("ZH", "zh_Hans"),
        ("es-419", "es"),
        ("en-GB", "en"),
        ("de", None),
        ("", None),
    ],
)
def test_spellings_of_the_three_languages(value, locale):
    assert normalise(value) == locale


def test_the_switcher_sets_the_cookie_and_goes_back(client):
    response = client.get("/language/zh_Hans?next=/resume%3Freference%3DUF-AAAA-BBBB")
    assert response.status_code == 303
    assert response.headers["Location"] == "/resume?reference=UF-AAAA-BBBB"
    assert f"{COOKIE}=zh_Hans" in response.headers["Set-Cookie"]
    assert lang_of(client.get("/resume")) == "zh-Hans"


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x", ""]
)
def test_the_switcher_goes_back_only_to_this_site(client, target):
    response = client.get("/language/es", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_every_page_offers_the_switcher_with_a_way_back(client):
    page = client.get("/resume?reference=UF-AAAA-BBBB").text
    assert 'href="/language/zh_Hans?next=/resume?reference%3DUF-AAAA-BBBB"' in page.replace(
        "%3F", "?"
    )
    assert "简体中文" in page and "Español" in page


def test_pages_vary_by_language(client):
    vary = client.get("/").headers["Vary"]
    assert "Accept-Language" in vary and "Cookie" in vary


def test_customer_pages_speak_chinese_and_spanish(client):
    assert "我们能帮您什么" in client.get("/?lang=zh_Hans").text
    assert "¿En qué podemos ayudarle?" in client.get("/?lang=es").text


def test_api_errors_keep_their_code_and_change_their_message(client):
    english = client.get("/api/v1/tickets/UF-AAAA-BBBB").json["error"]
    chinese = client.get("/api/v1/tickets/UF-AAAA-BBBB?lang=zh_Hans").json["error"]
    spanish = client.get("/api/v1/tickets/UF-AAAA-BBBB", headers={"Accept-Language": "es"}).json[
        "error"
    ]
    assert english["code"] == chinese["code"] == spanish["code"] == "unauthorized"
    assert len({english["message"], chinese["message"], spanish["message"]}) == 3
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese["message"])


def test_an_error_without_its_own_translation_still_answers_in_the_language(make_ticket, client):
    ticket = make_ticket()
    response = ticket.client.post(
        f"/api/v1/tickets/{ticket.reference}/evidence?lang=es",
        headers=ticket.headers,
        data={"material": "passport", "file": (io.BytesIO(b""), "empty.jpg")},
        content_type="multipart/form-data",
    )
    error = response.json["error"]
    assert error["code"] == "empty_file"  # its template is translated, the file name kept
    assert "“empty.jpg” está vacío" in error["message"]


def test_sizes_and_dates_follow_the_language(app):
    moment = datetime(2026, 3, 5, 14, 7, tzinfo=UTC)
    with app.test_request_context("/?lang=es"):
        assert file_size(1_300_000) == "1,2 MB"
        assert "mar" in date_time(moment)
    with app.test_request_context("/?lang=zh_Hans"):
        assert file_size(1_300_000) == "1.2 MB"
        assert "2026年3月5日" in date_time(moment)
    with app.test_request_context("/"):
        assert file_size(2048) == "2 KB"
        assert "Mar 5, 2026" in date_time(moment)
