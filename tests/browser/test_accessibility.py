"""Accessibility: the customer form with the keyboard alone, errors tied to their fields with
the focus on the first one, and axe-core on the main pages."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import (
    BROWSER,
    answer,
    axe_violations,
    card_png,
    file,
    open_item,
    open_ticket,
    pdf_file,
    shot,
)

pytestmark = BROWSER

_FOCUS_SHOWN = """() => {
  const style = getComputedStyle(document.activeElement);
  return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
}"""


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focus is on `selector`, which must show that it has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            assert page.evaluate(_FOCUS_SHOWN), f"no visible focus on {selector}"
            return
    raise AssertionError(f"Tab never reached {selector}")


def open_with_keyboard(page, key: str) -> None:
    """Open the choices around an item's box with Tab and Enter, outermost first."""
    summaries = page.locator(f"details:has(#item-{key}) > summary")
    for index in range(summaries.count()):
        summary = summaries.nth(index)
        if summary.evaluate("s => s.parentElement.open"):
            continue
        summary.evaluate("s => s.setAttribute('data-next', '')")
        tab_to(page, "summary[data-next]")
        summary.evaluate("s => s.removeAttribute('data-next')")
        page.keyboard.press("Enter")
        expect(summary.locator("xpath=..")).to_have_attribute("open", "")


def choose_file_with_keyboard(page, selector: str, upload) -> None:
    tab_to(page, selector)
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(upload)


def test_a_customer_files_and_submits_with_the_keyboard_alone(new_page):
    page = new_page()
    # Playwright starts catching file choosers when the first listener is added; doing it
    # now, not just before the key press, leaves no window for a real dialog to open.
    page.on("filechooser", lambda chooser: None)
    page.goto("/")
    tab_to(page, "a[href='/new/unfreeze']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/new/unfreeze")

    tab_to(page, "input[name=account_type]")  # the first choice of the group
    page.keyboard.press("Space")
    expect(page.locator("input[name=account_type][value=individual]")).to_be_checked()
    tab_to(page, "input[name=card_added]")
    page.keyboard.press("Space")
    expect(page.locator("input[name=card_added][value=true]")).to_be_checked()
    expect(page.locator("#checklist-preview")).to_contain_text("Choose 2 of these 3")
    tab_to(page, "#account_name")
    page.keyboard.type("acme-cloud")
    tab_to(page, "#contact_email")
    page.keyboard.type("owner@example.com")
    tab_to(page, "#restriction_reason")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#restriction_reason")).not_to_have_value("")
    tab_to(page, "#description")
    page.keyboard.type("The console says the account is frozen.")
    tab_to(page, ".facts-form > button.primary")  # Create my ticket
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Your ticket is created")).to_be_visible()
    reference = page.locator("#reference").inner_text().strip()
    tab_to(page, "main a.button.primary")  # Continue: add your documents
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(f"Ticket {reference}")

    for key, upload, name in (
        ("passport", pdf_file("passport.pdf"), "passport.pdf"),
        ("card_front", card_png("card-front.png"), "card-front.png"),
    ):
        open_with_keyboard(page, key)
        choose_file_with_keyboard(page, f"#file-{key}", upload)
        tab_to(page, f"#item-{key} form.upload-form button[type=submit]")
        page.keyboard.press("Enter")
        expect(page.locator(f"#item-{key} .files")).to_contain_text(name)
        # The focus stays where the customer was.
        expect(page.locator(f"#item-{key} form.upload-form button[type=submit]")).to_be_focused()
    expect(page.locator("#next")).to_contain_text("Everything needed is here.")
    tab_to(page, "#submit-button")
    shot(page, "customer-keyboard-focus-desktop")
    page.keyboard.press("Enter")
    expect(page.locator("#ticket-status")).to_contain_text("We are checking your documents")
    assert page.errors == []


_TIED = """() => [...document.querySelectorAll("[aria-invalid=true]")].map(field => {
  const ids = [field, field.closest("fieldset")].filter(Boolean)
    .flatMap(el => (el.getAttribute("aria-describedby") || "").split(/\\s+/)).filter(Boolean);
  const errors = ids.map(id => document.getElementById(id))
    .filter(el => el && el.classList.contains("field-error") && el.textContent.trim());
  return {field: field.id || field.name, tied: errors.length > 0};
})"""


def test_errors_are_tied_to_their_fields_and_the_first_one_takes_the_focus(new_page):
    page = new_page(phone=True)
    page.goto("/new/unfreeze")
    page.get_by_label("An email address you can read now").fill("not an address")
    page.get_by_role("button", name="Create my ticket").click()
    expect(page.locator("#error-summary")).to_be_visible()
    fields = page.evaluate(_TIED)
    assert {f["field"] for f in fields} >= {
        "account_type-0",
        "card_added-0",
        "account_name",
        "contact_email",
    }
    assert all(f["tied"] for f in fields), fields
    first = page.locator("[aria-invalid=true]").first
    expect(first).to_be_focused()
    expect(page.locator("#contact_email")).to_have_attribute(
        "aria-describedby", "contact_email-hint contact_email-error"
    )
    expect(page.locator("#contact_email-error")).to_have_text(
        "Enter an email address like name@example.com."
    )
    shot(page, "customer-facts-errors-phone")
    assert page.errors == []


def test_the_main_pages_have_no_serious_axe_violations(
    new_page, axe_script, submitted, make_reviewer
):
    from tests.review.helpers import PASSWORD, evidence_ids

    rita = make_reviewer("rita@example.com")
    # The reviewer asks for a new card photo. A long address beside a long label once
    # made the phone page scroll sideways.
    asked = submitted(
        restriction_reason="unpaid_resources", contact_email="accounts.payable@example.com"
    )
    assert rita.claim().status_code == 200
    rita.review(evidence_ids(asked)["card_front"], "rejected", "glare")
    rita.request_materials(asked.reference, ["card_front"], "Please take it away from the lamp.")
    approved = submitted()
    assert rita.claim().json["reference"] == approved.reference
    for evidence_id in evidence_ids(approved).values():
        rita.review(evidence_id, "accepted")
    assert rita.decide(approved.reference, "approved").status_code == 200
    submitted()  # waits in the queue for the browser's "Take next"

    found, too_wide = {}, {}

    def check(page, name: str) -> None:
        violations = axe_violations(page, axe_script)
        if violations:
            found[name] = violations
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > page.viewport_size["width"]:  # content a phone would scroll sideways to read
            too_wide[name] = width

    phone = new_page(phone=True, bypass_csp=True)  # axe is an injected script
    phone.goto("/")
    check(phone, "start")
    phone.goto("/new/unfreeze")
    answer(phone, "individual or an enterprise", "Individual")
    answer(phone, "credit card added", "Yes")
    expect(phone.locator("#checklist-preview")).to_contain_text("Choose 2 of these 3")
    check(phone, "facts form with the live checklist")
    phone.get_by_role("button", name="Create my ticket").click()
    expect(phone.locator("#error-summary")).to_be_visible()
    check(phone, "facts form with errors")
    phone.get_by_label("Account name").fill("acme-cloud")
    phone.get_by_label("An email address you can read now").fill("owner@example.com")
    phone.get_by_role("button", name="Create my ticket").click()
    expect(phone.get_by_role("heading", name="Your ticket is created")).to_be_visible()
    check(phone, "ticket created")
    phone.get_by_role("link", name="Continue: add your documents").click()
    open_item(phone, "card_front")
    card = phone.locator("#item-card_front")
    card.locator("input[type=file]").set_input_files(
        [card_png(), file("notes.txt", b"hello", "text/plain")]
    )
    expect(card.locator("#file-card_front-error")).to_contain_text("“notes.txt”")
    check(phone, "ticket page with chosen files and a refusal")
    for ticket, state in ((asked, "asked for more"), (approved, "approved")):
        open_ticket(phone, ticket.reference, ticket.token)
        expect(phone.locator("#ticket-status")).to_contain_text(
            "We need something more from you" if state == "asked for more" else "Approved"
        )
        check(phone, f"ticket page, {state}")
    phone.goto("/resume")
    phone.get_by_label("Ticket reference").fill(asked.reference)
    phone.get_by_label("Access code").fill("WRONG-CODE")
    phone.get_by_role("button", name="Open my ticket").click()
    expect(phone.locator("#code-error")).to_be_visible()
    check(phone, "come back, wrong code")

    desk = new_page(bypass_csp=True)
    desk.goto("/review/sign-in")
    desk.get_by_label("Email address").fill(rita.email)
    desk.get_by_label("Password").fill("not the password")
    desk.get_by_role("button", name="Sign in").click()
    expect(desk.locator("#password-error")).to_be_visible()
    check(desk, "sign-in with an error")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    expect(desk.get_by_role("heading", name="Review queue")).to_be_visible()
    check(desk, "review queue")
    shot(desk, "reviewer-queue-desktop")
    desk.get_by_role("button", name="Take next").click()
    expect(desk.locator("#evidence .preview img").first).to_be_visible()
    check(desk, "review page")

    assert too_wide == {}
    assert found == {}, "\n".join(
        f"{page}: [{v['impact']}] {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
        for page, violations in found.items()
        for v in violations
    )


def test_the_axe_check_does_see_violations(new_page, axe_script):
    """The check above passes because the pages are right, not because axe saw nothing."""
    page = new_page(bypass_csp=True)
    page.goto("/")
    page.evaluate("""() => {
      const main = document.querySelector("main");
      main.insertAdjacentHTML("beforeend", '<p class="planted">Pale words</p><input type="text">');
      main.querySelector(".planted").style.color = "#bbbbbb";
    }""")
    found = {v["id"] for v in axe_violations(page, axe_script)}
    assert {"color-contrast", "label"} <= found
