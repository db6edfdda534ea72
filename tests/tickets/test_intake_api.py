"""Evidence intake through the API and the web form: the kinds of tests/fixtures/hunt
(api.md: 422 password_protected and damaged_file; security.md "Accepting a file"). After
every refusal nothing is stored."""

from __future__ import annotations

import functools
import re

import pikepdf
import pytest
from PIL import Image

from tests.conftest import read_fixture
from tests.evidence import shapes
from tests.tickets.conftest import upload_on_web

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def error_of(response, status: int, code: str) -> str:
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    return response.json["error"]["message"]


# --- refused: nothing stored, on both stores ----------------------------------------------


@functools.cache  # once per test process: the 50 MP progressive JPEG alone takes 0.25 s
def refused_cases() -> dict[str, tuple[bytes, str, str]]:
    """case -> (content, file name, api.md code); every one answers 422."""
    fixture_bytes = read_fixture
    aes = pikepdf.Encryption(user="1234", owner="o", R=6)
    rc4 = pikepdf.Encryption(user="1234", owner="o", R=3, aes=False, metadata=False)
    photo = shapes.jpeg(quality=90)
    docx = fixture_bytes("statement.docx")
    return {
        "pdf with a user password (AES-256)": (
            shapes.statement_pdf(encryption=aes),
            "statement.pdf",
            "password_protected",
        ),
        "pdf with a user password (RC4)": (
            shapes.statement_pdf(encryption=rc4),
            "statement.pdf",
            "password_protected",
        ),
        "encrypted docx": (
            shapes.encrypt_ooxml(fixture_bytes("statement.docx")),
            "contract.docx",
            "password_protected",
        ),
        "hunt contract": (
            fixture_bytes("hunt/contract_password_1234.docx"),
            "contract_password_1234.docx",
            "password_protected",
        ),
        "truncated pdf": (shapes.scanned_pdf(2)[:3000], "scan.pdf", "damaged_file"),
        "hunt half pdf": (
            fixture_bytes("hunt/truncated_half.pdf"),
            "statement.pdf",
            "damaged_file",
        ),
        "photo cut after 2 KB": (photo[:2048], "card.jpg", "damaged_file"),
        "hunt header-only card": (
            fixture_bytes("hunt/card_header_only.jpg"),
            "card.jpg",
            "damaged_file",
        ),
        "20,000 px png": (
            fixture_bytes("hunt/huge_dimensions_20000px.png"),
            "card.png",
            "damaged_file",
        ),
        "pdf object stream of a million names": (
            shapes.object_stream_pdf([b"[", *[b"/A " * 100_000] * 10, b"]"]),
            "statement.pdf",
            "damaged_file",
        ),
        "jpeg of 2,000 progressive scans": (progressive_bomb(), "passport.jpg", "damaged_file"),
        "docx cut at 90 %": (docx[: len(docx) * 9 // 10], "contract.docx", "damaged_file"),
        "docx with a corrupt main part": (
            shapes.flip_data_byte(docx, "word/document.xml"),
            "contract.docx",
            "damaged_file",
        ),
        "doc cut at 2 KB": (fixture_bytes("statement.doc")[:2048], "letter.doc", "damaged_file"),
    }


def progressive_bomb() -> bytes:
    """A 50 MP progressive JPEG with one AC scan repeated 2,000 times (breaker A2)."""
    data = shapes.jpeg(Image.new("L", (8000, 6250), 128), progressive=True)
    starts = [i for i in range(len(data) - 1) if data[i : i + 2] == b"\xff\xda"]
    return data[:-2] + data[starts[1] : starts[2]] * 2_000 + b"\xff\xd9"


CASES = [
    "pdf with a user password (AES-256)",
    "pdf with a user password (RC4)",
    "encrypted docx",
    "hunt contract",
    "truncated pdf",
    "hunt half pdf",
    "photo cut after 2 KB",
    "hunt header-only card",
    "20,000 px png",
    "pdf object stream of a million names",
    "jpeg of 2,000 progressive scans",
    "docx cut at 90 %",
    "docx with a corrupt main part",
    "doc cut at 2 KB",
]


@pytest.mark.parametrize("case", CASES)
def test_unusable_files_are_422_and_nothing_is_stored(
    any_store, make_ticket, case, assert_nothing_stored
):
    content, name, code = refused_cases()[case]
    ticket = make_ticket()
    message = error_of(ticket.upload("passport", content, name), 422, code)
    assert message.startswith(f"“{name}”")
    assert_nothing_stored()
    assert ticket.get()["evidence"] == []


def test_the_password_messages_say_how_to_save_a_copy_without_one(make_ticket, fixture_bytes):
    ticket = make_ticket()
    pdf = shapes.statement_pdf(encryption=pikepdf.Encryption(user="pw", owner="o", R=6))
    message = error_of(ticket.upload("passport", pdf, "statement.pdf"), 422, "password_protected")
    assert "save a copy without a password" in message and "Remove security" in message
    docx = fixture_bytes("hunt/contract_password_1234.docx")
    message = error_of(ticket.upload("passport", docx, "contract.docx"), 422, "password_protected")
    assert "File > Info > Protect Document > Encrypt with Password" in message
    assert "not a Word document" not in message


def test_a_doc_with_a_vba_project_is_refused_like_a_macro_docx(
    make_ticket, fixture_bytes, assert_nothing_stored
):
    ticket = make_ticket()
    message = error_of(
        ticket.upload("passport", fixture_bytes("hunt/invoice_with_macros.doc"), "invoice.doc"),
        415,
        "unsupported_file_type",
    )
    assert "contains macros" in message
    assert_nothing_stored()


def test_an_odt_with_starbasic_macros_is_refused_like_a_macro_docx(
    make_ticket, fixture_bytes, assert_nothing_stored
):
    module = (
        b'<script:module xmlns:script="http://openoffice.org/2000/script" '
        b'script:name="Module1" script:language="StarBasic">Sub Main\nEnd Sub</script:module>'
    )
    odt = shapes.rezip(fixture_bytes("statement.odt"), {"Basic/Standard/Module1.xml": module})
    ticket = make_ticket()
    message = error_of(ticket.upload("passport", odt, "macros.odt"), 415, "unsupported_file_type")
    assert "contains macros" in message
    assert_nothing_stored()


# --- accepted -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "name"),
    [
        ("hunt/word_online_document2.docx", "word_online_document2.docx"),
        ("hunt/ct_rels_then_sorted.docx", "ct_rels_then_sorted.docx"),
    ],
)
def test_real_docx_layouts_are_accepted(any_store, make_ticket, fixture_bytes, fixture, name):
    response = make_ticket().upload("passport", fixture_bytes(fixture), name)
    assert response.status_code == 201, response.json
    assert (response.json["content_type"], response.json["warnings"]) == (DOCX_TYPE, [])


def test_a_scan_whose_image_bytes_hold_js_is_stored_without_a_warning(make_ticket):
    data = shapes.scanned_pdf(3, comment=b"/JS>")
    response = make_ticket().upload("passport", data, "scanned_id_3_pages.pdf")
    assert response.status_code == 201, response.json
    assert response.json["warnings"] == []


def test_an_empty_password_pdf_with_page_open_script_is_stored_and_flagged(
    make_ticket, fixture_bytes
):
    ticket = make_ticket()
    response = ticket.upload(
        "passport", fixture_bytes("hunt/invoice_js_pseudo_encrypted.pdf"), "invoice.pdf"
    )
    assert response.status_code == 201, response.json
    assert response.json["warnings"] == ["/JavaScript", "/JS", "/AA"]
    assert ticket.get()["evidence"][0]["warnings"] == ["/JavaScript", "/JS", "/AA"]


def test_an_owner_password_only_pdf_is_accepted(make_ticket):
    encryption = pikepdf.Encryption(
        user="", owner="bank", R=6, allow=pikepdf.Permissions(print_highres=False)
    )
    response = make_ticket().upload(
        "passport", shapes.statement_pdf(encryption=encryption), "statement.pdf"
    )
    assert response.status_code == 201, response.json


@pytest.mark.parametrize(
    "sent",
    [
        "passport.jpg ",
        "passport.jpg\u200e",
        "passport.jpg\u200b.",
        "passport.jpg\ufeff",
        "/home/ana/passport.jpg",
    ],
)
def test_names_are_cleaned_before_the_extension_is_read(make_ticket, sent):
    response = make_ticket().upload("passport", shapes.jpeg(), sent)
    assert response.status_code == 201, response.json
    assert response.json["filename"] == "passport.jpg"


def test_an_old_browsers_windows_path_keeps_its_last_part(make_ticket):
    response = make_ticket().upload(
        "passport", shapes.jpeg(), "C:\\Users\\ana\\Desktop\\passport.jpg"
    )
    assert response.status_code == 201, response.json
    assert response.json["filename"] == "passport.jpg"


# --- the web form ---------------------------------------------------------------------------


def test_the_web_form_shows_a_422_refusal_next_to_the_file_input(
    client, web_ticket, assert_nothing_stored
):
    reference, _ = web_ticket
    locked = shapes.statement_pdf(encryption=pikepdf.Encryption(user="pw", owner="o", R=4))
    response = upload_on_web(client, reference, "passport", (locked, "statement.pdf"))
    assert response.status_code == 422
    error = re.search(r'id="file-passport-error" role="alert">(.*?)</div>', response.text, re.S)
    assert error and "save a copy without a password" in error.group(1)
    assert_nothing_stored()


def test_the_web_form_keeps_good_files_when_one_is_damaged(client, web_ticket, app):
    from tests.tickets.conftest import evidence_count

    reference, _ = web_ticket
    photo = shapes.jpeg()
    response = upload_on_web(
        client,
        reference,
        "card_front",
        (photo, "front.jpg"),
        (photo[:1500], "back.jpg"),
        Accept="application/json",
    )
    assert response.status_code == 422
    assert [e["filename"] for e in response.json["evidence"]] == ["front.jpg"]
    assert response.json["error"]["code"] == "damaged_file"
    assert evidence_count(app) == 1
