"""The account record's panel on the workbench (recovery.md "Accounts of record"): it
follows each file decision made without a reload, reads its list group by group, and
asks for what that list cannot do without.

A decision sent by the page's script answers the page's regions re-rendered
(triage/review/views.py); the record's list is one of them ("record"), its request form
another ("record-request", left alone once the reviewer touched it).
"""

from __future__ import annotations

import re
from functools import partial
from html import unescape

import pytest

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.review.helpers import (
    RECORD_WITH_CARD,
    decide_in_page,
    evidence_ids,
    import_record,
    page_text,
)


@pytest.fixture
def record(runner, tmp_path):
    """record(**facts): the account directory's record of "acme-cloud"."""
    return partial(import_record, runner, tmp_path)


def test_the_records_list_follows_each_decision_made_in_the_page(desk, reviewer, submitted, record):
    """The record says a card is bound: its list adds the card holder's certificate and
    the card front to what the customer declared."""
    record(**RECORD_WITH_CARD)
    files = ["real_name_certificate", "transaction_records", "card_holder_certificate"]
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED, files=[*files, "card_front"], known=False)
    assert reviewer.claim().status_code == 200
    page = f"/review/tickets/{ticket.reference}"
    before = desk.get(page).text
    assert "Still to be covered by accepted evidence for the record's list" in page_text(before)
    ids = evidence_ids(ticket)
    for material in files:
        regions = decide_in_page(desk, page, ids[material], "accepted")
        assert {"record", "record-request"} <= set(regions)
        assert 'data-region="record"' in regions["record"]
        assert 'data-material="card_front"' in regions["record"]  # still to be covered
    regions = decide_in_page(desk, page, ids["card_front"], "accepted")
    panel = page_text(regions["record"])
    assert "Accepted evidence covers the record's list too." in panel
    assert "Still to be covered" not in panel and "provided" not in panel
    assert 'id="record-request-form"' not in regions["record-request"]  # nothing to ask


def test_the_records_list_keeps_a_choice_a_choice(desk, reviewer, submitted, record):
    """Declared without a card, an unfreeze needs one identity document; the record says
    a card is bound (ruling 8: any two of three). With the passport accepted, either the
    card front or the card transactions completes the record's list: the panel says so,
    and its request form ticks neither."""
    record(account_type="individual", card_added=True)
    ticket = submitted(card_added=False, files=["passport"], known=False)
    assert reviewer.claim().status_code == 200
    page = f"/review/tickets/{ticket.reference}"
    regions = decide_in_page(desk, page, evidence_ids(ticket)["passport"], "accepted")
    panel = page_text(regions["record"])
    assert "One more of: Front of the credit card" in panel
    assert "Transaction details of the bound credit card" in panel
    assert "Driver license" not in panel.split("Still to be covered")[1]
    form = regions["record-request"]
    assert 'id="record-request-form"' in form
    assert re.findall(r'value="([a-z_]+)"[^>]*checked', form) == []
    message = unescape(re.search(r"<textarea[^>]*>([^<]*)</textarea>", form).group(1))
    assert "one more of (Front of the credit card / Transaction details" in message
    # The page's approval box names the record's open choice too.
    box = page_text(desk.get(page).text.split('id="approvable"')[1].split("</section>")[0])
    assert "For the account record's list : One more of: Front of the credit card" in box
