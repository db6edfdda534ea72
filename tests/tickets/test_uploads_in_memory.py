"""Uploaded files stay in memory (issue 10, item 3): no temporary file, no personal data on
the web host's disk, for any file up to the 5 MiB limit."""

from __future__ import annotations

import tempfile

import pytest
from urllib3 import encode_multipart_formdata

from tests.tickets.conftest import MAX_FILE, pdf_of_size


@pytest.fixture
def no_temporary_files(monkeypatch: pytest.MonkeyPatch, app_config) -> list[str]:
    """Every way Python (and Werkzeug's form parser) makes a temporary file now fails.

    Except inside the evidence store's own folder (the local store writes each object to
    a temporary name there and renames it: that is the store, not a spool) and in
    /dev/shm, which is memory (tmpfs), where the PDF check hands a file to its checker.
    """
    import werkzeug.formparser

    attempts: list[str] = []
    store = str(app_config["EVIDENCE_DIR"])
    real_mkstemp = tempfile.mkstemp

    def refuse(name: str):
        def made(*args, **kwargs):
            where = str(kwargs.get("dir") or "")
            if name == "mkstemp" and where and where.startswith((store, "/dev/shm")):
                return real_mkstemp(*args, **kwargs)
            attempts.append(name)
            raise AssertionError(f"{name} called: an upload would reach the disk")

        return made

    for name in ("SpooledTemporaryFile", "TemporaryFile", "NamedTemporaryFile", "mkstemp"):
        monkeypatch.setattr(tempfile, name, refuse(name))
    for name in ("SpooledTemporaryFile", "TemporaryFile"):
        if hasattr(werkzeug.formparser, name):
            monkeypatch.setattr(werkzeug.formparser, name, refuse(name))
    return attempts


def multipart(fields: dict) -> tuple[bytes, str]:
    # Encoded beforehand: the test client would itself spool a large body to a temp file.
    return encode_multipart_formdata(fields)


def test_a_5_mib_upload_makes_no_temporary_file(make_ticket, pdf_bytes, no_temporary_files):
    ticket = make_ticket()
    data = pdf_of_size(pdf_bytes, MAX_FILE)
    body, content_type = multipart({"material": "passport", "file": ("scan.pdf", data)})
    response = ticket.client.post(
        f"/api/v1/tickets/{ticket.reference}/evidence",
        data=body,
        headers={**ticket.headers, "Content-Type": content_type},
    )
    assert response.status_code == 201, response.json
    assert response.json["size"] == MAX_FILE
    assert no_temporary_files == []


def test_the_file_part_is_held_in_memory(app):
    """What the view reads from is a BytesIO, for the largest file the API accepts."""
    from io import BytesIO

    from flask import request

    body, content_type = multipart({"file": ("scan.pdf", b"x" * MAX_FILE)})
    with app.test_request_context(
        "/", method="POST", data=body, headers={"Content-Type": content_type}
    ):
        stream = request.files["file"].stream
        assert isinstance(stream, BytesIO)
        assert len(stream.getbuffer()) == MAX_FILE
        # Reading it hands over the buffer itself: the file is not held twice.
        whole = stream.getvalue()
        assert stream.read() is whole


def test_a_body_over_the_limit_is_still_refused_before_it_is_held(make_ticket, pdf_bytes):
    ticket = make_ticket()
    data = pdf_of_size(pdf_bytes, MAX_FILE + 512 * 1024)
    body, content_type = multipart({"material": "passport", "file": ("big.pdf", data)})
    response = ticket.client.post(
        f"/api/v1/tickets/{ticket.reference}/evidence",
        data=body,
        headers={**ticket.headers, "Content-Type": content_type},
    )
    assert response.status_code == 413
