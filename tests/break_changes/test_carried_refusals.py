"""A page upload that stores some files and refuses others answers 303 and carries the
refusals to the ticket page in the signed session cookie (triage.tickets.views
`_carry_upload_errors`): the cookie must stay one a browser keeps (RFC 6265 §6.1: browsers
keep at least, and in practice at most, 4096 bytes of a cookie), the refusals are shown
once, escaped, in the page's language, and a reload stores nothing again; the JSON answer
is unchanged."""

from __future__ import annotations

import random
import re

import pytest

from tests.tickets.conftest import (
    SVG,
    create_on_web,
    evidence_count,
    upload_on_web,
)

BROWSER_COOKIE_LIMIT = 4096
ERROR_BLOCK = re.compile(
    r'<div class="field-error" id="file-passport-error" role="alert">(.*?)</div>', re.S
)


def random_name(rng: random.Random, length: int = 116) -> str:
    """A file name of `length` random supplementary-plane characters (the costliest to carry:
    12 bytes each once JSON-escaped, and they do not compress), then ".png"."""
    chars = []
    while len(chars) < length:
        code = rng.randrange(0x10000, 0x10FFFE)
        if (code & 0xFFFF) < 0xFFFE:
            chars.append(chr(code))
    return "".join(chars) + ".png"


def session_cookie_size(response) -> int:
    sizes = [
        len(header.split(";", 1)[0])
        for header in response.headers.getlist("Set-Cookie")
        if header.startswith("session=")
    ]
    assert sizes, "no session cookie set"
    return max(sizes)


def test_a_worst_case_partial_upload_keeps_the_session_cookie_within_a_browsers_limit(
    client, web_ticket, pdf_bytes
):
    """Thirteen tickets held by one browser (a customer's own, or a family's on one computer),
    and one upload of a good file with six refused ones whose names are as long and as
    costly as the name rules allow: the cookie must stay under 4096 bytes, or the browser
    drops it and the customer sees neither "Added 1 file" nor why the others were refused."""
    reference, _ = web_ticket
    for _ in range(12):
        create_on_web(client)
    rng = random.Random(7)
    refused = [(SVG, random_name(rng)) for _ in range(6)]
    response = upload_on_web(client, reference, "passport", (pdf_bytes, "p.pdf"), *refused)
    assert response.status_code == 303
    assert session_cookie_size(response) < BROWSER_COOKIE_LIMIT


def test_the_carried_refusals_alone_stay_far_below_the_cookie_limit(client, web_ticket, pdf_bytes):
    """The code's own promise ("capped to stay far below a browser's 4 KB per cookie"): what
    the refusals add to the cookie is well under half of it."""
    reference, _ = web_ticket
    plain = upload_on_web(client, reference, "passport", (pdf_bytes, "p.pdf"))
    before = session_cookie_size(plain)
    rng = random.Random(7)
    refused = [(SVG, random_name(rng)) for _ in range(6)]
    response = upload_on_web(client, reference, "passport", (pdf_bytes, "q.pdf"), *refused)
    assert response.status_code == 303
    assert session_cookie_size(response) - before < BROWSER_COOKIE_LIMIT // 2


@pytest.mark.parametrize("lang", ["en", "zh_Hans", "es"])
def test_a_single_ticket_worst_case_stays_under_the_limit(client, web_ticket, pdf_bytes, lang):
    reference, _ = web_ticket
    client.set_cookie("lang", lang)
    rng = random.Random(11)
    refused = [(SVG, random_name(rng)) for _ in range(6)]
    response = upload_on_web(client, reference, "passport", (pdf_bytes, "p.pdf"), *refused)
    assert response.status_code == 303
    assert session_cookie_size(response) < BROWSER_COOKIE_LIMIT


def test_many_refused_files_are_counted_not_carried(client, web_ticket, pdf_bytes, app):
    reference, _ = web_ticket
    refused = [(SVG, f"bad-{n}.png") for n in range(300)]
    response = upload_on_web(client, reference, "passport", (pdf_bytes, "p.pdf"), *refused)
    assert response.status_code == 303
    assert session_cookie_size(response) < 1500
    page = client.get(f"/tickets/{reference}").text
    shown = sum(f"“bad-{n}.png”" in page for n in range(300))
    assert 1 <= shown < 300
    assert f"{300 - shown} more files were not accepted." in page
    assert evidence_count(app) == 1


@pytest.mark.parametrize(
    "name",
    [
        "<img src=x onerror=alert(1)>&amp;\"'.png",
        "\u202egnp.exe.png",
        "שלום-مرحبا.png",
        "👨‍👩‍👧‍👦" * 40 + ".png",
        "a\x00b.png",
        "%(num)d %s {0}.png",
    ],
    ids=["html", "rlo", "rtl", "emoji-zwj", "nul", "format"],
)
def test_odd_names_are_carried_escaped_and_shown_once(client, web_ticket, pdf_bytes, app, name):
    reference, _ = web_ticket
    response = upload_on_web(client, reference, "passport", (pdf_bytes, "p.pdf"), (SVG, name))
    assert response.status_code == 303
    page = client.get(f"/tickets/{reference}")
    assert page.status_code == 200
    error = ERROR_BLOCK.search(page.text)
    assert error, "the refusal is not shown"
    assert "<img" not in error.group(1) and "\u202e" not in error.group(1)
    assert "\x00" not in page.text
    # Shown once; a reload of the page stores nothing again.
    again = client.get(f"/tickets/{reference}")
    assert ERROR_BLOCK.search(again.text) is None
    assert evidence_count(app) == 1


@pytest.mark.parametrize(("lang", "more"), [("zh_Hans", "另有 2 个文件未被接受。"), ("es", None)])
def test_the_carried_refusals_speak_the_pages_language(client, web_ticket, pdf_bytes, lang, more):
    reference, _ = web_ticket
    client.set_cookie("lang", lang)
    refused = [(SVG, f"selfie-{n}.png") for n in range(6)]
    upload_on_web(client, reference, "passport", (pdf_bytes, "p.pdf"), *refused)
    page = client.get(f"/tickets/{reference}").text
    block = ERROR_BLOCK.search(page).group(1)
    assert "is not a PNG image" not in block and "more files were not accepted" not in block
    if more:
        assert more in block


def test_refusals_are_not_lost_when_another_ticket_is_opened_first(client, web_ticket, pdf_bytes):
    """Two tickets open in two tabs: the upload on A redirects to A; if B's tab is reloaded
    before A's redirect is followed, A must still show why files were refused."""
    reference, _ = web_ticket
    other, _ = create_on_web(client)
    response = upload_on_web(client, reference, "passport", (pdf_bytes, "p.pdf"), (SVG, "s.png"))
    assert response.status_code == 303
    assert "s.png" not in client.get(f"/tickets/{other}").text
    page = client.get(f"/tickets/{reference}").text
    assert "“s.png”" in page


def test_a_reload_after_the_redirect_stores_nothing_again(client, web_ticket, pdf_bytes, app):
    reference, _ = web_ticket
    response = upload_on_web(client, reference, "passport", (pdf_bytes, "p.pdf"), (SVG, "s.png"))
    assert response.status_code == 303
    location = response.headers["Location"]
    for _ in range(3):
        assert client.get(location).status_code == 200
    assert evidence_count(app) == 1


def test_the_json_answer_is_unchanged(client, web_ticket, pdf_bytes, app):
    reference, _ = web_ticket
    response = upload_on_web(
        client,
        reference,
        "passport",
        (pdf_bytes, "p.pdf"),
        (SVG, "s.png"),
        Accept="application/json",
    )
    assert response.status_code == 415
    assert response.is_json
    assert len(response.json["evidence"]) == 1
    assert response.json["error"]["code"] == "unsupported_file_type"
    page = client.get(f"/tickets/{reference}").text
    assert ERROR_BLOCK.search(page) is None
