"""The customer's ticket page says what happens now, and offers "Withdraw" only where the
status machine allows it (api.md "Statuses": a decided, withdrawn or disputed ticket
accepts no customer action; recovery.md: a disputed change is on hold for a lead)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token
from tests.tickets.conftest import CHANGE_FORM, create_on_web, put_in_status
from triage.tickets import status as st

WITHDRAW_BUTTON = "Withdraw the ticket"
NOTHING_TO_DO = "You do not need to do anything now."
ON_HOLD = "did not ask for this change. A senior member of our team will check the ticket again"


@pytest.mark.parametrize("status", st.WITH_REVIEWERS)
def test_a_ticket_with_the_reviewers_asks_nothing_of_the_customer(client, app, status):
    reference, _ = create_on_web(client, "account_change", CHANGE_FORM)
    put_in_status(app, reference, status)
    page = client.get(f"/tickets/{reference}").text
    assert NOTHING_TO_DO in page
    assert "This ticket is closed." not in page
    assert WITHDRAW_BUTTON in page


def test_a_disputed_ticket_is_on_hold_and_offers_no_withdrawal(client, app):
    reference, _ = create_on_web(client, "account_change", CHANGE_FORM)
    put_in_status(app, reference, st.DISPUTED)
    page = client.get(f"/tickets/{reference}").text
    assert ON_HOLD in page
    assert "This ticket is closed." not in page
    assert WITHDRAW_BUTTON not in page
    assert "Withdraw this ticket and file a new one" not in page


@pytest.mark.parametrize("status", [st.APPROVED, st.REJECTED, st.WITHDRAWN, st.DISPUTED])
def test_withdrawal_is_offered_exactly_where_it_is_allowed(client, app, status):
    reference, _ = create_on_web(client, "account_change", CHANGE_FORM)
    put_in_status(app, reference, status)
    page = client.get(f"/tickets/{reference}").text
    assert (WITHDRAW_BUTTON in page) == (status in st.WITHDRAWABLE)


def test_withdrawing_a_disputed_ticket_is_refused_in_one_plain_sentence(client, app):
    reference, _ = create_on_web(client, "account_change", CHANGE_FORM)
    token = csrf_token(client.get(f"/tickets/{reference}").text)
    put_in_status(app, reference, st.DISPUTED)  # disputed while the page was open
    page = client.post(
        f"/tickets/{reference}/withdraw", data={"csrf_token": token}, follow_redirects=True
    ).text
    sentence = re.search(r"You cannot withdraw[^<]*", page).group(0)
    assert "on hold for a check with the account" in sentence
    assert sentence.count("while") == 1, sentence
