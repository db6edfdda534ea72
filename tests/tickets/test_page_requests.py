"""What the customer's page says about a reviewer's request (materials.md ruling 9: a
reviewer may ask for any material): an item never sent is "asked for by the reviewer",
not "asked for again", and a request outside the list is not "a document you added"."""

from __future__ import annotations

import re

from sqlalchemy import update

from tests.conftest import csrf_token
from tests.tickets.conftest import JPEG, UNFREEZE_FORM, create_on_web, upload_on_web
from triage.evidence.models import Evidence
from triage.extensions import db

NO_CARD = {**UNFREEZE_FORM, "card_added": "false"}


def _chip(page: str, key: str) -> str:
    item = page.split(f'id="item-{key}"', 1)[1]
    return item.split('class="chip chip-', 1)[1].split(">", 1)[1].split("<", 1)[0]


def _asked(client, make_reviewer, pdf_bytes, materials: list[str]) -> tuple[str, str]:
    reference, _ = create_on_web(client, "unfreeze", NO_CARD)
    upload_on_web(client, reference, "passport", (pdf_bytes, "passport.pdf"))
    token = csrf_token(client.get(f"/tickets/{reference}").text)
    sent = client.post(f"/tickets/{reference}/submit", data={"csrf_token": token})
    assert sent.status_code in (302, 303), sent.text
    rita = make_reviewer()
    assert rita.claim().json["reference"] == reference
    asked = rita.request_materials(reference, materials, "Please send these as well.")
    assert asked.status_code == 200, asked.json
    return reference, client.get(f"/tickets/{reference}").text


def test_an_item_never_sent_is_asked_for_by_the_reviewer(client, make_reviewer, pdf_bytes):
    _, page = _asked(client, make_reviewer, pdf_bytes, ["passport", "driver_license"])
    assert _chip(page, "passport") == "Asked for again"  # a file was sent before
    assert _chip(page, "driver_license") == "Asked for by the reviewer"


def test_a_request_outside_the_list_is_not_called_a_document_you_added(
    client, make_reviewer, pdf_bytes
):
    _, page = _asked(client, make_reviewer, pdf_bytes, ["real_name_certificate"])
    assert "Also asked for by the reviewer" in page
    assert "Other documents you added" not in page
    assert _chip(page, "real_name_certificate") == "Asked for by the reviewer"


def test_a_file_being_checked_is_called_a_photo_or_a_document(client, app, pdf_bytes):
    reference, _ = create_on_web(client, "unfreeze", NO_CARD)
    upload_on_web(client, reference, "passport", (pdf_bytes, "passport.pdf"))
    upload_on_web(client, reference, "id_card_front", (JPEG, "id-front.jpg"))
    with app.app_context():  # as while a worker has not yet run the analysis
        db.session.execute(update(Evidence).values(analysis="pending"))
        db.session.commit()
    page = client.get(f"/tickets/{reference}").text
    pending = re.findall(r'id="item-(\w+)".*?class="analysis-pending[^>]*>([^<]*)<', page, re.S)
    assert dict(pending) == {
        "passport": "Checking the document…",
        "id_card_front": "Checking the photo…",
    }
