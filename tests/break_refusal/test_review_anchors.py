"""Every `href="#..."` of the reviewer's ticket page lands, for ticket shapes whose
account record asks for more or other things than the declared list, in every status,
and in the page as the workbench script leaves it after an in-page action (the static
page with the JSON `regions` swapped in). No element id twice."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED, UNFREEZE_WITH_CARD
from tests.recovery.conftest import OWNER, record_of, set_columns
from tests.review.helpers import JSON, NO_RULE, decide_in_page, evidence_ids, page_token, signed_in

DIRECT = {"customer_type": "direct", "real_name_auth": "completed", "account_type": "individual"}
TYPED_ONLY = {**DIRECT, "real_name_auth": "not_completed", "card_added": False}
ENTERPRISE_CARD = {**DIRECT, "account_type": "enterprise", "card_added": True}
BANK = {
    **DIRECT,
    "real_name_auth": "not_completed",
    "account_type": "enterprise",
    "card_added": False,
    "payments_made": True,
    "enterprise_in_china": True,
}
RESELLER = {"customer_type": "reseller", "real_name_auth": "not_completed"}
REGION = re.compile(r"<!--region:([a-z0-9-]+)-->(.*?)<!--/region:\1-->", re.DOTALL)

# (declared ticket, the record's facts): the record's list names other typed items, other
# documents, the other account type's name item, bank items, no rule at all...
SHAPES = {
    "typed_items_only_the_record_asks": (CHANGE_DIRECT_AUTHENTICATED, TYPED_ONLY),
    "enterprise_with_card": (CHANGE_DIRECT_AUTHENTICATED, ENTERPRISE_CARD),
    "reseller_other_account_type": (
        {**CHANGE_DIRECT_AUTHENTICATED, **RESELLER},
        {**RESELLER, "account_type": "enterprise", "card_added": False},
    ),
    "partner_declared_bank_record": (
        {**CHANGE_DIRECT_AUTHENTICATED, "customer_type": "partner"},
        BANK,
    ),
    "no_rule_declared": (NO_RULE, DIRECT | {"card_added": True}),
    "no_rule_on_record": (CHANGE_DIRECT_AUTHENTICATED, NO_RULE | {"card_added": False}),
    "unfreeze_card_on_record": ({**UNFREEZE_WITH_CARD, "card_added": False}, {"card_added": True}),
}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"])
        href = found.get("href") or ""
        if href.startswith("#") and len(href) > 1:
            self.targets.append(href[1:])


def parsed(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def problems(html: str) -> dict[str, list[str]]:
    """In-page links no id answers, and ids used twice (but WTForms' hidden
    `id="csrf_token"`, one per form everywhere in the product: no link targets it)."""
    page = parsed(html)
    ids = set(page.ids)
    return {
        "dangling": sorted({t for t in page.targets if t not in ids}),
        "duplicate_ids": sorted(
            i for i, n in Counter(page.ids).items() if n > 1 and i != "csrf_token"
        ),
    }


def swapped(page_html: str, regions: dict[str, str]) -> str:
    """The page as static/js/workbench.js leaves it: each region it has, replaced."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        body = regions.get(name, match.group(2))
        return f"<!--region:{name}-->{body}<!--/region:{name}-->"

    return REGION.sub(replace, page_html)


def record_arrives(app, reference: str, facts: dict[str, Any], email: str | None = OWNER) -> str:
    """The account directory answers for a ticket whose record was pending, as the
    recheck job stores it (triage.accounts.operations.recheck_one); the record status."""
    from triage.accounts.directory import Lookup
    from triage.accounts.operations import recheck_one
    from triage.accounts.records import clean_record
    from triage.extensions import db
    from triage.tickets.models import Ticket

    set_columns(app, reference, record=None, record_status="pending")
    raw = {**record_of(email), "card_last4": None, **facts}
    if raw.get("card_added"):
        raw["card_last4"] = "4242"
    if raw.get("account_type") != "enterprise":
        raw["enterprise_in_china"] = None
    with app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.reference == reference))
        status = recheck_one(ticket_id, Lookup("found", clean_record(raw, strict=False)))
        db.session.commit()
    return status


@pytest.fixture
def desk(app, lead):
    return signed_in(app, lead)


def _filed(make_ticket, base: dict[str, Any], name: str):
    ticket = make_ticket(base, known=False, account_name=name)
    assert ticket.submit("I have what I have.").status_code == 200
    return ticket


@pytest.mark.parametrize("shape", SHAPES)
def test_every_anchor_lands_for_a_record_that_asks_otherwise(
    app, desk, lead, make_ticket, smtp, shape
):
    """A reviewer following a link of the record panel, 'Not approvable yet' or the trees
    to `#item-<key>` lands on nothing: the page scrolls nowhere."""
    base, record = SHAPES[shape]
    name = f"shape-{shape.replace('_', '-')}"
    ticket = _filed(make_ticket, base, name)
    assert record_arrives(app, ticket.reference, record) in ("mismatch", "matched")
    page = f"/review/tickets/{ticket.reference}"
    unclaimed = desk.get(page)
    assert unclaimed.status_code == 200
    assert problems(unclaimed.text) == {"dangling": [], "duplicate_ids": []}
    assert lead.claim().json["reference"] == ticket.reference
    held = desk.get(page)
    assert problems(held.text) == {"dangling": [], "duplicate_ids": []}, shape


def test_the_statuses_after_the_record_forms_request(app, desk, lead, make_ticket, smtp):
    """Held, asked for more through the record panel, disputed, refused: each page's
    anchors land."""
    ticket = _filed(make_ticket, CHANGE_DIRECT_AUTHENTICATED, "statuses")
    record_arrives(app, ticket.reference, ENTERPRISE_CARD)
    assert lead.claim().json["reference"] == ticket.reference
    page = f"/review/tickets/{ticket.reference}"
    asked = desk.post(
        f"{page}/request-materials",
        data={
            "form": "record-request",
            "materials": ["card_front", "authorization_letter"],
            "message": "Please send these.",
            "csrf_token": page_token(desk, page),
        },
    )
    assert asked.status_code == 302, asked.status_code
    for status in ("needs_more_info", "disputed", "awaiting_second_approval", "rejected"):
        if status != "needs_more_info":
            set_columns(app, ticket.reference, status=status)
        html = desk.get(page).text
        assert problems(html) == {"dangling": [], "duplicate_ids": []}, status


def test_the_page_after_an_in_page_action_when_the_record_came_after_it_was_opened(
    app, desk, lead, submitted, smtp
):
    """The directory had not answered when the reviewer opened the page (record
    pending); it answers (the recheck job, every minute) with a record that lists more;
    the reviewer accepts a file in the page. The script swaps in the 'record' and
    'requirements' regions, whose trees and 'still to be covered' link to `#item-card_front`
    and friends, but the page's static Evidence section has no card for them (record-only
    cards are drawn outside every region): the links go nowhere until a reload. Fix:
    put the record-only cards (and typed rows) in a region, or render the targets whatever
    the record's state."""
    files = ["real_name_certificate", "transaction_records"]
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED, files=files, known=False)
    set_columns(app, ticket.reference, record=None, record_status="pending")
    assert lead.claim().json["reference"] == ticket.reference
    page = f"/review/tickets/{ticket.reference}"
    opened = desk.get(page).text
    assert problems(opened) == {"dangling": [], "duplicate_ids": []}
    assert record_arrives(app, ticket.reference, ENTERPRISE_CARD) == "mismatch"
    regions = decide_in_page(desk, page, evidence_ids(ticket)["real_name_certificate"], "accepted")
    assert "card_front" in regions["record"]
    live = swapped(opened, regions)
    assert problems(live)["dangling"] == []


def test_regions_of_every_in_page_action_keep_anchors(app, desk, lead, submitted, smtp, runner):
    """File decisions (accept, reject), a refused request and a refused approval sent as
    the script sends them: the page with their regions swapped in keeps every anchor."""
    ticket = submitted(
        CHANGE_DIRECT_AUTHENTICATED,
        "The records are coming.",
        files=["real_name_certificate", "card_front"],
        known=False,
    )
    record_arrives(app, ticket.reference, ENTERPRISE_CARD)
    assert lead.claim().json["reference"] == ticket.reference
    page = f"/review/tickets/{ticket.reference}"
    html = desk.get(page).text
    ids = evidence_ids(ticket)
    live = swapped(html, decide_in_page(desk, page, ids["card_front"], "rejected", "blurry"))
    assert problems(live) == {"dangling": [], "duplicate_ids": []}
    live = swapped(live, decide_in_page(desk, page, ids["real_name_certificate"], "accepted"))
    assert problems(live) == {"dangling": [], "duplicate_ids": []}
    refused = desk.post(
        f"{page}/decision",
        data={"decision": "approved", "note": "", "csrf_token": page_token(desk, page)},
    )
    assert refused.status_code == 409
    assert problems(refused.text) == {"dangling": [], "duplicate_ids": []}
    scripted = desk.post(
        f"{page}/decision",
        data={"decision": "approved", "note": "", "csrf_token": page_token(desk, page)},
        headers=JSON,
    )
    assert scripted.status_code == 409 and "error" in scripted.json
