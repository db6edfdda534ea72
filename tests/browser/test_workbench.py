"""The reviewer's workbench in a real browser, driven from the keyboard (issue 13, part 5).

A reviewer takes a ticket, and without touching the mouse goes through its files, accepts
one, rejects the other with a numbered reason, zooms and turns the picture, decides the
ticket and takes the next one. Nothing reloads the page until the next ticket opens, and
each file is logged as read once for the visit however often its pictures were drawn.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.support import BROWSER, sign_in
from tests.review.helpers import evidence_ids
from triage.evidence.reasons import REASON_LABELS

pytestmark = BROWSER

SCREENSHOT = "/tmp/workbench.png"
WIDE = {"width": 1440, "height": 900}


def _reasons_number(code: str) -> str:
    return str((list(REASON_LABELS).index(code) + 1) % 10)


def test_a_ticket_reviewed_from_the_keyboard(
    app, new_page, submitted, make_reviewer, reviewer_login
):
    first = submitted(account_name="first-account")
    second = submitted(account_name="second-account")
    ids = evidence_ids(first)
    api = make_reviewer("api-reader@example.com")  # reads the history through the API

    desk = new_page(viewport=WIDE)
    sign_in(desk, reviewer_login.email)
    desk.get_by_role("button", name="Take next").click()
    expect(desk.locator("h1")).to_have_text(f"Ticket {first.reference}")
    position = desk.locator("#viewer-position")
    expect(position).to_have_text("File 1 of 2")
    expect(desk.locator("#shortcuts")).to_be_visible()
    expect(desk.locator("#shortcuts")).to_contain_text("Keyboard shortcuts")
    desk.evaluate("window.sameVisit = true")  # gone if anything reloads the page

    # The two panes, side by side.
    viewer = desk.locator("#viewer").bounding_box()
    side = desk.locator("#side").bounding_box()
    assert viewer["x"] + viewer["width"] <= side["x"] and viewer["width"] > side["width"]

    # Through the files: j, k and the arrows; the file's card is marked in the right pane.
    desk.keyboard.press("j")
    expect(position).to_have_text("File 2 of 2")
    expect(desk.locator(f"#view-{ids['card_front']}")).to_be_visible()
    expect(desk.locator(f"#view-{ids['passport']}")).to_be_hidden()
    expect(desk.locator(f"#evidence-{ids['card_front']}")).to_have_class(re.compile("is-current"))
    desk.keyboard.press("ArrowLeft")
    expect(position).to_have_text("File 1 of 2")
    expect(desk.locator(f"#view-{ids['passport']}")).to_be_visible()

    # Zoom and turn the picture: + twice, o, then 0 fits it again.
    zoom = desk.locator("#viewer-zoom")
    expect(zoom).to_have_text(re.compile(r"^fit \d+%$"))
    picture = desk.locator(f"#view-{ids['passport']} .viewer-image").first
    expect(picture).to_be_visible()
    width = picture.bounding_box()["width"]
    desk.keyboard.press("+")
    desk.keyboard.press("+")
    expect(zoom).not_to_have_text(re.compile("fit"))
    assert picture.bounding_box()["width"] > width * 1.4
    desk.keyboard.press("o")
    assert "rotate(90deg)" in picture.evaluate("img => img.style.transform")
    desk.keyboard.press("0")
    expect(zoom).to_have_text(re.compile(r"^fit \d+%$"))

    # a accepts the passport and moves on; r 3 rejects the card as cropped.
    desk.keyboard.press("a")
    passport_card = desk.locator(f"#evidence-{ids['passport']}")
    expect(passport_card.locator(".review-state")).to_contain_text("accepted")
    expect(position).to_have_text("File 2 of 2")
    expect(desk.locator(f"#thumb-{ids['passport']} .thumb-state")).to_have_text("accepted")
    desk.keyboard.press("r")
    desk.keyboard.press(_reasons_number("cropped"))
    card = desk.locator(f"#evidence-{ids['card_front']}")
    expect(card.locator(".review-state")).to_contain_text("rejected")
    expect(card.locator(".review-state")).to_contain_text(REASON_LABELS["cropped"])
    expect(desk.locator("#history")).to_contain_text("evidence reviewed")
    # The regions followed: the request form ticks nothing for the reviewer, since the
    # card front or the card transactions would do (ruling 8) and whatever is ticked
    # becomes required of the customer; the approval box names that one choice.
    expect(desk.locator("#ask-card_front")).not_to_be_checked()
    expect(desk.locator("#approvable")).to_contain_text("One more of:")
    expect(desk.locator("#approvable")).not_to_contain_text("Driver license")
    assert desk.evaluate("window.sameVisit") is True
    desk.evaluate("window.scrollTo(0, 0)")
    desk.wait_for_timeout(100)  # the picture at "fit" follows the scroll on the next frame
    desk.screenshot(path=SCREENSHOT, animations="disabled", caret="hide")

    # The decision: d to the form, choose Reject with the arrow key, type the note, Esc
    # leaves the field, n saves it and takes the next ticket.
    desk.keyboard.press("d")
    expect(desk.locator("#decision-form input[value=approved]")).to_be_focused()
    desk.keyboard.press("ArrowRight")
    expect(desk.locator("#decision-form input[value=rejected]")).to_be_checked()
    desk.keyboard.press("Tab")
    desk.keyboard.type("The card photo is cropped: nothing shows it is yours.")
    desk.keyboard.press("n")  # typed into the note, not a shortcut
    desk.keyboard.press("Escape")
    desk.keyboard.press("n")
    expect(desk.locator("h1")).to_have_text(f"Ticket {second.reference}")
    expect(desk.locator("main")).to_contain_text(f"Ticket {first.reference} rejected.")

    decided = api.get(f"/tickets/{first.reference}").json
    assert decided["status"] == "rejected"
    reviews = {e["material"]: e["review"] for e in decided["evidence"]}
    assert reviews["passport"]["decision"] == "accepted"
    assert (reviews["card_front"]["decision"], reviews["card_front"]["reason"]) == (
        "rejected",
        "cropped",
    )
    assert api.get(f"/tickets/{second.reference}").json["status"] == "in_review"
    # One read per file for the whole visit: thumbnails, zoom and turns drew the pictures
    # many times.
    reads = [e for e in api.history(first.reference) if e["action"] == "evidence_read"]
    assert sorted(r["details"]["evidence_id"] for r in reads) == sorted(ids.values())
    assert desk.errors == []


def test_a_refused_decision_shows_in_place_and_keeps_the_typing(
    new_page, submitted, reviewer_login
):
    ticket = submitted()
    desk = new_page(viewport=WIDE)
    sign_in(desk, reviewer_login.email)
    desk.get_by_role("button", name="Take next").click()
    expect(desk.locator("h1")).to_have_text(f"Ticket {ticket.reference}")
    desk.evaluate("window.sameVisit = true")
    note = "Typed before the refusal."
    desk.locator("#decision-form textarea").fill(note)
    desk.locator("#decision-form input[value=approved]").check()
    desk.get_by_role("button", name="Save the decision").click()
    error = desk.locator("#decision-form .error-summary")
    expect(error).to_contain_text("cannot be approved yet")
    expect(error).to_contain_text("Not yet covered by accepted evidence")
    expect(desk.locator("#decision-form textarea")).to_have_value(note)
    # Reject without a reason: the field says why, and the note there stays.
    file_form = desk.locator("article.evidence").first
    file_form.get_by_label("Note to the customer").fill("Kept.")
    file_form.get_by_label("Reject", exact=True).check()
    file_form.get_by_role("button", name="Save decision on this file").click()
    expect(file_form.locator(".field-error")).to_contain_text("This is required to reject a file")
    expect(file_form.get_by_label("Note to the customer")).to_have_value("Kept.")
    assert desk.evaluate("window.sameVisit") is True
    assert desk.errors == []


def _sideways_photo() -> bytes:
    """A 400 x 200 phone photo stored sideways: EXIF orientation 6 (turn 90 degrees)."""
    import io

    from PIL import Image

    image = Image.new("RGB", (400, 200), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, 100, 200))
    exif = image.getexif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def test_a_sideways_photo_on_a_narrow_screen(new_page, make_ticket, pdf_bytes, reviewer_login):
    """One column on a phone, nothing wider than the screen; a photo stored sideways is
    shown upright (the server's preview, or the browser's EXIF orientation), and our
    quarter turns come on top of that."""
    from tests.review.helpers import unique_pdf

    ticket = make_ticket()
    assert ticket.upload("passport", unique_pdf(pdf_bytes), "passport.pdf").status_code == 201
    assert ticket.upload("card_front", _sideways_photo(), "card.jpg").status_code == 201
    assert ticket.submit().status_code == 200
    phone = new_page(phone=True)
    sign_in(phone, reviewer_login.email)
    phone.get_by_role("button", name="Take next").click()
    expect(phone.locator("h1")).to_have_text(f"Ticket {ticket.reference}")
    # Laid out once the page has settled (its script, the preview): poll, do not sample.
    phone.wait_for_function("document.documentElement.scrollWidth <= 375", timeout=10_000)
    viewer = phone.locator("#viewer").bounding_box()
    side = phone.locator("#side").bounding_box()
    assert viewer["y"] + viewer["height"] <= side["y"]  # one column: the viewer first
    card = evidence_ids(ticket)["card_front"]
    phone.locator(f"#thumb-{card}").click()
    picture = phone.locator(f"#view-{card} .viewer-image").first
    expect(picture).to_be_visible()
    size = picture.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size[0] < size[1]  # upright: the 400 x 200 sideways photo is 200 wide, 400 high
    box = picture.bounding_box()
    assert box["height"] > box["width"]
    phone.get_by_role("button", name="Rotate 90°").click()
    expect(picture).to_have_attribute("style", re.compile(r"rotate\(90deg\)"))
    box = picture.bounding_box()  # the turned picture's own box is rotated on screen
    assert box["width"] > box["height"]
    # Laid out once the page has settled (its script, the preview): poll, do not sample.
    phone.wait_for_function("document.documentElement.scrollWidth <= 375", timeout=10_000)
    phone.screenshot(path="/tmp/workbench-phone.png", animations="disabled", caret="hide")
    assert phone.errors == []


def test_asking_for_one_of_a_choice_sends_only_what_was_ticked(new_page, submitted, reviewer_login):
    """A card-bound unfreeze (ruling 8: any two of identity document, card front, card
    transactions): the passport accepted and the card transactions rejected in the page,
    the reviewer asks for the card front, or a statement. Nothing was ticked for them, so
    the request holds the card front alone, and the customer can send again with it."""
    ticket = submitted(files=["passport", "card_transactions"])
    ids = evidence_ids(ticket)
    desk = new_page()
    sign_in(desk, reviewer_login.email)
    desk.get_by_role("button", name="Take next").click()
    expect(desk.locator("h1")).to_have_text(f"Ticket {ticket.reference}")
    desk.evaluate("window.sameVisit = true")
    passport = desk.locator(f"#evidence-{ids['passport']}")
    passport.get_by_label("Accept", exact=True).check()
    passport.get_by_role("button", name="Save decision on this file").click()
    expect(desk.locator(f"#evidence-{ids['passport']} .review-state")).to_contain_text("accepted")
    statement = desk.locator(f"#evidence-{ids['card_transactions']}")
    statement.get_by_label("Reject", exact=True).check()
    statement.get_by_label("Reason for rejecting").select_option("blurry")
    statement.get_by_role("button", name="Save decision on this file").click()
    expect(desk.locator(f"#evidence-{ids['card_transactions']} .review-state")).to_contain_text(
        "rejected"
    )
    expect(desk.locator("#approvable")).to_contain_text("One more of:")
    ask = desk.locator("#request-more")
    expect(ask.locator("#ask-card_transactions")).not_to_be_checked()
    ask.locator("#ask-card_front").check()
    ask.get_by_label("Message to the customer").fill(
        "We could not read the statement: send the card front, or a 6-month statement."
    )
    ask.get_by_role("button", name="Send the request").click()
    expect(desk.locator("#ticket-status")).to_contain_text("Waiting for the customer")
    assert ticket.get()["requests"][-1]["materials"] == ["card_front"]
    assert desk.evaluate("window.sameVisit") is True  # all of it without a reload
    assert desk.errors == []
