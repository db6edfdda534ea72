"""Refusals that name the customer's file read in the customer's language, file name and
all (api.md, "Languages"): the message is a template with named values (`triage.errors.Msg`),
translated where the error envelope is rendered; the code never changes."""

from __future__ import annotations

import io

import pytest

from triage.i18n.catalog import fragments

ENGLISH = (
    "“passport.jpg” is a PDF document, not a JPEG image. Please rename it so that it ends "
    "in .pdf and upload it again."
)


def upload(ticket, lang: str | None, data: bytes, name: str):
    query = f"?lang={lang}" if lang else ""
    return ticket.client.post(
        f"/api/v1/tickets/{ticket.reference}/evidence{query}",
        headers=ticket.headers,
        data={"material": "passport", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("es", ["“passport.jpg” es un documento PDF, no una imagen JPEG", ".pdf"]),
        ("zh_Hans", ["“passport.jpg”是PDF 文档，而不是JPEG 图片", ".pdf"]),  # noqa: RUF001
    ],
)
def test_a_pdf_named_jpg_is_refused_in_the_language_naming_the_file(
    make_ticket, pdf_bytes, lang, words
):
    ticket = make_ticket()
    english = upload(ticket, None, pdf_bytes, "passport.jpg")
    translated = upload(ticket, lang, pdf_bytes, "passport.jpg")
    assert english.status_code == translated.status_code == 415
    assert english.json["error"] == {"code": "file_type_mismatch", "message": ENGLISH}
    assert translated.json["error"]["code"] == "file_type_mismatch"
    message = translated.json["error"]["message"]
    assert all(word in message for word in words), message
    assert "Please" not in message


@pytest.mark.parametrize(("lang", "word"), [("es", "está vacío"), ("zh_Hans", "空文件")])
def test_an_empty_file_is_named_in_the_language(make_ticket, lang, word):
    message = upload(make_ticket(), lang, b"", "scan.png").json["error"]["message"]
    assert "“scan.png”" in message and word in message


@pytest.mark.parametrize(
    ("lang", "words"),
    [("es", ["No puede añadir archivos", "está retirada"]), ("zh_Hans", ["添加文件", "已撤回"])],
)
def test_a_refusal_by_status_translates_the_action_and_the_status(
    make_ticket, pdf_bytes, lang, words
):
    ticket = make_ticket()
    withdrawn = ticket.client.post(
        f"/api/v1/tickets/{ticket.reference}/withdraw", headers=ticket.headers
    )
    assert withdrawn.status_code == 200, withdrawn.json
    english = upload(ticket, None, pdf_bytes, "p.pdf").json["error"]
    translated = upload(ticket, lang, pdf_bytes, "p.pdf").json["error"]
    assert english["code"] == translated["code"] == "invalid_state"
    assert english["message"] == ("You cannot add files while the ticket is withdrawn.")
    assert all(word in translated["message"] for word in words), translated["message"]


def test_a_message_with_an_untranslated_part_falls_back_to_the_codes_sentence(app):
    from triage.errors import Msg
    from triage.i18n import error_message

    message = Msg(
        "“%(name)s” %(problem)s. %(advice)s",
        name="a.pdf",
        problem=Msg("is not in any catalog"),
        advice=Msg("Please upload a photo or scan saved as .jpg, .png or .pdf."),
    )
    with app.test_request_context("/?lang=es"):
        assert error_message("damaged_file", message).startswith("El archivo no se abre")
    with app.test_request_context("/"):
        assert error_message("damaged_file", message) == message


def test_only_reviewer_messages_are_built_where_no_catalog_can_read_them():
    """Reviewer pages and the reviewer CLI stay English (triage.i18n.ENGLISH_ONLY)."""
    left = {path for path, _ in fragments()}
    assert left <= {
        "triage/review/operations/decisions.py",
        "triage/review/operations/leases.py",
        "triage/reviewers/operations.py",
        "triage/retention/operations.py",  # legal holds and purged files: leads, reviewers
    }


@pytest.mark.parametrize(
    ("lang", "word"), [("es", "está protegido con contraseña"), ("zh_Hans", "受密码保护")]
)
def test_a_password_protected_pdf_is_named_with_its_problem_and_advice(make_ticket, lang, word):
    import pikepdf

    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(out, encryption=pikepdf.Encryption(user="1234", owner="o", R=6))
    ticket = make_ticket()
    english = upload(ticket, None, out.getvalue(), "bank.pdf").json["error"]
    translated = upload(ticket, lang, out.getvalue(), "bank.pdf").json["error"]
    assert english["code"] == translated["code"] == "password_protected"
    assert english["message"].startswith("“bank.pdf” is protected with a password. Please save")
    message = translated["message"]
    assert message.startswith("“bank.pdf”") and word in message and "Please" not in message
