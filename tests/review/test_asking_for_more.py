"""Asking the customer for more (materials.md ruling 9) without turning a choice into an
obligation, and what approval still needs, read group by group (ruling 8).

Every item of a request becomes required of the customer: their page asks for it and
"Send again" refuses to go without it (or an explanation). So "Ask the customer for more"
ticks a rejected item for the reviewer only when the ticket cannot be approved without
it; where the rule leaves a choice, the reviewer makes it, and only what they tick is
sent.
"""

from __future__ import annotations

import pytest

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.review.helpers import (
    JSON,
    evidence_ids,
    page_text,
    page_token,
    ticked,
    unique_png,
)

CARD_OR_STATEMENT = (
    "We could not read your card statement. Please send a photo of the card front, "
    "or a 6-month statement."
)


def _approvable(html: str) -> str:
    start = html.index(">", html.index('id="approvable"')) + 1
    return html[start : html.index("</section>", start)]


@pytest.fixture
def card_bound(reviewer, submitted):
    """An unfreeze ticket with a card bound (any two of identity document, card front,
    card transactions): the passport accepted, the card transactions rejected."""
    ticket = submitted(files=["passport", "card_transactions"])
    assert reviewer.claim().status_code == 200
    ids = evidence_ids(ticket)
    assert reviewer.review(ids["passport"], "accepted").status_code == 200
    response = reviewer.review(ids["card_transactions"], "rejected", "blurry")
    assert response.status_code == 200
    return ticket


def test_a_rejected_item_the_rule_can_do_without_is_not_ticked(desk, card_bound):
    """Ruling 8: the card front would do as well as new card transactions."""
    html = desk.get(f"/review/tickets/{card_bound.reference}").text
    assert ticked(html, "request-form") == []
    assert "Each item you tick becomes required" in page_text(html)


def test_only_what_the_reviewer_ticks_is_asked_and_the_customer_can_send_again(
    desk, card_bound, app
):
    page = f"/review/tickets/{card_bound.reference}"
    response = desk.post(
        f"{page}/request-materials",
        data={
            "materials": ["card_front"],
            "message": CARD_OR_STATEMENT,
            "csrf_token": page_token(desk, page),
        },
        headers=JSON,
    )
    assert response.status_code == 200, response.json
    body = card_bound.get()
    assert body["status"] == "needs_more_info"
    assert body["requests"][-1]["materials"] == ["card_front"]
    statuses = {item["key"]: item["status"] for item in body["checklist"]}
    assert statuses["card_front"] == "requested"
    assert statuses["card_transactions"] == "rejected"  # not asked for: an option
    # The customer sends the card front, and "Send again" goes through without an
    # explanation: passport and card front are two of the three.
    assert card_bound.upload("card_front", unique_png(), "card.png").status_code == 201
    response = card_bound.submit()
    assert response.status_code == 200, response.json
    assert response.json["status"] == "awaiting_review"
    assert "incomplete" not in response.json["flags"]


def test_a_rejected_item_nothing_can_replace_is_ticked(desk, reviewer, submitted):
    """direct_authenticated asks all of its items: a rejected one must come again."""
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED)
    assert reviewer.claim().status_code == 200
    ids = evidence_ids(ticket)
    assert reviewer.review(ids["real_name_certificate"], "accepted").status_code == 200
    response = reviewer.review(ids["transaction_records"], "rejected", "incomplete_period")
    assert response.status_code == 200
    html = desk.get(f"/review/tickets/{ticket.reference}").text
    assert ticked(html, "request-form") == ["transaction_records"]


def test_what_the_reviewer_unticks_is_never_sent(desk, reviewer, submitted):
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED)
    assert reviewer.claim().status_code == 200
    ids = evidence_ids(ticket)
    assert reviewer.review(ids["transaction_records"], "rejected", "blurry").status_code == 200
    page = f"/review/tickets/{ticket.reference}"
    assert ticked(desk.get(page).text, "request-form") == ["transaction_records"]
    # The reviewer unticks it and asks for something else instead: the form sends only
    # the boxes ticked, and the request holds exactly them.
    response = desk.post(
        f"{page}/request-materials",
        data={
            "materials": ["real_name_certificate"],
            "message": "Please send a sharper certificate.",
            "csrf_token": page_token(desk, page),
        },
    )
    assert response.status_code == 302
    assert ticket.get()["requests"][-1]["materials"] == ["real_name_certificate"]


def test_not_approvable_yet_lists_a_choice_as_one_line(desk, reviewer, submitted):
    """Nothing accepted on a card-bound unfreeze: two of three groups, the identity
    document one of three ways, as the customer's checklist says it; a file waiting for
    its verdict is marked "provided"."""
    ticket = submitted(files=["passport", "card_transactions"])
    assert reviewer.claim().status_code == 200
    box = _approvable(desk.get(f"/review/tickets/{ticket.reference}").text)
    words = page_text(box)
    assert words.startswith("Not approvable yet. Still to be covered by accepted evidence:")
    assert (
        "2 of these 3: One of: Passport provided Resident identity card, front + Resident "
        "identity card, back Driver license Front of the credit card Transaction details of "
        "the bound credit card for the last 6 months provided" in words
    )
    assert box.count('class="still-choice"') == 2


def test_not_approvable_yet_names_only_the_open_choice(desk, card_bound):
    """The passport is accepted: one more of card front or card transactions, and none
    of the other identity documents."""
    box = _approvable(desk.get(f"/review/tickets/{card_bound.reference}").text)
    words = page_text(box)
    assert "One more of: Front of the credit card" in words
    assert "Transaction details of the bound credit card" in words
    for needless in ("Passport", "Resident identity card", "Driver license"):
        assert needless not in words


def test_not_approvable_yet_in_an_all_of_rule_lists_each_item(desk, reviewer, submitted):
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED)
    assert reviewer.claim().status_code == 200
    ids = evidence_ids(ticket)
    assert reviewer.review(ids["real_name_certificate"], "accepted").status_code == 200
    words = page_text(_approvable(desk.get(f"/review/tickets/{ticket.reference}").text))
    assert "The last 3 transaction records" in words
    assert "of these" not in words and "One of" not in words
    assert "Real-name authentication certificate" not in words  # accepted
