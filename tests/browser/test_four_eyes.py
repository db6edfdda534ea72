"""An account change through four eyes, stopped by the account's registered owner, in a
real browser (recovery.md "Second approval", "Notice to the registered owner").

The account's record says who owns it. A customer asks to move the account's mobile number
to theirs; a reviewer accepts the files and gives the first approval; she cannot give the
second. A lead gives it, and the change waits CHANGE_WAITING_HOURS. The registered owner
opens the link in the email they were sent, says "this was not me", and the ticket is on
hold; a lead decides again and rejects it; the customer sees that it was not approved.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.support import BROWSER, PASSWORD, shot, sign_in
from tests.conftest import CHANGE_DIRECT_AUTHENTICATED

pytestmark = BROWSER

REGISTERED = "registered.owner@example.org"
LINK = re.compile(r"/not-me/([A-Za-z0-9_\-]+)")


def owner_links(app) -> list[str]:
    """The "this was not me" tokens of every email sent to the registered address so far."""
    outbox = app.extensions["mailman"].outbox
    tokens = []
    for message in outbox:
        if REGISTERED in message.to:
            tokens += LINK.findall(message.body)
    return tokens


def test_an_account_change_needs_two_approvals_and_the_owner_can_stop_it(
    app, new_page, submitted, reviewer_login
):
    from triage.accounts.importing import import_records
    from triage.extensions import db
    from triage.reviewers.operations import create_reviewer

    with app.app_context():
        import_records(
            [
                (
                    1,
                    {
                        "account_name": "acme-cloud",
                        "customer_type": "direct",
                        "real_name_auth": "completed",
                        "account_type": "individual",
                        "card_added": False,
                        "payments_made": False,
                        "email": REGISTERED,
                        "mobile": "+86 138 0013 8000",
                    },
                )
            ]
        )
        create_reviewer("lee@example.com", "Lee Lead", "lead", PASSWORD)
        db.session.commit()
    # The customer files through the API (the phone journey is tests/browser/test_journey.py).
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED, known=False)
    [first_notice] = owner_links(app)  # told at submission, before anyone looked

    # --- the reviewer checks the record, accepts the files and gives the first approval ----
    desk = new_page()
    sign_in(desk, reviewer_login.email)
    desk.get_by_role("button", name="Take next").click()
    expect(desk.locator("h1")).to_have_text(f"Ticket {ticket.reference}")
    record = desk.locator("#record")
    expect(record).to_contain_text("r***@example.org")  # the owner's address, masked
    expect(record).not_to_contain_text(REGISTERED)
    expect(desk.locator("#approvals-required")).to_contain_text("two approvals")
    for article in desk.locator("article.evidence").all():
        article.get_by_label("Accept", exact=True).check()
        article.get_by_role("button", name="Save decision on this file").click()
    expect(desk.locator("#approvable")).to_contain_text("can be approved")
    expect(desk.locator("#first-of-two")).to_be_visible()
    decide = desk.locator("#decide")
    decide.get_by_label("Approve", exact=True).check()
    decide.get_by_role("button", name="Save the decision").click()
    expect(desk.locator("#ticket-status")).to_contain_text("Waiting for a second approval")
    expect(desk.locator("#second-approval-explained")).to_contain_text("a lead other than you")
    expect(desk.locator("#second-approval-form")).to_have_count(0)
    shot(desk, "four-eyes-first-approval-desktop")

    # --- a lead gives the second approval; the change waits ---------------------------------
    lead = new_page()
    sign_in(lead, "lee@example.com")
    lead.locator("#tab-second-approval").click()
    row = lead.locator(f"tr[data-reference='{ticket.reference}']")
    expect(row).to_contain_text("Rita Reviewer")
    row.get_by_role("link", name=ticket.reference).click()
    lead.locator("#second-note").fill("Record matches; documents are in order.")
    shot(lead, "four-eyes-second-approval-desktop")
    lead.locator("#second-approve").click()
    expect(lead.locator("#ticket-status")).to_contain_text("Approved")
    expect(lead.locator("#effective-at")).to_be_visible()
    expect(lead.locator("#first-approval")).to_contain_text("Rita Reviewer")
    expect(lead.locator("#second-approval")).to_contain_text("Lee Lead")
    tokens = owner_links(app)
    assert len(tokens) == 2 and tokens[0] == first_notice  # told again, with a fresh link

    # --- the registered owner says "this was not me" ---------------------------------------
    owner = new_page(phone=True)
    owner.goto(f"/not-me/{tokens[1]}")
    expect(owner.locator("h1")).to_have_text("Did you ask for this change?")
    expect(owner.locator("main")).to_contain_text("acme-cloud")
    shot(owner, "owner-not-me-phone")
    owner.get_by_role("button", name="This was not me: stop the change").click()
    expect(owner.locator("h1")).to_have_text("We stopped the change")
    shot(owner, "owner-stopped-phone")

    # --- a lead decides again ---------------------------------------------------------------
    lead.goto("/review/")
    lead.locator("#tab-disputed").click()
    row = lead.locator(f"tr[data-reference='{ticket.reference}']")
    expect(row).to_contain_text("disputed")
    row.get_by_role("link", name=ticket.reference).click()
    expect(lead.locator("#ticket-status")).to_contain_text("Disputed")
    form = lead.locator("#disputed-form")
    form.get_by_label("Reject", exact=True).check()
    lead.locator("#disputed-note").fill("The account's owner did not ask for this change.")
    shot(lead, "four-eyes-disputed-desktop")
    form.get_by_role("button", name="Save the decision").click()
    expect(lead.locator("#ticket-status")).to_contain_text("Rejected")

    # --- the customer sees it was not approved ----------------------------------------------
    customer = new_page(phone=True)
    customer.goto(f"/resume#{ticket.reference}:{ticket.token}")
    customer.wait_for_url(f"**/tickets/{ticket.reference}")
    expect(customer.locator("#ticket-status")).to_contain_text("Not approved")

    # The used link stops nothing twice.
    owner.goto(f"/not-me/{tokens[1]}")
    expect(owner.locator("#not-me-invalid")).to_be_visible()
    # Both approvers, the dispute and the new decision are in the history, in order.
    from sqlalchemy import select

    from triage.history.models import Event
    from triage.tickets.models import Ticket

    with app.app_context():
        events = db.session.execute(
            select(Event.action, Event.actor, Event.details)
            .join(Ticket, Ticket.id == Event.ticket_id)
            .where(Ticket.reference == ticket.reference)
            .order_by(Event.id)
        ).all()
    steps = [
        (action, details.get("decision"))
        for action, _, details in events
        if action in ("first_approved", "decided", "disputed")
    ]
    assert steps == [
        ("first_approved", None),
        ("decided", "approved"),
        ("disputed", None),
        ("decided", "rejected"),
    ]
    assert (desk.errors, lead.errors, owner.errors, customer.errors) == ([], [], [], [])
