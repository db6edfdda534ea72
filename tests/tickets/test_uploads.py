"""Checked uploads (security.md, "Accepting a file" and "Storing it"), through the API and the
web form. After every refusal nothing is stored: no Evidence row and no object."""

from __future__ import annotations

import base64
import hashlib
import io
import re

import boto3
import pytest
from sqlalchemy import select

from tests.conftest import TEST_REGION
from tests.tickets.conftest import (
    ELF,
    HTML,
    JPEG,
    MAX_FILE,
    SVG,
    WINDOWS_EXE,
    create_on_web,
    evidence_count,
    pdf_of_size,
    plain_zip,
    stored_keys,
    upload_on_web,
)


def bad_inputs(pdf: bytes) -> dict[str, tuple[bytes, str, str, int]]:
    """name → (content, file name, api.md code, status)."""
    return {
        "linux executable named .jpg": (ELF, "photo.jpg", "unsupported_file_type", 415),
        "windows executable named .pdf": (WINDOWS_EXE, "scan.pdf", "unsupported_file_type", 415),
        "html named .pdf": (HTML, "statement.pdf", "unsupported_file_type", 415),
        "html named .jpg": (HTML, "passport.jpg", "unsupported_file_type", 415),
        "plain zip named .docx": (plain_zip(), "letter.docx", "unsupported_file_type", 415),
        "svg named .png": (SVG, "card.png", "unsupported_file_type", 415),
        "pdf named .jpg": (pdf, "passport.jpg", "file_type_mismatch", 415),
        ".txt": (b"my passport number is 123\n", "notes.txt", "unsupported_file_type", 415),
        "no extension": (pdf, "passport", "unsupported_file_type", 415),
        "x.pdf.exe": (pdf, "x.pdf.exe", "unsupported_file_type", 415),
        "only ../": (pdf, "../", "unsupported_file_type", 415),
        "one byte over the limit": (
            pdf_of_size(pdf, MAX_FILE + 1),
            "big.pdf",
            "file_too_large",
            413,
        ),
        "empty file": (b"", "passport.pdf", "empty_file", 400),
    }


CASES = [
    "linux executable named .jpg",
    "windows executable named .pdf",
    "html named .pdf",
    "html named .jpg",
    "plain zip named .docx",
    "svg named .png",
    "pdf named .jpg",
    ".txt",
    "no extension",
    "x.pdf.exe",
    "only ../",
    "one byte over the limit",
    "empty file",
]


# --- the bad-input list through the API, on both stores -------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_api_refuses_and_stores_nothing(
    any_store, make_ticket, pdf_bytes, case, assert_nothing_stored
):
    content, name, code, status = bad_inputs(pdf_bytes)[case]
    ticket = make_ticket()
    response = ticket.upload("passport", content, name)
    assert response.status_code == status, response.json
    error = response.json["error"]
    assert error["code"] == code
    assert error["message"]
    assert_nothing_stored()
    assert ticket.get()["evidence"] == []


def test_refusal_messages_say_which_file_and_why(make_ticket, pdf_bytes):
    ticket = make_ticket()
    message = ticket.upload("passport", pdf_bytes, "passport.jpg").json["error"]["message"]
    assert message.startswith("“passport.jpg” is a PDF document, not a JPEG image")
    assert ".pdf" in message
    message = ticket.upload("passport", SVG, "card.png").json["error"]["message"]
    assert "“card.png”" in message and "SVG" in message
    message = ticket.upload("passport", b"", "p.pdf").json["error"]["message"]
    assert "empty" in message


def test_unknown_material_stores_nothing(any_store, make_ticket, pdf_bytes, assert_nothing_stored):
    response = make_ticket().upload("selfie_with_cat", pdf_bytes, "me.pdf")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "unknown_material"
    assert_nothing_stored()


def test_another_tickets_token_stores_nothing(
    any_store, make_ticket, client, pdf_bytes, assert_nothing_stored
):
    mine, theirs = make_ticket(), make_ticket(account_name="victim")
    response = client.post(
        f"/api/v1/tickets/{theirs.reference}/evidence",
        headers=mine.headers,
        data={"material": "passport", "file": (io.BytesIO(pdf_bytes), "p.pdf")},
    )
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert_nothing_stored()


def test_upload_after_submission_stores_nothing(
    any_store, make_ticket, pdf_bytes, assert_nothing_stored
):
    ticket = make_ticket()
    assert ticket.submit("I will send the rest later.").status_code == 200
    response = ticket.upload("passport", pdf_bytes, "passport.pdf")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "invalid_state"
    assert "submitted" in response.json["error"]["message"].lower()
    assert_nothing_stored()


def test_malformed_multipart_stores_nothing(make_ticket, client, assert_nothing_stored):
    ticket = make_ticket()
    response = client.post(
        f"/api/v1/tickets/{ticket.reference}/evidence",
        headers=ticket.headers,
        data=b"--x\r\nnonsense",
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_request"
    assert_nothing_stored()


# --- what is accepted, and what is recorded --------------------------------------------------


def test_a_file_of_exactly_the_limit_is_accepted(any_store, make_ticket, pdf_bytes, app):
    data = pdf_of_size(pdf_bytes, MAX_FILE)
    response = make_ticket().upload("passport", data, "passport.pdf")
    assert response.status_code == 201, response.json
    assert response.json["size"] == 5_242_880
    assert len(stored_keys(app)) == 1


def test_sha256_size_and_sniffed_type_are_recorded(make_ticket, pdf_bytes, client, app):
    from triage.evidence.models import Evidence
    from triage.extensions import db

    ticket = make_ticket()
    # The type the client claims is ignored; the content decides.
    response = client.post(
        f"/api/v1/tickets/{ticket.reference}/evidence",
        headers=ticket.headers,
        data={
            "material": "passport",
            "file": (io.BytesIO(pdf_bytes), "Passport.PDF", "image/jpeg"),
        },
    )
    assert response.status_code == 201
    item = response.json
    assert item["sha256"] == hashlib.sha256(pdf_bytes).hexdigest()
    assert item["size"] == len(pdf_bytes)
    assert item["content_type"] == "application/pdf"
    assert item["filename"] == "Passport.PDF"
    assert item["material"] == "passport" and item["review"] is None
    with app.app_context():
        row = db.session.scalar(select(Evidence))
        assert (row.sha256, row.size, row.content_type) == (
            item["sha256"],
            len(pdf_bytes),
            "application/pdf",
        )
    # The same file, except what the analysis (run after the commit) has added since.
    later = {"analysis", "findings"}
    (again,) = ticket.get()["evidence"]
    assert {k: v for k, v in again.items() if k not in later} == {
        k: v for k, v in item.items() if k not in later
    }


def test_the_stored_object_is_the_uploaded_bytes(make_ticket, app):
    from triage.evidence.models import Evidence
    from triage.evidence.operations import open_evidence
    from triage.extensions import db

    make_ticket().upload("card_front", JPEG, "card.jpeg")
    with app.app_context():
        row = db.session.scalar(select(Evidence))
        with open_evidence(row) as stream:
            assert stream.read() == JPEG
        assert row.content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passport.pdf", "passport.pdf"),
        ("../Desktop/护照 扫描件.pdf", "护照 扫描件.pdf"),
        ("Паспорт — страница 2.pdf", "Паспорт — страница 2.pdf"),
        ("جواز السفر.pdf", "جواز السفر.pdf"),
        ("  ...hidden.pdf", "hidden.pdf"),
        ("photo\u202egpj.pdf", "photogpj.pdf"),
    ],
)
def test_original_names_are_kept_only_sanitised(make_ticket, pdf_bytes, sent, kept):
    response = make_ticket().upload("passport", pdf_bytes, sent)
    assert response.status_code == 201, response.json
    assert response.json["filename"] == kept


def test_a_very_long_name_is_shortened_and_keeps_its_extension(make_ticket, pdf_bytes):
    response = make_ticket().upload("passport", pdf_bytes, "护" * 400 + ".pdf")
    assert response.status_code == 201
    name = response.json["filename"]
    assert len(name) <= 120 and name.endswith(".pdf") and name.startswith("护护护")


def test_a_name_with_control_characters_is_refused(make_ticket, pdf_bytes, assert_nothing_stored):
    response = make_ticket().upload("passport", pdf_bytes, "pass\x00port.pdf")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_request"
    assert_nothing_stored()


# --- caps ------------------------------------------------------------------------------------


@pytest.fixture
def two_files_per_ticket(app_config):
    app_config["TICKET_MAX_FILES"] = 2


@pytest.fixture
def two_pdfs_per_ticket(app_config, pdf_bytes):
    app_config["TICKET_MAX_BYTES"] = len(pdf_bytes) * 2


def test_the_per_ticket_file_cap(two_files_per_ticket, make_ticket, pdf_bytes, app):
    ticket = make_ticket()
    assert ticket.upload("passport", pdf_bytes, "a.pdf").status_code == 201
    assert ticket.upload("card_front", JPEG, "b.jpg").status_code == 201
    response = ticket.upload("card_transactions", pdf_bytes, "c.pdf")
    assert response.status_code == 413
    error = response.json["error"]
    assert error["code"] == "file_too_large"
    assert "at most 2 files" in error["message"]
    assert evidence_count(app) == 2 and len(stored_keys(app)) == 2
    # Another ticket has its own allowance.
    assert make_ticket().upload("passport", pdf_bytes, "a.pdf").status_code == 201


def test_the_per_ticket_byte_cap(two_pdfs_per_ticket, make_ticket, pdf_bytes, app):
    ticket = make_ticket()
    assert ticket.upload("passport", pdf_bytes, "a.pdf").status_code == 201
    assert ticket.upload("passport", pdf_bytes, "b.pdf").status_code == 201
    response = ticket.upload("passport", JPEG, "c.jpg")
    assert response.status_code == 413
    assert evidence_count(app) == 2 and len(stored_keys(app)) == 2


def test_a_request_over_max_content_length_is_a_json_413(
    make_ticket, client, pdf_bytes, assert_nothing_stored
):
    ticket = make_ticket()
    huge = pdf_of_size(pdf_bytes, MAX_FILE + 512 * 1024)
    response = client.post(
        f"/api/v1/tickets/{ticket.reference}/evidence",
        headers=ticket.headers,
        data={"material": "passport", "file": (io.BytesIO(huge), "big.pdf")},
    )
    assert response.status_code == 413
    assert response.json["error"]["code"] == "file_too_large"
    assert "5 MB" in response.json["error"]["message"]
    assert_nothing_stored()


def test_a_request_over_max_content_length_is_a_friendly_page_on_the_web(
    client, web_ticket, pdf_bytes, assert_nothing_stored
):
    reference, _ = web_ticket
    huge = pdf_of_size(pdf_bytes, MAX_FILE + 512 * 1024)
    response = upload_on_web(client, reference, "passport", (huge, "big.pdf"))
    assert response.status_code == 413
    assert "text/html" in response.content_type
    assert "at most 5 MB" in response.text
    assert f'href="/tickets/{reference}">Back to your ticket' in response.text
    assert_nothing_stored()


# --- the S3 backend under mock_aws -----------------------------------------------------------


def test_s3_object_has_the_sniffed_type_and_a_server_made_key(s3_app_config, make_ticket, app):
    from triage.evidence.models import Evidence
    from triage.extensions import db
    from triage.tickets.models import Ticket

    ticket = make_ticket()
    response = ticket.upload("card_front", JPEG, "../../My Card FRONT.jpg")
    assert response.status_code == 201
    s3 = boto3.client("s3", region_name=TEST_REGION)
    objects = s3.list_objects_v2(Bucket=s3_app_config["S3_BUCKET"])["Contents"]
    assert len(objects) == 1
    key = objects[0]["Key"]
    with app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id))
    assert re.fullmatch(rf"tickets/{ticket_id}/[0-9a-f]{{32}}", key)
    assert not re.search(r"(?i)card|front|jpg|my", key.split("/")[-1])
    head = s3.head_object(Bucket=s3_app_config["S3_BUCKET"], Key=key, ChecksumMode="ENABLED")
    assert head["ContentType"] == "image/jpeg"
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(JPEG).digest()).decode()
    with app.app_context():
        assert db.session.scalar(select(Evidence.storage_key)) == key


# --- the same list through the web form ------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_web_form_shows_the_refusal_next_to_the_file_input(
    client, web_ticket, pdf_bytes, case, assert_nothing_stored
):
    content, name, _, status = bad_inputs(pdf_bytes)[case]
    reference, _ = web_ticket
    response = upload_on_web(client, reference, "passport", (content, name))
    assert response.status_code == status
    html = response.text
    error = re.search(
        r'<div class="field-error" id="file-passport-error" role="alert">(.*?)</div>', html, re.S
    )
    assert error, html
    assert error.group(1).strip()
    assert re.search(
        r'id="file-passport"[^>]*aria-describedby="[^"]*file-passport-error', html, re.S
    )
    assert 'aria-invalid="true"' in html
    # The other items' inputs carry no error.
    assert 'id="file-card_front-error"' not in html
    assert_nothing_stored()


def test_web_upload_adds_files_and_says_so(client, web_ticket, pdf_bytes, app):
    reference, _ = web_ticket
    response = upload_on_web(
        client, reference, "card_front", (JPEG, "front.jpg"), (pdf_bytes, "front.pdf")
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tickets/{reference}#item-card_front")
    page = client.get(f"/tickets/{reference}").text
    assert "Added 2 files to “Front of the credit card”." in page
    assert "front.jpg" in page and "front.pdf" in page
    assert evidence_count(app) == 2 and len(stored_keys(app)) == 2


def test_web_upload_keeps_good_files_and_names_the_refused_one(client, web_ticket, pdf_bytes, app):
    reference, _ = web_ticket
    response = upload_on_web(
        client, reference, "passport", (pdf_bytes, "passport.pdf"), (SVG, "selfie.png")
    )
    # A file was stored: the answer is a redirect, so reloading the page sends nothing again.
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/tickets/{reference}#item-passport")
    page = client.get(f"/tickets/{reference}").text
    assert "Added 1 file to “Passport”." in page
    error = re.search(
        r'<div class="field-error" id="file-passport-error" role="alert">(.*?)</div>', page, re.S
    )
    assert error and "“selfie.png” is not a PNG image" in error.group(1)
    assert evidence_count(app) == 1 and len(stored_keys(app)) == 1
    # Shown once: the next visit is the plain page.
    assert "selfie.png" not in client.get(f"/tickets/{reference}").text


def test_web_upload_carries_a_few_refusals_and_counts_the_rest(client, web_ticket, pdf_bytes):
    reference, _ = web_ticket
    refused = [(SVG, f"selfie-{n}.png") for n in range(20)]
    response = upload_on_web(client, reference, "passport", (pdf_bytes, "p.pdf"), *refused)
    assert response.status_code == 303
    page = client.get(f"/tickets/{reference}").text
    shown = [n for n in range(20) if f"“selfie-{n}.png”" in page]
    assert shown == list(range(len(shown))) and 1 <= len(shown) < 20  # the first ones
    assert f"{20 - len(shown)} more files were not accepted." in page


def test_carried_refusals_wait_for_their_own_ticket(client, web_ticket, pdf_bytes):
    reference, _ = web_ticket
    other, _ = create_on_web(client)
    upload_on_web(client, reference, "passport", (pdf_bytes, "p.pdf"), (SVG, "selfie.png"))
    assert "selfie.png" not in client.get(f"/tickets/{other}").text
    assert "selfie.png" in client.get(f"/tickets/{reference}").text
    assert "selfie.png" not in client.get(f"/tickets/{reference}").text  # once


def test_web_upload_of_exactly_the_limit_is_accepted(client, web_ticket, pdf_bytes, app):
    reference, _ = web_ticket
    response = upload_on_web(
        client, reference, "passport", (pdf_of_size(pdf_bytes, MAX_FILE), "passport.pdf")
    )
    assert response.status_code == 302
    assert evidence_count(app) == 1


def test_web_upload_with_an_unknown_material_shows_the_error_in_the_extra_form(
    client, web_ticket, pdf_bytes, assert_nothing_stored
):
    reference, _ = web_ticket
    response = upload_on_web(client, reference, "selfie", (pdf_bytes, "me.pdf"))
    assert response.status_code == 422
    assert re.search(
        r'id="extra-files-error" role="alert"><p>“selfie” is not a document', response.text
    )
    assert 'aria-describedby="extra-files-error"' in response.text
    assert_nothing_stored()


def test_web_upload_without_a_file_asks_for_one(client, web_ticket, assert_nothing_stored):
    reference, _ = web_ticket
    response = upload_on_web(client, reference, "passport")
    assert response.status_code == 400
    assert "Choose a file to upload first." in response.text
    assert_nothing_stored()


def test_web_upload_after_submission_is_refused_with_an_explanation(
    client, web_ticket, pdf_bytes, assert_nothing_stored
):
    from tests.tickets.conftest import post_on_ticket

    reference, _ = web_ticket
    post_on_ticket(client, reference, "submit", {"explanation": "Documents follow."})
    response = upload_on_web(client, reference, "passport", (pdf_bytes, "passport.pdf"))
    assert response.status_code == 409
    assert "You cannot add files while the ticket is submitted" in response.text
    assert_nothing_stored()


def test_web_upload_to_a_ticket_this_browser_does_not_hold_is_404(
    client, new_client, web_ticket, pdf_bytes, assert_nothing_stored
):
    from tests.tickets.conftest import form_token

    reference, _ = web_ticket
    stranger = new_client()
    token = form_token(stranger, "/resume")
    response = stranger.post(
        f"/tickets/{reference}/evidence",
        content_type="multipart/form-data",
        data={
            "csrf_token": token,
            "material": "passport",
            "files": (io.BytesIO(pdf_bytes), "p.pdf"),
        },
    )
    assert response.status_code == 404
    assert_nothing_stored()


def test_web_upload_answers_json_to_scripts(client, web_ticket, pdf_bytes):
    reference, _ = web_ticket
    ok = upload_on_web(
        client, reference, "passport", (pdf_bytes, "passport.pdf"), Accept="application/json"
    )
    assert ok.status_code == 201
    assert [e["filename"] for e in ok.json["evidence"]] == ["passport.pdf"]
    refused = upload_on_web(
        client, reference, "passport", (HTML, "x.pdf"), Accept="application/json"
    )
    assert refused.status_code == 415
    assert refused.json["error"]["code"] == "unsupported_file_type"
    assert refused.json["error"]["material"] == "passport"
    assert refused.json["evidence"] == []


def test_carried_refusals_left_unread_are_dropped_after_a_while(
    client, web_ticket, pdf_bytes, monkeypatch
):
    from triage.tickets import views

    reference, _ = web_ticket
    upload_on_web(client, reference, "passport", (pdf_bytes, "p.pdf"), (SVG, "selfie.png"))
    later = views.time.time() + views._CARRIED_SECONDS + 1
    monkeypatch.setattr(views.time, "time", lambda: later)
    assert "selfie.png" not in client.get(f"/tickets/{reference}").text
