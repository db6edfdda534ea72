"""Evidence bytes: reviewers only, headers that never let a file run, every read logged."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from tests.review.helpers import evidence_ids, png_bytes, sign_in
from triage.review import preview, previews


def _reads(reviewer, reference: str) -> list[dict]:
    return [e for e in reviewer.history(reference) if e["action"] == "evidence_read"]


def _assert_locked_down(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    assert csp.split(";")[0] == "sandbox"
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "no-store" in response.headers["Cache-Control"]


def test_a_reviewer_reads_an_image_inline_and_the_read_is_logged(reviewer, make_ticket):
    ticket = make_ticket()
    image = png_bytes(5, 5)
    ticket.upload("card_front", image, "card.png")
    evidence = evidence_ids(ticket)["card_front"]
    response = reviewer.get(f"/evidence/{evidence}/content")
    assert response.status_code == 200
    assert response.data == image
    assert response.mimetype == "image/png"
    _assert_locked_down(response)
    disposition = response.headers["Content-Disposition"]
    name = f"{ticket.reference}-card_front-card.png"
    assert disposition == f"inline; filename=\"{name}\"; filename*=UTF-8''{name}"
    reads = _reads(reviewer, ticket.reference)
    assert len(reads) == 1
    assert reads[0]["actor"] == f"reviewer:{reviewer.email}"
    assert reads[0]["details"]["evidence_id"] == evidence
    assert reads[0]["details"]["via"] == "api"
    assert reads[0]["at"].endswith("Z")


def test_download_forces_an_attachment(reviewer, make_ticket):
    ticket = make_ticket()
    ticket.upload("card_front", png_bytes(), "card.png")
    response = reviewer.get(
        f"/evidence/{evidence_ids(ticket)['card_front']}/content", query_string={"download": "1"}
    )
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_pdfs_and_office_files_are_attachments(reviewer, make_ticket, pdf_bytes, fixture_bytes):
    ticket = make_ticket()
    ticket.upload("passport", pdf_bytes, "passport.pdf")
    ticket.upload("driver_license", fixture_bytes("statement.docx"), "licence.docx")
    ticket.upload("card_transactions", fixture_bytes("statement.doc"), "statement.doc")
    ids = evidence_ids(ticket)
    for material, mimetype, extension in (
        ("passport", "application/pdf", "pdf"),
        (
            "driver_license",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        ),
        ("card_transactions", "application/msword", "doc"),
    ):
        response = reviewer.get(f"/evidence/{ids[material]}/content")
        assert response.status_code == 200
        assert response.mimetype == mimetype
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="')
        assert disposition.endswith(f".{extension}")
        _assert_locked_down(response)
    assert len(_reads(reviewer, ticket.reference)) == 3


def test_the_download_name_is_chosen_by_the_server_and_encoded_per_rfc_6266(
    reviewer, make_ticket, pdf_bytes
):
    ticket = make_ticket()
    assert ticket.upload("passport", pdf_bytes, "护照 scan (1).PDF").status_code == 201
    response = reviewer.get(f"/evidence/{evidence_ids(ticket)['passport']}/content")
    disposition = response.headers["Content-Disposition"]
    name = f"{ticket.reference}-passport-护照 scan (1).pdf"
    fallback = f"{ticket.reference}-passport-_scan_1.pdf"
    assert disposition == (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    assert disposition.isascii()


def test_a_flagged_pdf_is_an_attachment_and_never_previewed(app, reviewer, make_ticket, pdf_bytes):
    from triage.evidence.models import Evidence
    from triage.extensions import db

    client = app.test_client()
    ticket = make_ticket()
    assert ticket.upload("passport", pdf_bytes, "passport.pdf").status_code == 201
    evidence = evidence_ids(ticket)["passport"]
    # As intake records a PDF with active content (flagged, not refused).
    with app.app_context():
        db.session.get(Evidence, evidence).warnings = ["/JavaScript", "/OpenAction"]
        db.session.commit()
    response = reviewer.get(f"/evidence/{evidence}/content")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    _assert_locked_down(response)
    sign_in(client, reviewer.email)
    assert client.get(f"/review/evidence/{evidence}/pages/1.png").status_code == 404
    assert client.get(f"/review/evidence/{evidence}/pages").status_code == 404


def test_customers_and_strangers_cannot_read_evidence(client, make_ticket, reviewer):
    ticket = make_ticket()
    ticket.upload("card_front", png_bytes(), "card.png")
    evidence = evidence_ids(ticket)["card_front"]
    response = client.get(f"/api/v1/evidence/{evidence}/content", headers=ticket.headers)
    assert response.status_code == 401
    assert client.get(f"/api/v1/evidence/{evidence}/content").status_code == 401
    # The customer's browser holds the ticket, but is not a reviewer.
    page = client.get(f"/review/evidence/{evidence}")
    assert page.status_code == 302
    assert "/review/sign-in" in page.headers["Location"]
    assert _reads(reviewer, ticket.reference) == []


def test_the_page_route_serves_signed_in_reviewers(app, make_ticket, reviewer):
    client = app.test_client()
    ticket = make_ticket()
    image = png_bytes(7, 3)
    ticket.upload("card_front", image, "card.png")
    evidence = evidence_ids(ticket)["card_front"]
    sign_in(client, reviewer.email)
    response = client.get(f"/review/evidence/{evidence}")
    assert response.status_code == 200
    assert response.data == image
    _assert_locked_down(response)
    reads = _reads(reviewer, ticket.reference)
    assert [r["details"]["via"] for r in reads] == ["page"]


def test_a_file_that_changed_in_storage_is_not_served(app, reviewer, make_ticket, pdf_bytes):
    from triage.evidence.models import Evidence
    from triage.extensions import db

    ticket = make_ticket()
    ticket.upload("passport", pdf_bytes, "passport.pdf")
    evidence = evidence_ids(ticket)["passport"]
    with app.app_context():
        key = db.session.get(Evidence, evidence).storage_key
    (Path(app.config["EVIDENCE_DIR"]) / key).write_bytes(b"%PDF-1.4 something else")
    response = reviewer.get(f"/evidence/{evidence}/content")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "storage_unavailable"
    assert _reads(reviewer, ticket.reference) == []


needs_poppler = pytest.mark.skipif(
    not preview.available(), reason="poppler-utils (pdftoppm) not installed"
)


@needs_poppler
def test_pdf_pages_are_served_as_images_made_by_us(app, reviewer, make_ticket, pdf_bytes):
    client = app.test_client()
    ticket = make_ticket()
    ticket.upload("passport", pdf_bytes, "passport.pdf")
    evidence = evidence_ids(ticket)["passport"]
    sign_in(client, reviewer.email)
    assert client.get(f"/review/evidence/{evidence}/pages/1.png").status_code == 202
    assert previews.wait_idle(60)
    viewer = client.get(f"/review/evidence/{evidence}/pages")
    assert viewer.status_code == 200
    assert f"/review/evidence/{evidence}/pages/1.png" in viewer.text
    assert "pages/2.png" not in viewer.text  # statement.pdf has one page
    image = client.get(f"/review/evidence/{evidence}/pages/1.png")
    assert image.status_code == 200
    assert image.data.startswith(b"\x89PNG")
    assert image.mimetype == "image/png"
    name = f"{ticket.reference}-passport-passport-page-1.png"
    assert image.headers["Content-Disposition"] == (
        f"inline; filename=\"{name}\"; filename*=UTF-8''{name}"
    )
    _assert_locked_down(image)
    assert client.get(f"/review/evidence/{evidence}/pages/2.png").status_code == 404
    reads = _reads(reviewer, ticket.reference)
    # Only a picture served is a read: the page count and the "being prepared" answer are not.
    assert [(r["details"]["via"], r["details"].get("page")) for r in reads] == [("preview", 1)]


def test_without_poppler_pdfs_are_download_only(app, reviewer, submitted, monkeypatch):
    client = app.test_client()
    monkeypatch.setattr(preview, "available", lambda: False)
    ticket = submitted()
    reviewer.claim()
    sign_in(client, reviewer.email)
    page = client.get(f"/review/tickets/{ticket.reference}")
    assert "Page previews are not available on this server" in page.text
    evidence = evidence_ids(ticket)["passport"]
    assert f"/review/evidence/{evidence}/pages" not in page.text
    assert client.get(f"/review/evidence/{evidence}/pages/1.png").status_code == 404
    assert client.get(f"/review/evidence/{evidence}/pages").status_code == 404
