"""The upload path: 256 KiB multipart reads (triage.uploads) and the pages' upload that
finds ticket and grant in one SELECT (triage.grants.operations.granted_ticket)."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.tickets.conftest import (
    HTML,
    MAX_FILE,
    create_on_web,
    evidence_count,
    form_token,
    pdf_of_size,
    upload_on_web,
)
from triage.uploads import READ_SIZE

JSON = {"Accept": "application/json"}
BOUNDARY = "----break-session-boundary-7a1f"


def multipart(parts: list[tuple[str, str | None, bytes]]) -> bytes:
    """A multipart/form-data body of (name, filename or None, content) parts."""
    out = []
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
        if filename is not None:
            head += "Content-Type: application/octet-stream\r\n"
        out.append(head.encode() + b"\r\n" + content + b"\r\n")
    out.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(out)


def api_post(ticket, body: bytes):
    return ticket.client.post(
        f"/api/v1/tickets/{ticket.reference}/evidence",
        input_stream=io.BytesIO(body),
        headers={
            **ticket.headers,
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(len(body)),
        },
    )


def file_part_offset(pdf: bytes) -> int:
    """Bytes before the file's content in `multipart` of material + file."""
    head = multipart([("material", None, b"passport"), ("file", "scan.pdf", b"")])
    return head.index(b"scan.pdf") + len(
        b'scan.pdf"\r\nContent-Type: application/octet-stream\r\n\r\n'
    )


@pytest.mark.parametrize("shift", [-len(BOUNDARY) - 6, -3, -1, 0, 1, 2, 4, 40])
@pytest.mark.parametrize("edge", [1, 2])
def test_a_boundary_straddling_a_read_edge_leaves_the_file_whole(
    make_ticket, pdf_bytes, edge, shift
):
    """The file's closing CRLF+boundary starts `shift` bytes from the `edge`-th 256 KiB
    edge of the body: the file arrives byte for byte."""
    ticket = make_ticket()
    start = file_part_offset(pdf_bytes)
    size = edge * READ_SIZE + shift - start
    data = pdf_of_size(pdf_bytes, size)
    body = multipart([("material", None, b"passport"), ("file", "scan.pdf", data)])
    assert body.index(f"\r\n--{BOUNDARY}--".encode(), start) == edge * READ_SIZE + shift
    response = api_post(ticket, body)
    assert response.status_code == 201, response.json
    assert response.json["sha256"] == hashlib.sha256(data).hexdigest()
    assert response.json["size"] == len(data)


def test_a_file_that_holds_the_boundary_minus_one_byte_is_kept_whole(make_ticket, pdf_bytes):
    """The file's own bytes carry "\\r\\n--<boundary>" minus its last character exactly
    across the first read edge: a near-miss the decoder must not take for the end."""
    ticket = make_ticket()
    start = file_part_offset(pdf_bytes)
    near = f"\r\n--{BOUNDARY[:-1]}X".encode()
    cut = READ_SIZE - start - len(near) // 2
    data = pdf_of_size(pdf_bytes, cut) + near + b" " * 1000
    response = api_post(
        ticket, multipart([("material", None, b"passport"), ("file", "scan.pdf", data)])
    )
    assert response.status_code == 201, response.json
    assert response.json["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_file_of_exactly_5_mib_on_the_pages(client, web_ticket, pdf_bytes, app):
    reference, _ = web_ticket
    data = pdf_of_size(pdf_bytes, MAX_FILE)
    response = upload_on_web(client, reference, "passport", (data, "big.pdf"), **JSON)
    assert response.status_code == 201, response.json
    assert response.json["evidence"][0]["size"] == MAX_FILE


def test_many_small_parts_are_refused_or_parsed_never_a_500(make_ticket, pdf_bytes):
    ticket = make_ticket()
    parts = [("material", None, b"passport")]
    parts += [(f"x{i}", None, b"y") for i in range(2000)]
    parts.append(("file", "scan.pdf", pdf_bytes))
    response = api_post(ticket, multipart(parts))
    assert response.status_code in (201, 400, 413), response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("size", [499_000, 500_000, 500_001])
def test_a_text_field_near_the_form_memory_bound(make_ticket, pdf_bytes, size):
    """A field of about MAX_FORM_MEMORY_SIZE: the parser refuses (413) or the app judges it
    (400 for a material that is no material); never a 500, nothing stored."""
    ticket = make_ticket()
    body = multipart([("material", None, b"p" * size), ("file", "scan.pdf", pdf_bytes)])
    response = api_post(ticket, body)
    assert response.status_code in (400, 413), response.get_data(as_text=True)[:300]
    assert response.json["error"]["code"] in (
        "unknown_material",
        "invalid_request",
        "file_too_large",
    )
    assert ticket.get()["evidence"] == []


def test_a_truncated_body_stores_nothing(make_ticket, pdf_bytes, app):
    ticket = make_ticket()
    body = multipart([("material", None, b"passport"), ("file", "scan.pdf", pdf_bytes)])
    cut = body[: len(body) - 40]
    response = ticket.client.post(
        f"/api/v1/tickets/{ticket.reference}/evidence",
        input_stream=io.BytesIO(cut),
        headers={
            **ticket.headers,
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(len(body)),  # says more than arrives
        },
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert evidence_count(app) == 0


def post_chunked(live_server: str, ticket, data: bytes, piece: int):
    """Upload `data` as a passport over real HTTP, the body sent in `piece`-byte chunks with
    no length (Transfer-Encoding: chunked)."""
    import requests

    body = multipart([("material", None, b"passport"), ("file", "scan.pdf", data)])
    return requests.post(
        f"{live_server}/api/v1/tickets/{ticket.reference}/evidence",
        data=(body[i : i + piece] for i in range(0, len(body), piece)),
        headers={**ticket.headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        timeout=30,
    )


def test_a_chunked_upload_over_real_http(make_ticket, pdf_bytes, live_server):
    ticket = make_ticket()
    data = pdf_of_size(pdf_bytes, 3 * READ_SIZE + 17)
    response = post_chunked(live_server, ticket, data, 70_001)
    assert response.status_code == 201, response.text[:300]
    assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_chunked_upload_over_the_limit_is_413(make_ticket, pdf_bytes, live_server, app):
    ticket = make_ticket()
    data = pdf_of_size(pdf_bytes, MAX_FILE + 300 * 1024)
    response = post_chunked(live_server, ticket, data, 100_000)
    assert response.status_code == 413, response.text[:300]
    assert evidence_count(app) == 0


# --- the pages' grant -----------------------------------------------------------------------


def test_a_lower_case_reference_uploads_on_the_pages(client, web_ticket, pdf_bytes, app):
    reference, _ = web_ticket
    token = form_token(client, f"/tickets/{reference}")
    response = post_pdf(client, reference.lower(), token, pdf_bytes)
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    assert evidence_count(app) == 1


def post_pdf(client, reference: str, token: str, pdf_bytes: bytes):
    """One PDF to the page's upload form of ticket `reference`, asking for JSON."""
    return client.post(
        f"/tickets/{reference}/evidence",
        data={
            "csrf_token": token,
            "material": "passport",
            "files": [(io.BytesIO(pdf_bytes), "p.pdf")],
        },
        content_type="multipart/form-data",
        headers=JSON,
    )


def test_a_grant_on_another_ticket_uploads_nothing(client, app, pdf_bytes):
    mine, _ = create_on_web(client)
    stranger = app.test_client()
    theirs, _ = create_on_web(stranger)
    token = form_token(client, f"/tickets/{mine}")
    response = post_pdf(client, theirs, token, pdf_bytes)
    assert response.status_code == 404
    assert evidence_count(app) == 0


def test_an_expired_grant_uploads_nothing(client, web_ticket, pdf_bytes, app):
    from triage.extensions import db
    from triage.grants.models import TicketGrant
    from triage.grants.operations import GRANT_MAX_AGE
    from triage.timeutil import utcnow

    reference, _ = web_ticket
    token = form_token(client, f"/tickets/{reference}")
    with app.app_context():
        db.session.execute(
            update(TicketGrant).values(created_at=utcnow() - GRANT_MAX_AGE - timedelta(seconds=1))
        )
        db.session.commit()
    response = post_pdf(client, reference, token, pdf_bytes)
    assert response.status_code == 404
    assert evidence_count(app) == 0


def test_a_forgotten_grant_copied_back_uploads_nothing(client, web_ticket, pdf_bytes, app):
    """ "Forget this device", then the old session cookie replayed: the grant is gone on
    the server too."""
    reference, _ = web_ticket
    token = form_token(client, f"/tickets/{reference}")
    old_cookie = client.get_cookie("session").value
    assert client.post(f"/tickets/{reference}/forget", data={"csrf_token": token}).status_code < 400
    client.set_cookie("session", old_cookie)
    response = post_pdf(client, reference, token, pdf_bytes)
    assert response.status_code == 404
    assert evidence_count(app) == 0


def test_the_json_answer_of_several_files_with_one_refused(client, web_ticket, pdf_bytes, app):
    reference, _ = web_ticket
    good1 = pdf_bytes + b"\n% one\n"
    good2 = pdf_bytes + b"\n% two\n"
    response = upload_on_web(
        client,
        reference,
        "passport",
        (good1, "a.pdf"),
        (HTML, "b.pdf"),
        (good2, "c.pdf"),
        **JSON,
    )
    assert response.status_code == 415
    body = response.json
    assert [e["filename"] for e in body["evidence"]] == ["a.pdf", "c.pdf"]
    assert body["error"]["code"] == "unsupported_file_type" and "b.pdf" in body["error"]["message"]
    assert evidence_count(app) == 2
    # What the answer said of each file is what the ticket shows afterwards.
    page = client.get(f"/tickets/{reference}")
    for item in body["evidence"]:
        assert item["id"] in page.text
        assert item["sha256"] in (
            hashlib.sha256(good1).hexdigest(),
            hashlib.sha256(good2).hexdigest(),
        )


def test_the_pages_json_answer_is_what_the_api_reads_back(client, web_ticket, pdf_bytes, app):
    """The page's upload serialises each file before its commit: every field it answers
    must be what the ticket holds once committed (api.md's evidence shape)."""
    reference, code = web_ticket
    files = [(pdf_bytes + b"\n% one\n", "a.pdf"), (HTML, "b.pdf"), (pdf_bytes + b"\n%2\n", "c.pdf")]
    response = upload_on_web(client, reference, "passport", *files, **JSON)
    assert response.status_code == 415
    answered = response.json["evidence"]
    read = app.test_client().get(
        f"/api/v1/tickets/{reference}", headers={"Authorization": f"Bearer {code}"}
    )
    assert read.status_code == 200, read.json
    assert answered == read.json["evidence"]
