"""Evidence analysis wired into uploads, JSON, pages and the history (api.md "Evidence
analysis"). Jobs run eagerly in tests: the analysis has run when the upload answers."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from PIL import Image

from tests.analysis import synthetic as S
from tests.analysis.conftest import needs_tesseract
from tests.conftest import CHANGE_DIRECT_AUTHENTICATED, UNFREEZE_WITH_CARD, csrf_token
from tests.review.helpers import sign_in

WITH_USER_NAME = {**CHANGE_DIRECT_AUTHENTICATED, "real_name_auth": "not_completed"}


def item_of(body: dict, evidence_id: str) -> dict:
    (item,) = [e for e in body["evidence"] if e["id"] == evidence_id]
    return item


def upload(ticket, material: str, data: bytes, name: str = "photo.jpg") -> str:
    response = ticket.upload(material, data, name)
    assert response.status_code == 201, response.json
    # The upload answers before the analysis: never on the request path.
    assert response.json["analysis"] == "pending" and response.json["findings"] == []
    return response.json["id"]


def reviewer_view(reviewer, reference: str) -> dict:
    response = reviewer.get(f"/tickets/{reference}")
    assert response.status_code == 200, response.json
    return response.json


def history(app, reference: str) -> list[dict]:
    from sqlalchemy import select

    from triage.extensions import db
    from triage.history.models import Event
    from triage.tickets.models import Ticket

    with app.app_context():
        rows = db.session.scalars(
            select(Event)
            .join(Ticket, Ticket.id == Event.ticket_id)
            .where(Ticket.reference == reference)
            .order_by(Event.id)
        )
        return [{"action": e.action, "details": e.details} for e in rows]


def test_a_blurred_photo_gets_advice_in_the_customers_language(
    app, make_ticket, reviewer, blurred_photo
):
    ticket = make_ticket()
    evidence_id = upload(ticket, "authorization_letter", blurred_photo)
    item = item_of(ticket.get(), evidence_id)
    assert item["analysis"] == "done"
    assert [f["code"] for f in item["findings"]] == ["blurry"]
    assert item["findings"][0]["severity"] == "warning"
    assert "Hold the phone steady and tap to focus" in item["findings"][0]["message"]
    assert "extracted" not in item
    # In Spanish: the same finding, advice translated.
    spanish = ticket.client.get(
        f"/api/v1/tickets/{ticket.reference}?lang=es", headers=ticket.headers
    ).json
    assert item_of(spanish, evidence_id)["findings"][0]["message"] != item["findings"][0]["message"]
    # Reviewers read the fact, in English, and the file is not refused.
    seen = item_of(reviewer_view(reviewer, ticket.reference), evidence_id)
    assert seen["findings"][0]["message"].startswith("Blurred: sharpness")
    assert seen["extracted"] is None
    events = [e for e in history(app, ticket.reference) if e["action"] == "evidence_analysed"]
    assert events == [
        {
            "action": "evidence_analysed",
            "details": {
                "evidence_id": evidence_id,
                "material": "authorization_letter",
                "analysis": "done",
                "codes": ["blurry"],
                "masked_preview": None,
                "skipped": [],
            },
        }
    ]


def test_a_sharp_photo_has_no_finding_and_office_files_are_skipped(
    app, make_ticket, sharp_photo, fixture_bytes
):
    ticket = make_ticket()
    evidence_id = upload(ticket, "authorization_letter", sharp_photo)
    item = item_of(ticket.get(), evidence_id)
    assert (item["analysis"], item["findings"]) == ("done", [])


@needs_tesseract
def test_a_card_photo_with_its_full_number(
    app, make_ticket, reviewer, card_photo, card_number, caplog, client
):
    caplog.set_level(logging.DEBUG)
    ticket = make_ticket()
    evidence_id = upload(ticket, "card_front", card_photo, "card.jpg")
    mine = ticket.get()
    item = item_of(mine, evidence_id)
    assert [f["code"] for f in item["findings"]] == ["card_number_visible"]
    assert "Cover the middle digits of the card number" in item["findings"][0]["message"]
    assert "extracted" not in item
    theirs = reviewer_view(reviewer, ticket.reference)
    seen = item_of(theirs, evidence_id)
    assert seen["extracted"]["card"] == {
        "first6": card_number[:6],
        "last4": card_number[-4:],
        "full_number_visible": True,
    }
    assert card_number[:6] in seen["findings"][0]["message"]
    # The number itself is nowhere: JSON, history, logs, the row.
    events = history(app, ticket.reference)
    assert ["card_number_visible"] in [e["details"].get("codes") for e in events]
    for text in (json.dumps(mine), json.dumps(theirs), json.dumps(events), caplog.text):
        assert card_number not in text
        assert card_number[6:12] not in text
    from triage.evidence.analysis import masked_key, masked_preview
    from triage.evidence.models import Evidence
    from triage.extensions import db

    with app.app_context():
        row = db.session.get(Evidence, evidence_id)
        assert card_number not in json.dumps([row.findings, row.extracted])
        masked = masked_preview(row)
        assert masked_key(row.storage_key).endswith(".preview/page-999.png")
    assert Image.open(io.BytesIO(masked)).format == "PNG"
    # The review page shows the masked copy, not the original, and a read is logged.
    sign_in(client, reviewer.email)
    page = client.get(f"/review/tickets/{ticket.reference}")
    assert page.status_code == 200
    assert f"/review/evidence/{evidence_id}/masked.png" in page.text
    assert "A full card number is readable" in page.text
    picture = client.get(f"/review/evidence/{evidence_id}/masked.png")
    assert picture.status_code == 200 and picture.data == masked
    assert picture.headers["Content-Type"] == "image/png"
    assert picture.headers["X-Content-Type-Options"] == "nosniff"
    reads = [e for e in history(app, ticket.reference) if e["action"] == "evidence_read"]
    assert reads[-1]["details"]["via"] == "masked"
    # Reviewers only: a browser without a reviewer's session is sent to sign in.
    stranger = app.test_client().get(f"/review/evidence/{evidence_id}/masked.png")
    assert stranger.status_code in (302, 401) and stranger.data != masked
    # The customer's page gives the advice, never the masked copy.
    page = customer_page(app, ticket)
    assert "Cover the middle digits of the card number" in page
    assert "masked.png" not in page


@needs_tesseract
def test_a_passport_is_read_expiry_and_name_compared(
    app, make_ticket, reviewer, expired_passport, client
):
    ticket = make_ticket(WITH_USER_NAME)  # a ticket whose list has the `user_name` item
    answer = ticket.put_information({"user_name": "John Smith"})
    assert answer.status_code == 200, answer.json
    evidence_id = upload(ticket, "passport", expired_passport)
    item = item_of(ticket.get(), evidence_id)
    assert sorted(f["code"] for f in item["findings"]) == ["document_expired", "name_mismatch"]
    assert "MCDONALD" not in json.dumps(item)  # what was read is for reviewers only
    seen = item_of(reviewer_view(reviewer, ticket.reference), evidence_id)
    mrz = seen["extracted"]["mrz"]
    assert (mrz["surname"], mrz["document_number"], mrz["check_digits_valid"]) == (
        "MCDONALD",
        "C7654321",
        True,
    )
    words = {f["code"]: f["message"] for f in seen["findings"]}
    assert words["document_expired"] == "The document expired on 2021-06-30."
    assert "SEAN MCDONALD" in words["name_mismatch"] and "John Smith" in words["name_mismatch"]
    sign_in(client, reviewer.email)
    page = client.get(f"/review/tickets/{ticket.reference}").text
    assert "C7654321" in page and "The document expired on 2021-06-30." in page


def test_near_duplicate_across_two_accounts(app, make_ticket, reviewer, expired_passport):
    image = Image.open(io.BytesIO(expired_passport))
    recompressed = S.jpeg(image, quality=60)
    assert recompressed != expired_passport
    first = make_ticket(account_name="acme-cloud")
    upload(first, "authorization_letter", expired_passport)
    same_account = make_ticket(account_name="ACME-cloud")  # the same account, normalised
    upload(same_account, "authorization_letter", recompressed)
    # An account change: its priority is not high by its type (unfreeze tickets are).
    other = make_ticket(CHANGE_DIRECT_AUTHENTICATED, account_name="other-cloud")
    evidence_id = upload(other, "authorization_letter", recompressed)

    assert "near_duplicate" not in json.dumps(same_account.get())
    theirs = reviewer_view(reviewer, other.reference)
    (finding,) = item_of(theirs, evidence_id)["findings"]
    assert finding["code"] == "near_duplicate"
    # The nearest picture, on one of account acme-cloud's tickets.
    assert first.reference in finding["message"] or same_account.reference in finding["message"]
    assert "near_duplicate" in theirs["flags"] and theirs["priority"] == "high"
    # The customer learns nothing of other accounts' tickets.
    customer = other.get()
    assert item_of(customer, evidence_id)["findings"] == []
    assert "near_duplicate" not in customer["flags"]
    # Submitting keeps the flag and the priority.
    assert other.submit("here it is").status_code == 200
    theirs = reviewer_view(reviewer, other.reference)
    assert "near_duplicate" in theirs["flags"] and theirs["priority"] == "high"


def test_same_as_rejected_on_this_ticket(app, make_ticket, reviewer, blurred_photo):
    from tests.review.helpers import known_account

    known_account(app, UNFREEZE_WITH_CARD["account_name"])
    ticket = make_ticket()
    first_id = upload(ticket, "authorization_letter", blurred_photo)
    assert ticket.submit("please").status_code == 200
    assert reviewer.claim().status_code == 200
    assert reviewer.review(first_id, "rejected", "blurry").status_code == 200
    asked = reviewer.request_materials(ticket.reference, ["authorization_letter"], "Again")
    assert asked.status_code == 200, asked.json
    again = upload(ticket, "authorization_letter", blurred_photo)
    item = item_of(ticket.get(), again)
    assert [f["code"] for f in item["findings"]] == ["blurry", "same_as_rejected"]
    assert "not accepted before" in item["findings"][1]["message"]


def test_the_job_is_idempotent(app, make_ticket, blurred_photo):
    from triage.evidence.analysis import analyse_evidence
    from triage.evidence.models import Evidence
    from triage.extensions import db
    from triage.jobs import enqueue

    ticket = make_ticket()
    evidence_id = upload(ticket, "authorization_letter", blurred_photo)
    before = ticket.get()
    events = len(history(app, ticket.reference))
    with app.app_context():
        assert analyse_evidence(evidence_id) == "unchanged"
        db.session.commit()
        enqueue("triage.evidence.analyse", evidence_id)
        analysed_at = db.session.get(Evidence, evidence_id).analysed_at
    assert ticket.get() == before and len(history(app, ticket.reference)) == events
    with app.app_context():
        assert db.session.get(Evidence, evidence_id).analysed_at == analysed_at


def test_a_failing_analysis_is_marked_failed_and_the_page_still_works(app, make_ticket, client):
    from triage.evidence.models import Evidence
    from triage.extensions import db

    ticket = make_ticket()
    # A picture so small that Tesseract refuses it: the engine raises, the job does not.
    tiny = io.BytesIO()
    Image.new("RGB", (3, 2), "white").save(tiny, "PNG")
    evidence_id = upload(ticket, "card_front", tiny.getvalue(), "card.png")
    item = item_of(ticket.get(), evidence_id)
    assert (item["analysis"], item["findings"]) in (("failed", []), ("done", item["findings"]))
    # A file whose stored bytes went missing: failed, never an error for the customer.
    with app.app_context():
        row = db.session.get(Evidence, evidence_id)
        row.analysis = "pending"
        key = row.storage_key
        db.session.commit()
        app.extensions["evidence_store"].delete(key)
        from triage.jobs import enqueue

        enqueue("triage.evidence.analyse", evidence_id)
    item = item_of(ticket.get(), evidence_id)
    assert item["analysis"] == "failed" and item["findings"] == []
    assert "card.png" in customer_page(app, ticket)
    events = [e for e in history(app, ticket.reference) if e["action"] == "evidence_analysed"]
    assert events[-1]["details"]["analysis"] == "failed"


def test_the_customer_page_shows_findings_and_pending_files(app, make_ticket, blurred_photo):
    from triage.evidence.models import Evidence
    from triage.extensions import db

    ticket = make_ticket()
    evidence_id = upload(ticket, "authorization_letter", blurred_photo)
    page = customer_page(app, ticket)
    row = page.split(f'id="file-{evidence_id}"', 1)[1].split("</li>\n", 1)[0]
    assert 'data-analysis="done"' in page
    assert "Hold the phone steady and tap to focus" in page
    spanish = customer_page(app, ticket, "es")
    assert "Hold the phone steady" not in spanish and 'data-code="blurry"' in spanish
    assert row
    # While a worker has not checked it yet, the row says so for the page's script.
    with app.app_context():
        db.session.get(Evidence, evidence_id).analysis = "pending"
        db.session.commit()
    assert item_of(ticket.get(), evidence_id)["analysis"] == "pending"
    page = customer_page(app, ticket)
    assert 'data-analysis="pending"' in page and "Hold the phone steady" not in page
    script = (Path(app.root_path).parent / "static" / "js" / "upload.js").read_text()
    assert "li.file[data-analysis='pending']" in script


def customer_page(app, ticket, lang: str = "en") -> str:
    """The ticket's page in a browser that came back with the reference and access code."""
    browser = app.test_client()
    form = browser.get(f"/resume?reference={ticket.reference}")
    answer = browser.post(
        "/resume",
        data={
            "reference": ticket.reference,
            "code": ticket.token,
            "csrf_token": csrf_token(form.text),
        },
    )
    assert answer.status_code == 302, answer.text[:300]
    page = browser.get(f"/tickets/{ticket.reference}?lang={lang}")
    assert page.status_code == 200
    return page.text


def test_the_web_process_never_loads_the_analysis_engine():
    """numpy, scipy and Tesseract's wrapper belong to the workers that analyse: a web
    process that imports the app and serialises findings stays without them."""
    import subprocess
    import sys

    script = (
        "import sys, triage.app, triage.tickets.views, triage.review.views, "
        "triage.tickets.serialize; "
        "print(sorted(m for m in ('numpy', 'scipy', 'imagehash', 'pytesseract') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert loaded == "[]"
