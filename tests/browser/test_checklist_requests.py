"""The live checklist on the facts form asks `GET /api/v1/requirements` only once the
answers that API requires for the ticket's type are there (materials.md's required facts;
a partner need not answer real-name authentication): a half-answered form shows "Answer
the questions above" and sends nothing, so the page collects no 400s."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import BROWSER, answer

pytestmark = BROWSER

REQUIREMENTS = "/api/v1/requirements"
ANSWER_FIRST = "Answer the questions above to see the list."
SETTLE_MS = 400  # long enough for a request the script would have sent to show up


def watch(page) -> tuple[list[str], list[int]]:
    """(URLs asked, statuses answered) of the requirements API, as the page sends them."""
    asked: list[str] = []
    answered: list[int] = []
    page.on("request", lambda r: asked.append(r.url) if REQUIREMENTS in r.url else None)
    page.on("response", lambda r: answered.append(r.status) if REQUIREMENTS in r.url else None)
    return asked, answered


def test_an_account_change_asks_only_once_the_required_facts_are_answered(new_page):
    page = new_page()
    asked, answered = watch(page)
    page.goto("/new/account_change")
    preview = page.locator("#checklist-preview")
    expect(preview).to_contain_text(ANSWER_FIRST)

    # How they bought, real-name authentication, account type: still one answer short.
    answer(page, "How did you buy", "Directly from us (direct sales customer)")
    answer(page, "real-name authentication", "Yes, completed")
    answer(page, "individual or an enterprise", "Individual")
    page.wait_for_timeout(SETTLE_MS)
    expect(preview).to_contain_text(ANSWER_FIRST)
    assert asked == []

    answer(page, "credit card added", "Yes")
    expect(preview).not_to_contain_text(ANSWER_FIRST)
    expect(preview.locator(".req-list").first).to_be_visible()
    assert len(asked) == 1 and answered == [200]

    # Every later change asks again, and the API never says 400.
    answer(page, "credit card added", "No")
    answer(page, "How did you buy", "I am a cloud partner")
    expect(preview).not_to_contain_text(ANSWER_FIRST)
    page.wait_for_timeout(SETTLE_MS)
    assert len(asked) == 3
    assert answered and all(status == 200 for status in answered), answered
    assert page.errors == []


def test_a_partner_need_not_answer_real_name_authentication(new_page):
    page = new_page(phone=True)
    asked, answered = watch(page)
    page.goto("/new/account_change")
    answer(page, "How did you buy", "I am a cloud partner")
    answer(page, "individual or an enterprise", "Enterprise")
    page.wait_for_timeout(SETTLE_MS)
    assert asked == []
    answer(page, "credit card added", "No")
    preview = page.locator("#checklist-preview")
    expect(preview).not_to_contain_text(ANSWER_FIRST)
    page.wait_for_timeout(SETTLE_MS)
    assert "real_name_auth" not in asked[-1]
    assert answered == [200]
    assert page.errors == []


def test_an_unfreeze_asks_once_the_account_type_and_card_are_answered(new_page):
    page = new_page()
    asked, answered = watch(page)
    page.goto("/new/unfreeze")
    preview = page.locator("#checklist-preview")
    answer(page, "credit card added", "Yes")
    page.wait_for_timeout(SETTLE_MS)
    expect(preview).to_contain_text(ANSWER_FIRST)
    assert asked == []
    answer(page, "individual or an enterprise", "Individual")
    expect(preview).to_contain_text("Choose 2 of these 3")
    assert answered == [200]
    assert page.errors == []
