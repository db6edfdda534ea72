"""'Ask the customer for more' pre-ticks only what a list cannot be met without (ruling 8,
ruling 9), 'Not approvable yet' lists each list's open parts group by group, the record
panel follows in-page decisions, the API's approval refusal is unchanged, and the queue
tabs belong to leads."""

from __future__ import annotations

from functools import partial

import pytest

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.review.helpers import (
    RECORD_WITH_CARD,
    decide_in_page,
    evidence_ids,
    import_record,
    page_text,
    region,
    signed_in,
    ticked,
)


@pytest.fixture
def record(runner, tmp_path):
    """record(**facts): the account directory's record of "acme-cloud"."""
    return partial(import_record, runner, tmp_path)


def test_an_id_card_side_rejected_is_a_choice_without_a_card(desk, reviewer, submitted):
    """unfreeze_no_card: one identity document; the passport would replace the ID card."""
    ticket = submitted(card_added=False, files=["id_card_front", "id_card_back"])
    assert reviewer.claim().status_code == 200
    ids = evidence_ids(ticket)
    assert reviewer.review(ids["id_card_front"], "rejected", "blurry").status_code == 200
    assert reviewer.review(ids["id_card_back"], "accepted").status_code == 200
    html = desk.get(f"/review/tickets/{ticket.reference}").text
    assert ticked(html, "request-form") == []
    box = page_text(region(html, "requirements").split('id="approvable"')[1])
    assert "One of: Passport" in box and "Driver license" in box
    assert "Resident identity card, front" in box and "rejected" in box


def test_an_item_rejected_twice_that_nothing_replaces_is_ticked(desk, reviewer, submitted):
    files = ["real_name_certificate", "transaction_records", "transaction_records"]
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED, files=files)
    assert reviewer.claim().status_code == 200
    for item in ticket.get()["evidence"]:
        reason = "blurry" if item["material"] == "transaction_records" else None
        decision = "rejected" if reason else "accepted"
        assert reviewer.review(item["id"], decision, reason).status_code == 200
    html = desk.get(f"/review/tickets/{ticket.reference}").text
    assert ticked(html, "request-form") == ["transaction_records"]


def test_a_rejected_item_only_the_records_list_needs_is_ticked_in_both_forms(
    desk, reviewer, submitted, record
):
    """Declared without a card; the record says a card is bound (rule direct_authenticated
    then asks the card holder's certificate and the card front, with no alternative)."""
    record(**RECORD_WITH_CARD)
    files = ["real_name_certificate", "transaction_records", "card_front"]
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED, files=files, known=False)
    assert reviewer.claim().status_code == 200
    page = f"/review/tickets/{ticket.reference}"
    ids = evidence_ids(ticket)
    decide_in_page(desk, page, ids["real_name_certificate"], "accepted")
    decide_in_page(desk, page, ids["transaction_records"], "accepted")
    regions = decide_in_page(desk, page, ids["card_front"], "rejected", "blurry")
    html = desk.get(page).text
    assert ticked(html, "request-form") == ["card_front"]
    assert sorted(ticked(html, "record-request-form")) == ["card_front", "card_holder_certificate"]
    # The record panel returned with the decision is the page's own.
    assert regions["record"] == region(html, "record")
    box = page_text(region(html, "requirements").split('id="approvable"')[1])
    assert "For the account record's list" in box
    assert box.count("Front of the credit card") == 1
    # The API still refuses approval naming what the record's list lacks.
    refused = reviewer.decide(ticket.reference, "approved")
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "requirements_not_met"
    assert set(refused.json["error"]["missing"]) == {"card_front", "card_holder_certificate"}


def test_the_record_panel_returned_after_each_decision_is_a_fresh_pages(
    desk, reviewer, submitted, record
):
    record(account_type="individual", card_added=True)
    ticket = submitted(card_added=False, files=["passport", "card_front"], known=False)
    assert reviewer.claim().status_code == 200
    page = f"/review/tickets/{ticket.reference}"
    ids = evidence_ids(ticket)
    for material, decision in [
        ("passport", "accepted"),
        ("card_front", "rejected"),
        ("card_front", "accepted"),
    ]:
        regions = decide_in_page(
            desk, page, ids[material], decision, "blurry" if decision == "rejected" else None
        )
        fresh = desk.get(page).text
        assert regions["record"] == region(fresh, "record")
        assert regions["requirements"] == region(fresh, "requirements")
    assert "Accepted evidence covers the record's list too." in page_text(regions["record"])
    assert 'id="record-request-form"' not in regions["record-request"]


def test_the_queue_tabs_are_leads_and_a_reviewer_cannot_open_disputed(
    app, reviewer, lead, submitted
):
    submitted()
    rita = signed_in(app, reviewer)
    assert 'id="queue-tabs"' not in rita.get("/review/").text
    assert rita.get("/review/?status=disputed").status_code == 302
    lena = signed_in(app, lead)
    html = lena.get("/review/?status=awaiting_second_approval").text
    assert "Second approval (0)" in html and "Disputed (0)" in html
    assert reviewer.claim().status_code == 200
    html = lena.get("/review/").text
    assert 'id="holders"' in html and reviewer.email in html
