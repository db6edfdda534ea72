"""`near_duplicate` for PDF first pages (triage/analysis/phash.py `page_hash`) attacked with
pages a customer really sends: a blank page, a huge page, and a page that is only pictures
(the front and back of an ID card scanned onto one page). A featureless hash must never
make two strangers' different documents near-duplicates."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.analysis.test_phash_pdf import needs_pdftoppm
from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.evidence_analysis.test_wiring import item_of, reviewer_view, upload
from triage.analysis.phash import PAGE_NEAR_IDENTICAL, hamming, page_hash

pytestmark = needs_pdftoppm
MATERIAL = "authorization_letter"  # a PDF the engine renders and hashes, with no OCR


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {**app_config, "EVIDENCE_ANALYSIS": True}


def card_scan_page(seed: int) -> Image.Image:
    """An A4 page at 150 dpi with two different card photos on it, front above back."""
    rng = random.Random(seed)
    page = Image.new("RGB", (1240, 1754), "white")
    for x, y in [(150, 200), (150, 1000)]:
        shade = rng.randint(90, 140)
        card = Image.new("RGB", (860, 540), (shade, shade - 10, shade + 5))
        draw = ImageDraw.Draw(card)
        for _ in range(20):  # the card's printing: lines of text, a portrait
            cx, cy = rng.randint(0, 780), rng.randint(0, 500)
            draw.rectangle(
                (cx, cy, cx + rng.randint(30, 220), cy + rng.randint(8, 30)), fill=(20, 20, 30)
            )
        page.paste(card, (x, y))
    return page


def photo_page(seed: int) -> Image.Image:
    """A page that is one photo (grain, mid-dark), as a phone's 'save as PDF' makes."""
    rng = np.random.default_rng(seed)
    pixels = (30 + rng.random((1754, 1240)) * 120).astype("uint8")
    return Image.fromarray(pixels).convert("RGB")


def as_pdf(image: Image.Image, bilevel: bool = False) -> bytes:
    """The picture as a one-page PDF: JPEG inside, or (bilevel) black and white, lossless,
    as a scanner's "B/W document" mode writes a photocopy."""
    if bilevel:
        image = image.convert("1", dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, "PDF", resolution=150)
    return out.getvalue()


def test_pages_of_different_card_scans_hash_apart():
    hashes = [page_hash(card_scan_page(seed)) for seed in range(4)]
    distances = [hamming(hashes[0], h) for h in hashes[1:] if hashes[0] and h]
    assert all(d > PAGE_NEAR_IDENTICAL for d in distances), distances


def test_featureless_page_hashes_are_recognised():
    """A page whose ink is a few solid blocks has a hash of ~20 bits set of 4,096: every
    such page of that layout hashes alike, whatever the cards show."""
    from triage.analysis.phash import featureless

    value = page_hash(card_scan_page(1))
    assert value is None or featureless(value), int(value, 16).bit_count()


@pytest.mark.parametrize("bilevel", [False, True], ids=["jpeg", "black-and-white"])
def test_two_strangers_card_scans_are_not_near_duplicates(app, make_ticket, reviewer, bilevel):
    mine = as_pdf(card_scan_page(1), bilevel)
    upload(make_ticket(account_name="acme-cloud"), MATERIAL, mine, "id.pdf")
    theirs = make_ticket(CHANGE_DIRECT_AUTHENTICATED, account_name="other-cloud")
    evidence_id = upload(theirs, MATERIAL, as_pdf(card_scan_page(2), bilevel), "id.pdf")
    view = reviewer_view(reviewer, theirs.reference)
    assert item_of(view, evidence_id)["analysis"] == "done"
    codes = [f["code"] for f in item_of(view, evidence_id)["findings"]]
    assert "near_duplicate" not in codes, item_of(view, evidence_id)["findings"]
    assert "near_duplicate" not in view["flags"]


def test_two_strangers_photo_pages_are_not_near_duplicates(app, make_ticket, reviewer):
    upload(make_ticket(account_name="acme-cloud"), MATERIAL, as_pdf(photo_page(1)), "scan.pdf")
    theirs = make_ticket(CHANGE_DIRECT_AUTHENTICATED, account_name="other-cloud")
    evidence_id = upload(theirs, MATERIAL, as_pdf(photo_page(2)), "scan.pdf")
    view = reviewer_view(reviewer, theirs.reference)
    assert item_of(view, evidence_id)["analysis"] == "done"
    assert "near_duplicate" not in view["flags"]


def test_blank_pages_are_not_near_duplicates(app, make_ticket, reviewer):
    blank = Image.new("RGB", (1240, 1754), "white")
    assert page_hash(blank) is None
    upload(make_ticket(account_name="acme-cloud"), MATERIAL, as_pdf(blank), "blank.pdf")
    theirs = make_ticket(CHANGE_DIRECT_AUTHENTICATED, account_name="other-cloud")
    evidence_id = upload(theirs, MATERIAL, as_pdf(blank), "blank2.pdf")
    view = reviewer_view(reviewer, theirs.reference)
    assert item_of(view, evidence_id)["analysis"] in ("done", "failed")
    assert "near_duplicate" not in view["flags"]


def test_a_huge_page_is_analysed_without_failing(app, make_ticket, reviewer):
    from tests.evidence.shapes import raw_pdf

    content = b"0 0 0 rg 1000 1000 50000 200 re f 1000 60000 30000 300 re f"
    huge = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /UserUnit 10 /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    )
    ticket = make_ticket(account_name="acme-cloud")
    response = ticket.upload(MATERIAL, huge, "huge.pdf")
    assert response.status_code in (201, 400, 413, 415, 422), response.json
    if response.status_code == 201:
        view = reviewer_view(reviewer, ticket.reference)
        assert item_of(view, response.json["id"])["analysis"] in ("done", "failed")
