"""Fixtures for the customer side: isolated clients, web helpers, sample files, the store."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from tests.conftest import csrf_token
from tests.review.helpers import make_reviewer  # noqa: F401 - fixtures

# --- what is stored --------------------------------------------------------------------------


def evidence_count(app: Flask) -> int:
    from triage.evidence.models import Evidence
    from triage.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count(Evidence.id)))


def stored_keys(app: Flask) -> list[str]:
    return [obj.key for obj in app.extensions["evidence_store"].list("tickets/")]


@pytest.fixture
def assert_nothing_stored(app: Flask):
    """No Evidence row and no object in the store (local folder or bucket)."""

    def check() -> None:
        assert evidence_count(app) == 0
        assert stored_keys(app) == []

    return check


@pytest.fixture(params=["local", "s3"])
def any_store(request: pytest.FixtureRequest, app_config: dict[str, Any]) -> str:
    """Runs a test once with the local folder and once with the mock_aws bucket."""
    if request.param == "s3":
        request.getfixturevalue("s3_app_config")
    return request.param


# --- sample files ----------------------------------------------------------------------------

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 200
WINDOWS_EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + b"\x80\x00\x00\x00"
    + b"\x00" * 64
    + b"PE\x00\x00\x4c\x01"
    + b"\x00" * 200
)
HTML = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>\n"
)


def jpeg_bytes(width: int = 8, height: int = 8) -> bytes:
    """A real (tiny) JPEG that decodes completely, as a phone's photo does."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, "JPEG", quality=85)
    return out.getvalue()


JPEG = jpeg_bytes()
MAX_FILE = 5 * 1024 * 1024


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a Word document")
    return buffer.getvalue()


def pdf_of_size(pdf: bytes, size: int) -> bytes:
    """A real PDF padded with trailing whitespace to exactly `size` bytes."""
    return pdf + b" " * (size - len(pdf))


# --- the web face ----------------------------------------------------------------------------

UNFREEZE_FORM = {
    "account_type": "individual",
    "card_added": "true",
    "account_name": "acme-cloud",
    "contact_email": "owner@example.com",
}
CHANGE_FORM = {
    "customer_type": "direct",
    "real_name_auth": "completed",
    "account_type": "individual",
    "card_added": "false",
    "account_name": "acme-cloud",
    "contact_email": "owner@example.com",
    "change_mobile": "+44 7700 900123",
}


def form_token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_token(page.text)


def create_on_web(
    client: FlaskClient, ticket_type: str = "unfreeze", answers: dict[str, str] | None = None
) -> tuple[str, str]:
    """File a ticket through the pages; returns (reference, access code)."""
    answers = answers or (UNFREEZE_FORM if ticket_type == "unfreeze" else CHANGE_FORM)
    token = form_token(client, f"/new/{ticket_type}")
    response = client.post(f"/new/{ticket_type}", data={**answers, "csrf_token": token})
    assert response.status_code == 302, response.text
    created = client.get(response.headers["Location"])
    reference = re.search(r'id="reference">([^<]+)<', created.text).group(1)
    code = re.search(r'id="access-code">([^<]+)<', created.text).group(1)
    return reference, code


@pytest.fixture
def web_ticket(client: FlaskClient) -> Iterator[tuple[str, str]]:
    """An unfreeze ticket (card added) filed through the pages, held by `client`."""
    yield create_on_web(client)


def upload_on_web(
    client: FlaskClient, reference: str, material: str, *files: tuple[bytes, str], **headers: str
):
    token = form_token(client, f"/tickets/{reference}")
    data = {
        "csrf_token": token,
        "material": material,
        "files": [(io.BytesIO(content), name) for content, name in files],
    }
    return client.post(
        f"/tickets/{reference}/evidence",
        data=data,
        content_type="multipart/form-data",
        headers=headers,
    )


def post_on_ticket(
    client: FlaskClient, reference: str, action: str, data: dict[str, str] | None = None
):
    token = form_token(client, f"/tickets/{reference}")
    return client.post(f"/tickets/{reference}/{action}", data={**(data or {}), "csrf_token": token})


def put_in_status(app: Flask, reference: str, status: str) -> None:
    """Set a ticket's status directly, as if its history had led there."""
    from triage.extensions import db
    from triage.tickets.models import Ticket

    with app.app_context():
        db.session.execute(
            update(Ticket).where(Ticket.reference == reference).values(status=status)
        )
        db.session.commit()
