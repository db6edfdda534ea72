"""Reviewer and lead pages stay English whatever the browser asks (README "Languages"):
every blueprint with an address under /review/ is one of `ENGLISH_ONLY`'s."""

from __future__ import annotations

from tests.review.helpers import sign_in
from triage.i18n import ENGLISH_ONLY


def test_every_blueprint_under_review_is_english_only(app):
    under_review = {
        rule.endpoint.split(".")[0]
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/review") and "." in rule.endpoint
    }
    assert under_review and under_review <= ENGLISH_ONLY


def test_a_lead_page_in_a_chinese_browser_is_english(client):
    # Signed out, the dashboard sends the lead to sign in; both pages are reviewers'.
    page = client.get(
        "/review/dashboard", headers={"Accept-Language": "zh-CN"}, follow_redirects=True
    )
    assert '<html lang="en">' in page.text


def test_a_staff_page_offers_no_language_switcher(app, lead):
    # The jobs page is a lead's (blueprint "jobs"), English whatever is asked for: a
    # switcher there would only seem broken.
    desk = app.test_client()
    sign_in(desk, lead.email)
    page = desk.get("/review/jobs/", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and '<html lang="en">' in page.text
    assert 'class="languages"' not in page.text
    assert 'class="languages"' in app.test_client().get("/").text
