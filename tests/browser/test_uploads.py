"""The upload experience: checks before sending, refusals next to the file, drag and drop,
a progress bar and a thumbnail per file, several files per item, a 375 px wide phone."""

from __future__ import annotations

import base64

from playwright.sync_api import expect

from tests.browser.support import (
    BROWSER,
    FIXTURES,
    MAX_FILE_BYTES,
    card_png,
    executable_named,
    file,
    open_item,
    open_ticket,
    pdf_file,
    shot,
)

pytestmark = BROWSER

EXPLANATION = "My passport is with the embassy until next week."


def test_refused_files_show_why_next_to_the_input_and_the_rest_is_kept(make_ticket, new_page):
    ticket = make_ticket()
    page = new_page(phone=True)
    open_ticket(page, ticket.reference, ticket.token)
    posts = []
    page.on("request", lambda r: posts.append(r) if r.url.endswith("/evidence") else None)
    page.locator("#submit textarea").fill(EXPLANATION)
    open_item(page, "passport")
    passport = page.locator("#item-passport")
    field = passport.locator("input[type=file]")
    passport.get_by_role("button", name="Upload").click()
    expect(passport.locator("#file-passport-error")).to_have_text("Choose a file to upload first.")
    expect(field).to_be_focused()

    def pdf_of_size(name: str, size: int):
        # A real statement padded after its end: the server opens every PDF with qpdf.
        data = (FIXTURES / "statement.pdf").read_bytes()
        return file(name, data + b" " * (size - len(data)), "application/pdf")

    field.set_input_files(
        [
            pdf_file("passport.pdf"),
            executable_named("passport-photo.jpg"),  # passes the browser's checks, not the server's
            pdf_of_size("big-scan.pdf", MAX_FILE_BYTES + 1),
            pdf_of_size("full-scan.pdf", MAX_FILE_BYTES),  # exactly the limit: accepted
            file("setup.exe", b"MZ", "application/octet-stream"),
        ]
    )
    # Refused in the browser, before anything is sent.
    rows = passport.locator(".upload-file")
    expect(rows).to_have_count(5)
    expect(rows.filter(has_text="full-scan.pdf")).to_contain_text("Ready to send")
    expect(rows.filter(has_text="big-scan.pdf")).to_contain_text("Not sent")
    expect(rows.filter(has_text="setup.exe")).to_contain_text("Not sent")
    error = passport.locator("#file-passport-error")
    expect(error).to_contain_text(
        "“big-scan.pdf” is 5,242,881 bytes, larger than the 5 MB (5,242,880 bytes) limit"
    )
    expect(error).to_contain_text("“setup.exe” is a .exe file, which we cannot accept")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", "file-passport-hint file-passport-error")

    passport.get_by_role("button", name="Upload").click()
    expect(passport.locator(".files")).to_contain_text("passport.pdf")
    expect(passport.locator(".files")).to_contain_text("full-scan.pdf")
    expect(passport.locator(".doc-title .chip")).to_have_text("Received")
    expect(rows.filter(has_text="passport-photo.jpg")).to_contain_text("Not accepted")
    expect(error).to_contain_text("“passport-photo.jpg”")  # the server's own words
    expect(error).to_contain_text("“big-scan.pdf” is 5,242,881 bytes")
    expect(field).to_be_focused()  # focus goes to the first error
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", "file-passport-hint file-passport-error")
    expect(passport.locator(".upload-status")).to_have_text(
        "2 files added to “Passport”. "
        "3 files were not accepted: see the message above the file box."
    )
    # The rest of the form is as the customer left it, and the checklist moved on.
    expect(page.locator("#submit textarea")).to_have_value(EXPLANATION)
    expect(page.locator("#next > .todo")).to_contain_text("Choose 1 more of these 2")
    assert len(posts) == 3  # the oversize file and the .exe never left the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll
    passport.evaluate("element => element.scrollIntoView({block: 'start'})")
    shot(page, "customer-refused-phone")
    assert page.errors == []


def test_without_javascript_the_plain_form_refuses_the_same_file(make_ticket, new_page):
    ticket = make_ticket()
    page = new_page(phone=True, java_script_enabled=False)
    page.goto("/resume")
    page.get_by_label("Ticket reference").fill(ticket.reference)
    page.get_by_label("Access code").fill(ticket.token)
    page.get_by_role("button", name="Open my ticket").click()
    open_item(page, "passport")
    passport = page.locator("#item-passport")
    passport.locator("input[type=file]").set_input_files(
        [executable_named("passport-photo.jpg"), pdf_file("passport.pdf")]
    )
    passport.get_by_role("button", name="Upload").click()
    field = page.locator("#file-passport")
    expect(page.locator("#file-passport-error")).to_contain_text("“passport-photo.jpg”")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", "file-passport-hint file-passport-error")
    expect(page.locator("#item-passport .files")).to_contain_text("passport.pdf")


def drop(page, target, *files) -> None:
    """Drag files from the desktop onto `target`, as a person with a mouse does."""
    payload = [
        {"name": f["name"], "type": f["mimeType"], "data": base64.b64encode(f["buffer"]).decode()}
        for f in files
    ]
    transfer = page.evaluate_handle(
        """files => {
          const transfer = new DataTransfer();
          for (const f of files) {
            const bytes = Uint8Array.from(atob(f.data), c => c.charCodeAt(0));
            transfer.items.add(new File([bytes], f.name, {type: f.type}));
          }
          return transfer;
        }""",
        payload,
    )
    target.dispatch_event("dragenter", {"dataTransfer": transfer})
    expect(target).to_have_class("dropzone droppable dragging")
    target.dispatch_event("drop", {"dataTransfer": transfer})
    expect(target).not_to_have_class("dropzone droppable dragging")


def test_dropped_files_show_a_thumbnail_and_a_progress_bar_each(make_ticket, new_page):
    ticket = make_ticket()
    page = new_page()
    open_ticket(page, ticket.reference, ticket.token)
    open_item(page, "card_front")
    card = page.locator("#item-card_front")
    zone = card.locator(".dropzone")
    expect(zone.locator(".drop-hint")).to_have_text("You can also drag files here.")
    # About 1.5 MB, so a throttled upload shows its progress on the way.
    statement = pdf_file("card-statement.pdf")
    statement["buffer"] += b"%" + b" " * 1_500_000 + b"\n"
    drop(page, zone, card_png("card-front.png"), statement)

    rows = card.locator(".upload-file")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("img.thumb")).to_be_visible()
    assert rows.nth(0).locator("img.thumb").evaluate("img => img.naturalWidth") == 240
    expect(rows.nth(1).locator(".thumb-file")).to_have_text("PDF")
    expect(rows.locator("progress")).to_have_count(2)
    assert card.locator("input[type=file]").evaluate("input => input.files.length") == 2

    throttle = page.context.new_cdp_session(page)
    throttle.send("Network.enable")
    throttle.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 20,
            "downloadThroughput": -1,
            "uploadThroughput": 512 * 1024,
        },
    )
    card.get_by_role("button", name="Upload").click()
    # Caught on the way: a bar part-filled, its row saying how far it is.
    page.wait_for_function(
        """() => [...document.querySelectorAll('#item-card_front .upload-file')].some(row => {
          const bar = row.querySelector('progress');
          return bar.value > 0 && bar.value < 100
            && row.querySelector('.upload-state').textContent === `Sending… ${bar.value}%`;
        })"""
    )
    shot(page, "customer-progress-desktop")
    expect(card.locator(".files li")).to_have_count(2)
    expect(card.locator(".files")).to_contain_text("card-front.png")
    expect(card.locator(".files")).to_contain_text("card-statement.pdf")
    expect(card.locator(".upload-status")).to_have_text(
        "2 files added to “Front of the credit card”."
    )
    expect(card.locator(".upload-queue")).to_be_hidden()  # the rows moved to the item's list
    assert page.errors == []


def test_a_document_beyond_the_list_gets_its_own_item(make_ticket, new_page):
    ticket = make_ticket()
    page = new_page(phone=True)
    open_ticket(page, ticket.reference, ticket.token)
    expect(page.locator("#item-consumption_proof")).to_have_count(0)
    page.get_by_text("Add another document").click()
    more = page.locator("#more-docs")
    more.get_by_label("Which document is it?").select_option("consumption_proof")
    more.get_by_label("Photo or file", exact=True).set_input_files([pdf_file("invoices.pdf")])
    more.get_by_role("button", name="Upload").click()
    added = page.locator("#item-consumption_proof")
    expect(added.locator(".files")).to_contain_text("invoices.pdf")
    expect(page.locator("#documents")).to_contain_text("Other documents you added")
    expect(more.locator(".upload-status")).to_contain_text("1 file added to “Consumption proof")
    # The new item's own form works too.
    added.locator("input[type=file]").set_input_files([pdf_file("more-invoices.pdf")])
    added.get_by_role("button", name="Upload").click()
    expect(added.locator(".files li")).to_have_count(2)
    assert page.errors == []
