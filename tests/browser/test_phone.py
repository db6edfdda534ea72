"""The customer's pages on a 360 px phone: the choice of two documents of three, removing
a file sent by mistake, copy buttons for the code and the link, and the language switch.

Screenshots for the README go to docs/screenshots/.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.support import BROWSER, answer, card_png, open_item, pdf_file

pytestmark = BROWSER

SMALL_PHONE = {"width": 360, "height": 780}
DOCS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"


def shot(page, name: str, full_page: bool = False) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(DOCS / f"{name}.png"), full_page=full_page, animations="disabled", caret="hide"
    )


def fits(page) -> None:
    """Nothing wider than the phone: no sideways scrolling, nothing cut off."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SMALL_PHONE["width"], f"the page is {width} px wide"


def small_phone(new_page):
    page = new_page(phone=True, viewport=SMALL_PHONE)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    return page


def test_a_phone_files_chooses_removes_and_switches_language(new_page):
    phone = small_phone(new_page)
    phone.goto("/")
    fits(phone)
    phone.get_by_role("link", name="My account is restricted or frozen").click()
    answer(phone, "individual or an enterprise", "Individual")
    answer(phone, "credit card added", "Yes")
    expect(phone.locator("#checklist-preview")).to_contain_text("Choose 2 of these 3")
    phone.get_by_label("Account name").fill("acme-cloud")
    phone.get_by_label("An email address you can read now").fill("owner@example.com")
    phone.get_by_role("button", name="Create my ticket").click()

    # --- the code and the link: whole, with copy buttons ----------------------------------
    expect(phone.get_by_role("heading", name="Your ticket is created")).to_be_visible()
    reference = phone.locator("#reference").inner_text().strip()
    link = phone.locator("#private-link")
    expect(link).to_contain_text(f"#{reference}:")
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= SMALL_PHONE["width"]
    fits(phone)
    for name in ("Copy reference", "Copy code", "Copy link"):
        expect(phone.get_by_role("button", name=name)).to_be_visible()
    phone.get_by_role("button", name="Copy link").click()
    expect(phone.locator(".copy-status").last).to_have_text("Copied")
    copied = phone.evaluate("navigator.clipboard.readText()")
    assert copied == link.inner_text().strip()
    shot(phone, "phone-360-created", full_page=True)

    # --- the ticket: one choice, its options folded until chosen ------------------------------
    phone.get_by_role("link", name="Continue: add your documents").click()
    todo = phone.locator("#next > .todo")
    expect(todo).to_contain_text("Choose 2 of these 3")
    expect(phone.locator("#next > .todo > li")).to_have_count(1)  # each item listed once
    expect(phone.locator("#file-passport")).to_be_hidden()  # a choice, not six open boxes
    expect(phone.get_by_text("drag files here")).to_have_count(0)
    fits(phone)
    shot(phone, "phone-360-ticket", full_page=True)

    open_item(phone, "passport")
    item = phone.locator("#item-passport")
    item.locator("input[type=file]").set_input_files([pdf_file("wrong-file.pdf")])
    item.get_by_role("button", name="Upload").click()
    expect(item.locator(".files")).to_contain_text("wrong-file.pdf")

    # --- remove the file sent by mistake -------------------------------------------------------
    item.get_by_role("button", name="Remove wrong-file.pdf").click()
    expect(phone.locator("main > p.notice")).to_contain_text("“wrong-file.pdf” was removed.")
    expect(phone.locator("#item-passport .files")).to_have_count(0)

    open_item(phone, "passport")
    item = phone.locator("#item-passport")
    item.locator("input[type=file]").set_input_files([pdf_file("passport.pdf")])
    item.get_by_role("button", name="Upload").click()
    expect(item.locator(".files")).to_contain_text("passport.pdf")
    expect(todo).to_contain_text("Choose 1 more of these 2")

    open_item(phone, "card_front")
    item = phone.locator("#item-card_front")
    item.locator("input[type=file]").set_input_files([card_png("card-front.png")])
    item.get_by_role("button", name="Upload").click()
    expect(item.locator(".files")).to_contain_text("card-front.png")

    # The rule is met: the option not taken is folded away, and nothing is still needed.
    expect(phone.locator("#next")).to_contain_text("Everything needed is here.")
    folded = phone.locator("#folded-card_transactions > summary")
    expect(folded).to_have_text("1 other option (not needed now)")
    expect(phone.locator("#item-card_transactions")).to_be_hidden()
    expect(phone.locator(".choice-group .group-state").first).to_contain_text("Done")
    fits(phone)
    phone.locator("#documents").scroll_into_view_if_needed()
    shot(phone, "phone-360-choice-met", full_page=True)

    # --- the language switch --------------------------------------------------------------------
    phone.get_by_role("link", name="简体中文").click()
    expect(phone.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(phone.locator("h1")).to_contain_text(f"工单 {reference}")
    expect(phone.locator("#ticket-status")).to_contain_text("尚未提交")
    expect(phone.locator("#next")).to_contain_text("所需材料都已齐全")
    fits(phone)
    shot(phone, "phone-360-ticket-zh", full_page=True)
    phone.get_by_role("link", name="Español").click()
    expect(phone.locator("html")).to_have_attribute("lang", "es")
    expect(phone.locator("#ticket-status")).to_contain_text("Aún no nos la ha enviado")
    phone.reload()  # the cookie keeps the choice
    expect(phone.locator("h1")).to_contain_text(f"Solicitud {reference}")
    fits(phone)
    shot(phone, "phone-360-ticket-es")
    phone.get_by_role("button", name="Enviar la solicitud").click()
    expect(phone.locator("#ticket-status")).to_contain_text("Estamos revisando sus documentos")
    assert not phone.errors, phone.errors
