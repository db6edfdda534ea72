"""The customer's page by status (api.md "Statuses"; recovery.md: a disputed change is on
hold for a lead): no Withdraw button on a disputed ticket, and the page's Withdraw racing
the owner's "this was not me" has exactly one winner, never a 5xx. Run it on PostgreSQL
too (TEST_DATABASE_URL, README "Tests")."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import csrf_token
from tests.recovery_abuse.helpers import make_link, not_me_form, row
from tests.review.second_helpers import events
from tests.tickets.conftest import CHANGE_FORM, create_on_web, put_in_status
from triage.tickets import status as st

ROUNDS = 6
WITHDRAW_BUTTON = "Withdraw the ticket"


@pytest.mark.parametrize("status", [st.AWAITING_REVIEW, st.AWAITING_SECOND_APPROVAL])
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_the_pages_withdraw_and_not_me_at_once_have_one_winner(client, app, status, round_number):
    reference, _ = create_on_web(client, "account_change", CHANGE_FORM)
    put_in_status(app, reference, status)
    token = f"wd-{round_number}-{reference}"
    make_link(app, reference, token)
    owner = app.test_client()
    owner_form = not_me_form(owner, token)
    customer_form = csrf_token(client.get(f"/tickets/{reference}").text)
    results: dict[str, object] = {}
    start = threading.Barrier(2)

    def run(name, fire):
        start.wait(timeout=30)
        results[name] = fire()

    threads = [
        threading.Thread(
            target=run,
            args=("owner", lambda: owner.post(f"/not-me/{token}", data={"csrf_token": owner_form})),
        ),
        threading.Thread(
            target=run,
            args=(
                "customer",
                lambda: client.post(
                    f"/tickets/{reference}/withdraw", data={"csrf_token": customer_form}
                ),
            ),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    o, c = results["owner"].status_code, results["customer"].status_code
    assert o < 500 and c < 500, (o, c)
    final = row(app, reference)
    assert final.status in (st.DISPUTED, st.WITHDRAWN)
    actions = [e.action for e in events(app, reference)]
    assert (actions.count("withdrawn"), actions.count("disputed")) in ((1, 0), (0, 1)), actions
    assert ("disputed" in final.flags) == (final.status == st.DISPUTED)
    # The customer's redirect says which happened, in one sentence.
    page = client.get(f"/tickets/{reference}").text
    withdrawn_said = "Your ticket was withdrawn." in page
    assert withdrawn_said == (final.status == st.WITHDRAWN), (o, c, final.status)
    assert WITHDRAW_BUTTON not in page


def test_a_disputed_page_in_chinese_and_spanish_offers_no_withdrawal(client, app):
    reference, _ = create_on_web(client, "account_change", CHANGE_FORM)
    put_in_status(app, reference, st.DISPUTED)
    for lang in ("zh_Hans", "es"):
        page = client.get(f"/tickets/{reference}?lang={lang}")
        assert page.status_code == 200
        assert f'action="/tickets/{reference}/withdraw"' not in page.text
        assert "did not ask for this change" not in page.text  # the English sentence
