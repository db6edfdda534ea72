"""Every in-page link of the review page lands somewhere.

"Not approvable yet", the record panel's list, both requirement trees and a refused
approval's list link each material to `#item-<key>`: its card under "Evidence", or its
row under "Information the customer typed". A material only the account record's list
asks for, and a typed item the customer left out, are named there too, so each has a
place on the page (a card with no file, a row saying it was not given).
"""

from __future__ import annotations

from html.parser import HTMLParser

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.review.helpers import (
    RECORD_WITH_CARD,
    decide_in_page,
    evidence_ids,
    import_record,
    page_token,
)

# Rule direct_no_payments: typed information only (email, user name, contact address;
# the original mobile optional).
CHANGE_TYPED_ONLY = {
    **CHANGE_DIRECT_AUTHENTICATED,
    "real_name_auth": "not_completed",
    "payments_made": False,
}


class _Anchors(HTMLParser):
    """The page's element ids, and the fragments its links point at."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"])
        href = found.get("href") or ""
        if href.startswith("#"):
            self.targets.append(href[1:])


def dangling(html: str) -> list[str]:
    """The in-page links of `html` that no element's id answers."""
    parser = _Anchors()
    parser.feed(html)
    parser.close()
    return [target for target in parser.targets if target not in parser.ids]


def item_links(html: str) -> set[str]:
    """The materials the page links to."""
    parser = _Anchors()
    parser.feed(html)
    return {t.removeprefix("item-") for t in parser.targets if t.startswith("item-")}


def _claimed_page(desk, reviewer, ticket) -> tuple[str, str]:
    """The ticket claimed by `reviewer`: its page's path and HTML."""
    assert reviewer.claim().status_code == 200
    page = f"/review/tickets/{ticket.reference}"
    response = desk.get(page)
    assert response.status_code == 200
    return page, response.text


def test_an_unfreeze_ticket(desk, reviewer, submitted):
    """Any two of three, nothing accepted: every option of the tree and of the list."""
    ticket = submitted(files=["passport", "card_transactions"])
    _, html = _claimed_page(desk, reviewer, ticket)
    assert {"passport", "driver_license", "card_front"} <= item_links(html)
    assert dangling(html) == []


def test_an_account_change_ticket_with_a_rejected_file(desk, reviewer, submitted):
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED)
    page, html = _claimed_page(desk, reviewer, ticket)
    assert dangling(html) == []
    rejected = evidence_ids(ticket)["transaction_records"]
    regions = decide_in_page(desk, page, rejected, "rejected", "blurry")
    assert "transaction_records" in item_links(regions["requirements"])
    assert dangling(desk.get(page).text) == []


def test_typed_information_not_given_has_a_row(desk, reviewer, make_ticket):
    """The customer typed the email only: the user name and the address are linked
    from the list, and shown as not given."""
    ticket = make_ticket(CHANGE_TYPED_ONLY)
    assert ticket.put_information({"email": "owner@example.com"}).status_code == 200
    assert ticket.submit("I have no address to hand.").status_code == 200
    _, html = _claimed_page(desk, reviewer, ticket)
    assert {"user_name", "contact_address"} <= item_links(html)
    assert dangling(html) == []
    row = html[html.index('id="item-contact_address"') :]
    assert "Not given" in row[: row.index("</dd>")]


def test_a_material_only_the_records_list_asks_and_never_sent(
    desk, reviewer, submitted, runner, tmp_path
):
    """Declared without a card; the record says a card is bound: the record's list
    names the card front and the card transactions, which the customer never sent."""
    import_record(runner, tmp_path, account_type="individual", card_added=True)
    ticket = submitted(card_added=False, files=["passport"], known=False)
    page, html = _claimed_page(desk, reviewer, ticket)
    assert {"card_front", "card_transactions"} <= item_links(html)
    assert dangling(html) == []
    card = html[html.index('id="item-card_front"') :]
    assert "No file" in card[: card.index("</div>")]
    # After an in-page decision the page (and the regions sent back) still hold.
    regions = decide_in_page(desk, page, evidence_ids(ticket)["passport"], "accepted")
    html = desk.get(page).text
    assert dangling(html) == []
    assert "card_front" in item_links(regions["record"])


def test_a_refused_approval_lists_what_only_the_record_asks(
    desk, reviewer, submitted, runner, tmp_path
):
    """The page's own (scriptless) approval, refused: its list of what is not covered
    links every material it can."""
    import_record(runner, tmp_path, **RECORD_WITH_CARD)
    files = ["real_name_certificate", "transaction_records"]
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED, files=files, known=False)
    page, _ = _claimed_page(desk, reviewer, ticket)
    for evidence_id in evidence_ids(ticket).values():
        decide_in_page(desk, page, evidence_id, "accepted")
    response = desk.post(
        f"{page}/decision",
        data={"decision": "approved", "note": "", "csrf_token": page_token(desk, page)},
    )
    assert response.status_code == 409
    summary = response.text[response.text.index('id="action-error"') :]
    summary = summary[: summary.index("</div>")]
    assert {"card_front", "card_holder_certificate"} <= item_links(summary)
    assert dangling(response.text) == []
