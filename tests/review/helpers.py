"""Reviewer fixtures and helpers shared by tests/review and tests/reviewers."""

from __future__ import annotations

import itertools
import json
import re
import struct
import uuid
import zlib
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED, UNFREEZE_WITH_CARD, csrf_token
from tests.evidence.shapes import raw_pdf

PASSWORD = "correct horse battery"
# What static/js/workbench.js sends with a form: the answer is JSON (the page's regions).
JSON = {"Accept": "application/json"}
# A one-page PDF that opens with JavaScript: accepted, flagged for the reviewer.
ACTIVE_PDF = raw_pdf(
    b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    b"<< /S /JavaScript /JS (app.alert(1)) >>",
)
RESELLER_ENTERPRISE_IN_CHINA = {
    **CHANGE_DIRECT_AUTHENTICATED,
    "customer_type": "reseller",
    "account_type": "enterprise",
    "enterprise_in_china": True,
}
# The account's record for a CHANGE_DIRECT_AUTHENTICATED ticket (declared without a card)
# saying a card is bound: the record's list (rule direct_authenticated) adds the card
# holder's certificate and the card front, with no alternative. For `import_record`.
RECORD_WITH_CARD = {
    "customer_type": "direct",
    "real_name_auth": "completed",
    "account_type": "individual",
    "card_added": True,
}
NO_RULE = {  # ruling 2: individual, direct, not authenticated, no card, payments made
    **CHANGE_DIRECT_AUTHENTICATED,
    "real_name_auth": "not_completed",
    "payments_made": True,
}


def encode_png(width: int, height: int, rows: bytes) -> bytes:
    """An RGB PNG from raw scanlines (each starting with its filter byte)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny) PNG: libmagic and browsers both take it for one."""
    rows = b"".join(b"\x00" + b"\xcc\x22\x11" * width for _ in range(height))
    return encode_png(width, height, rows)


@dataclass
class ApiReviewer:
    email: str
    id: int
    token: str
    client: FlaskClient

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kwargs: Any):
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any):
        return self.client.post(f"/api/v1{path}", headers=self.headers, json=json, **kwargs)

    def claim(self, ticket_type: str | None = None):
        return self.post("/queue/claim", {"type": ticket_type} if ticket_type else None)

    def queue(self, **params: Any):
        return self.get("/queue", query_string=params)

    def review(
        self, evidence_id: str, decision: str, reason: str | None = None, note: str | None = None
    ):
        body = {"decision": decision, "reason": reason, "note": note}
        return self.post(f"/evidence/{evidence_id}/review", body)

    def decide(self, reference: str, decision: str, note: str | None = None):
        return self.post(f"/tickets/{reference}/decision", {"decision": decision, "note": note})

    def request_materials(self, reference: str, materials: Any, message: Any):
        return self.post(
            f"/tickets/{reference}/request-materials", {"materials": materials, "message": message}
        )

    def release(self, reference: str):
        return self.post(f"/tickets/{reference}/release")

    def history(self, reference: str) -> list[dict[str, Any]]:
        response = self.get(f"/tickets/{reference}/history")
        assert response.status_code == 200, response.json
        return response.json["events"]


@pytest.fixture
def make_reviewer(app: Flask):
    """make_reviewer(email, role="reviewer") -> ApiReviewer, made by the services the CLI uses."""
    from triage.extensions import db
    from triage.reviewers.operations import create_reviewer, issue_token

    def make(
        email: str = "rita@example.com", role: str = "reviewer", name: str | None = None
    ) -> ApiReviewer:
        with app.app_context():
            reviewer = create_reviewer(email, name or email.split("@")[0].title(), role, PASSWORD)
            _, token = issue_token(email)
            db.session.commit()
            email, reviewer_id = reviewer.email, reviewer.id
        return ApiReviewer(email, reviewer_id, token, app.test_client())

    return make


@pytest.fixture
def reviewer(make_reviewer) -> ApiReviewer:
    return make_reviewer("rita@example.com")


@pytest.fixture
def other_reviewer(make_reviewer) -> ApiReviewer:
    return make_reviewer("olga@example.com")


@pytest.fixture
def lead(make_reviewer) -> ApiReviewer:
    return make_reviewer("lena@example.com", role="lead")


def unique_pdf(pdf: bytes) -> bytes:
    """The same document with a unique trailing comment: a different SHA-256 each time."""
    return pdf + f"\n% {uuid.uuid4().hex}\n".encode()


_widths = itertools.count(3)


def unique_png() -> bytes:
    return png_bytes(next(_widths), 2)


def known_account(app: Flask, account_name: str) -> None:
    """Give `account_name` a record in the account directory (recovery.md "Accounts of
    record") that states nothing but its name: it contradicts no declared fact, so a
    ticket for it is neither `unknown_account` nor `facts_mismatch` (either would ask a
    second approval). Importing it again changes nothing."""
    from triage.accounts.importing import import_records
    from triage.extensions import db

    with app.app_context():
        import_records([(1, {"account_name": account_name})])
        db.session.commit()


@pytest.fixture
def make_ticket(app: Flask, make_ticket):
    """tests/conftest.py's `make_ticket`, for an account the directory knows (`known_account`):
    the review workflow's tests are about reviewing, not about accounts without records.
    `known=False` leaves the account unknown."""

    def make(base: dict[str, Any] | None = None, known: bool = True, **overrides: Any):
        if known:
            name = overrides.get("account_name", (base or UNFREEZE_WITH_CARD)["account_name"])
            if isinstance(name, str) and name.strip():
                known_account(app, name)
        return make_ticket(base, **overrides)

    return make


STANDARD_FILES = {
    "unfreeze": ("passport", "card_front"),
    "account_change": ("real_name_certificate", "transaction_records"),
}


@pytest.fixture
def submitted(make_ticket, pdf_bytes):
    """submitted(base=None, explanation=None, **overrides) -> ApiTicket, sent for review.

    Uploads each required file of the standard cases (unique bytes, so no accidental
    `duplicate_evidence`); `files=[...]` picks other materials, `files=[]` none.
    """

    def make(
        base: dict[str, Any] | None = None,
        explanation: str | None = None,
        files: list[str] | None = None,
        **overrides: Any,
    ):
        ticket = make_ticket(base, **overrides)
        kind = (base or {}).get("type", "unfreeze")
        for material in STANDARD_FILES[kind] if files is None else files:
            if material == "card_front":
                response = ticket.upload(material, unique_png(), "card.png")
            else:
                response = ticket.upload(material, unique_pdf(pdf_bytes), f"{material}.pdf")
            assert response.status_code == 201, response.json
        response = ticket.submit(explanation)
        assert response.status_code == 200, response.json
        return ticket

    return make


def evidence_ids(ticket) -> dict[str, str]:
    """material -> id of its (last) file."""
    return {e["material"]: e["id"] for e in ticket.get()["evidence"]}


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, next_url: str = ""):
    page = client.get("/review/sign-in")
    query = f"?next={next_url}" if next_url else ""
    return client.post(
        f"/review/sign-in{query}",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
    )


def signed_in(app: Flask, who: Any) -> FlaskClient:
    """A browser (test client) signed in on the pages as reviewer `who` (an ApiReviewer)."""
    client = app.test_client()
    assert sign_in(client, who.email).status_code == 302
    return client


@pytest.fixture
def desk(app: Flask, reviewer: Any) -> FlaskClient:
    """A browser signed in on the review pages as `reviewer`."""
    return signed_in(app, reviewer)


def visit_urls(page_html: str, evidence_id: str) -> list[str]:
    """The picture URLs of one file on a rendered review page, with their visit token."""
    urls = re.findall(rf'src="(/review/evidence/{evidence_id}[^"]*)"', page_html)
    return [url.replace("&amp;", "&") for url in urls]


def page_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of a page, for posting one of its forms."""
    response = client.get(path)
    assert response.status_code == 200, response.text[:500]
    return csrf_token(response.text)


def expire_claim(app: Flask, reference: str) -> None:
    """Let the claim on ticket `reference` run out a second ago, as idleness would."""
    from datetime import timedelta

    from sqlalchemy import update

    from triage.extensions import db
    from triage.tickets.models import Ticket
    from triage.timeutil import utcnow

    with app.app_context():
        db.session.execute(
            update(Ticket)
            .where(Ticket.reference == reference)
            .values(claim_expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()


def import_record(runner: FlaskCliRunner, folder: Path, **facts: Any) -> None:
    """The account directory's record of "acme-cloud" (recovery.md "Accounts of record"),
    loaded by `flask accounts import` as an operator would, so a record's facts reach the
    ticket as they do in production. Import it before the ticket is made (`known=False`):
    the comparison is made when the ticket is."""
    path = folder / "records.jsonl"
    path.write_text(json.dumps({"account_name": "acme-cloud", **facts}) + "\n")
    result = runner.invoke(args=["accounts", "import", str(path)])
    assert result.exit_code == 0, result.output


def page_text(html: str) -> str:
    """What a reviewer reads of a piece of page: its words, tags gone, spaces folded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def form_html(html: str, form_id: str) -> str:
    """The page's form `form_id`, from its id to its closing tag."""
    start = html.index(f'id="{form_id}"')
    return html[start : html.index("</form>", start)]


def field_errors(form: str) -> list[str]:
    """The field errors a form shows, as a reviewer reads them."""
    return [unescape(e) for e in re.findall(r'class="field-error"[^>]*>([^<]*)<', form)]


def ticked(html: str, form_id: str) -> list[str]:
    """The materials ticked in the page's form `form_id`, in the page's order."""
    form = form_html(html, form_id)
    return re.findall(r'name="materials" value="([a-z_]+)"[^>]*checked', form)


def region(html: str, name: str) -> str:
    """The page's region `name` (`<!--region:NAME-->`), as views.py `_regions` cuts it."""
    found = re.search(rf"<!--region:{name}-->(.*?)<!--/region:{name}-->", html, re.DOTALL)
    assert found, name
    return found.group(1).strip()


def decide_in_page(
    client: FlaskClient, page: str, evidence_id: str, decision: str, reason: str | None = None
) -> dict[str, str]:
    """Decide on one file as the page's script does (its form, JSON back): the page's
    regions re-rendered, by name."""
    data = {f"ev-{evidence_id}-decision": decision, "csrf_token": page_token(client, page)}
    if reason:
        data[f"ev-{evidence_id}-reason"] = reason
    response = client.post(f"/review/evidence/{evidence_id}/review", data=data, headers=JSON)
    assert response.status_code == 200, response.json
    return response.json["regions"]
