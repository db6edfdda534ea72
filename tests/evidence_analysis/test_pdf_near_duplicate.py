"""`near_duplicate` for the first page of a PDF (api.md "Evidence analysis", issue 13 part
3): a re-saved copy of a statement on another account's ticket is found; another statement
of the same bank's layout is not; PDFs are never compared with photos.

The page hash is 1,024 hex digits (triage.analysis.phash.page_hash), which
`evidence.phash` holds since migration 7a8b9c0d1e07.
"""

from __future__ import annotations

import json
import random

import pytest

from tests.analysis.test_phash_pdf import needs_pdftoppm, resaved, statement_pdf
from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.evidence_analysis.test_wiring import item_of, reviewer_view, upload

pytestmark = needs_pdftoppm
MATERIAL = "authorization_letter"  # a PDF the engine renders and hashes, with no OCR


@pytest.fixture(scope="module")
def statements() -> tuple[bytes, bytes, bytes]:
    """Two statements of one layout (same transactions' descriptions, other names, dates
    and amounts) and a re-save of the first (rendered again, scaled, JPEG, a new PDF)."""
    first = statement_pdf(random.Random("first"), random.Random("rows"))
    second = statement_pdf(random.Random("second"), random.Random("rows"))
    return first, second, resaved(first, random.Random("resave"))


def stored_hash(app, evidence_id: str) -> str | None:
    from triage.evidence.models import Evidence
    from triage.extensions import db

    with app.app_context():
        return db.session.get(Evidence, evidence_id).phash


def test_a_pdf_is_analysed_and_its_page_hash_kept(app, make_ticket, statements):
    first, _, _ = statements
    ticket = make_ticket()
    evidence_id = upload(ticket, MATERIAL, first, "statement.pdf")
    assert item_of(ticket.get(), evidence_id)["analysis"] == "done"
    assert len(stored_hash(app, evidence_id)) == 1024  # on PostgreSQL too: VARCHAR(1024)


def test_a_resaved_statement_on_another_account_is_a_near_duplicate(
    app, make_ticket, reviewer, statements
):
    first, _, copy = statements
    mine = make_ticket(account_name="acme-cloud")
    upload(mine, MATERIAL, first, "statement.pdf")
    theirs = make_ticket(CHANGE_DIRECT_AUTHENTICATED, account_name="other-cloud")
    evidence_id = upload(theirs, MATERIAL, copy, "scan.pdf")

    assert len(stored_hash(app, evidence_id)) == 1024
    view = reviewer_view(reviewer, theirs.reference)
    (finding,) = item_of(view, evidence_id)["findings"]
    assert finding["code"] == "near_duplicate"
    assert mine.reference in finding["message"]
    assert "near_duplicate" in view["flags"] and view["priority"] == "high"
    assert item_of(theirs.get(), evidence_id)["findings"] == []  # never told the customer


def test_another_statement_of_the_same_layout_is_not(app, make_ticket, reviewer, statements):
    first, second, _ = statements
    upload(make_ticket(account_name="acme-cloud"), MATERIAL, first, "statement.pdf")
    theirs = make_ticket(CHANGE_DIRECT_AUTHENTICATED, account_name="other-cloud")
    evidence_id = upload(theirs, MATERIAL, second, "statement.pdf")

    view = reviewer_view(reviewer, theirs.reference)
    assert item_of(view, evidence_id)["findings"] == []
    assert "near_duplicate" not in view["flags"]


def test_a_pdf_is_never_compared_with_a_photo(app, make_ticket, reviewer, statements, sharp_photo):
    from tests.analysis import synthetic as S
    from triage.analysis.analyse import render_first_page

    first, _, _ = statements
    # The photo of the statement's own first page: the same picture, but a photo.
    page_photo = S.jpeg(render_first_page(first))
    upload(make_ticket(account_name="acme-cloud"), MATERIAL, page_photo, "page.jpg")
    theirs = make_ticket(CHANGE_DIRECT_AUTHENTICATED, account_name="other-cloud")
    evidence_id = upload(theirs, MATERIAL, first, "statement.pdf")
    assert "near_duplicate" not in json.dumps(reviewer_view(reviewer, theirs.reference))
    assert len(stored_hash(app, evidence_id)) == 1024


def test_featureless_by_length(app):
    from triage.analysis.phash import featureless

    assert featureless("0" * 1024) and featureless("f" * 1024)
    assert not featureless("0f" * 512)
    assert featureless("8" + "0" * 15) and not featureless("0f" * 8)
    # 1/16 of the bits, whatever the length: 4 of 64, 256 of 4,096 (a page of solid blocks
    # sets ~20 of 4,096, and every page of that layout sets the same ones).
    assert featureless("f" + "0" * 15) and not featureless("1f" + "0" * 14)
    assert featureless("f" * 5 + "0" * 1019) and featureless("f" * 64 + "0" * 960)
    assert not featureless("f" * 65 + "0" * 959) and featureless("0" * 64 + "f" * 960)
