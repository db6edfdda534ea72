"""The reviewer's workbench (issue 13, part 5): decisions without a page reload, the same
forms without a script, "decide and take next", the shortcuts box and the grouped history.

The page's forms post as always; sent with `Accept: application/json` (as
static/js/workbench.js sends them) they answer JSON: the page's regions re-rendered on
success, the API's error shape (with the form's field errors) on refusal.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.review.helpers import evidence_ids, page_token
from triage.evidence.reasons import REASON_LABELS

JSON = {"Accept": "application/json"}


@pytest.fixture
def held(reviewer, submitted):
    ticket = submitted()
    assert reviewer.claim().status_code == 200
    return ticket


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _send(desk, path: str, page: str, data: dict, json: bool = True):
    token = page_token(desk, page)
    return desk.post(path, data={**data, "csrf_token": token}, headers=JSON if json else {})


def _statuses(ticket) -> dict[str, str]:
    return {e["material"]: (e["review"] or {}).get("decision") for e in ticket.get()["evidence"]}


def test_accepting_a_file_answers_the_pages_new_regions(desk, reviewer, held):
    page = f"/review/tickets/{held.reference}"
    passport = evidence_ids(held)["passport"]
    response = _send(
        desk, f"/review/evidence/{passport}/review", page, {f"ev-{passport}-decision": "accepted"}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    answer = response.json
    assert answer["message"] == "“passport.pdf” accepted."
    assert answer["status"] == "in_review" and answer["location"] is None
    regions = answer["regions"]
    # The file's card, the checklist and the history come back; the viewer stays as it is.
    assert {f"file-{passport}", "requirements", "history", "head", "decide"} <= set(regions)
    assert 'class="evidence file-accepted' in regions[f"file-{passport}"]
    assert 'id="viewer"' not in "".join(regions.values())
    assert "evidence reviewed" in _text(regions["history"])
    assert 'id="approvable"' in regions["requirements"]
    assert _statuses(held)["passport"] == "accepted"


def test_the_regions_keep_the_pages_visit(desk, reviewer, held):
    """A picture in a re-rendered region is the page's visit going on, not a new read."""
    page = f"/review/tickets/{held.reference}"
    html = desk.get(page).text
    token = re.search(r'data-visit="([^"]+)"', html).group(1)
    card = evidence_ids(held)["card_front"]
    passport = evidence_ids(held)["passport"]
    response = desk.post(
        f"/review/evidence/{passport}/review",
        data={f"ev-{passport}-decision": "accepted", "csrf_token": page_token(desk, page)},
        headers={**JSON, "X-Review-Visit": token},
    )
    assert f"visit={token}" in response.json["regions"][f"file-{card}"].replace("&amp;", "&")
    # Another reviewer's (or a made-up) token is not taken: the regions get a new visit.
    response = desk.post(
        f"/review/evidence/{passport}/review",
        data={f"ev-{passport}-decision": "accepted", "csrf_token": page_token(desk, page)},
        headers={**JSON, "X-Review-Visit": token[:-2] + "xx"},
    )
    assert token[:-2] not in response.json["regions"][f"file-{card}"]


def test_rejecting_a_file_with_a_reason(desk, held):
    page = f"/review/tickets/{held.reference}"
    card = evidence_ids(held)["card_front"]
    prefix = f"ev-{card}-"
    response = _send(
        desk,
        f"/review/evidence/{card}/review",
        page,
        {prefix + "decision": "rejected", prefix + "reason": "glare", prefix + "note": "Tilt it."},
    )
    assert response.status_code == 200, response.json
    assert response.json["message"] == "“card.png” rejected."
    card_html = _text(response.json["regions"][f"file-{card}"])
    assert REASON_LABELS["glare"] in card_html and "Note: Tilt it." in card_html
    review = next(e for e in held.get()["evidence"] if e["id"] == card)["review"]
    assert (review["decision"], review["reason"], review["note"]) == (
        "rejected",
        "glare",
        "Tilt it.",
    )


def test_a_refused_file_review_answers_the_form_errors_as_json(desk, held):
    page = f"/review/tickets/{held.reference}"
    card = evidence_ids(held)["card_front"]
    prefix = f"ev-{card}-"
    path = f"/review/evidence/{card}/review"
    # No decision: the form itself refuses.
    response = _send(desk, path, page, {prefix + "note": "typed"})
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "invalid_request"
    assert error["fields"] == {"decision": "Choose accept or reject."}
    # A rejection without a reason: the service refuses, with the API's field name.
    response = _send(desk, path, page, {prefix + "decision": "rejected"})
    assert response.status_code == 400
    assert response.json["error"]["fields"]["reason"].startswith("is required to reject a file")
    # "Other" needs a note.
    response = _send(
        desk, path, page, {prefix + "decision": "rejected", prefix + "reason": "other"}
    )
    assert response.status_code == 400 and "note" in response.json["error"]["fields"]
    assert _statuses(held)["card_front"] is None


def test_json_actions_need_the_csrf_token(desk, held):
    card = evidence_ids(held)["card_front"]
    response = desk.post(
        f"/review/evidence/{card}/review", data={f"ev-{card}-decision": "accepted"}, headers=JSON
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_request"
    assert "expired or was sent from another site" in response.json["error"]["message"]
    response = desk.post(
        f"/review/tickets/{held.reference}/decision",
        data={"decision": "rejected", "note": "No."},
        headers=JSON,
    )
    assert response.status_code == 400
    assert _statuses(held)["card_front"] is None
    assert held.get()["status"] == "in_review"


def test_without_the_script_the_forms_still_post_and_redirect(desk, held):
    page = f"/review/tickets/{held.reference}"
    card = evidence_ids(held)["card_front"]
    response = _send(
        desk,
        f"/review/evidence/{card}/review",
        page,
        {f"ev-{card}-decision": "accepted"},
        json=False,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{page}#evidence-{card}"
    assert "“card.png” accepted." in desk.get(page).text
    response = _send(
        desk, f"{page}/decision", page, {"decision": "rejected", "note": ""}, json=False
    )
    assert response.status_code == 400 and "text/html" in response.content_type
    assert "This is required to reject a ticket" in response.text


def test_requesting_materials_as_json(desk, held):
    page = f"/review/tickets/{held.reference}"
    path = f"{page}/request-materials"
    response = _send(desk, path, page, {"materials": ["passport"], "message": ""})
    assert response.status_code == 400
    assert response.json["error"]["fields"] == {"message": "Write what you need and why."}
    response = _send(desk, path, page, {"materials": ["passport"], "message": "A clearer scan."})
    assert response.status_code == 200
    assert response.json["status"] == "needs_more_info"
    # The ticket left the reviewer's hands: the forms' regions come back without forms.
    assert 'id="request-form"' not in response.json["regions"]["request"]
    assert 'id="decision-form"' not in response.json["regions"]["decide"]
    assert held.get()["status"] == "needs_more_info"


def test_deciding_as_json(desk, reviewer, held):
    page = f"/review/tickets/{held.reference}"
    path = f"{page}/decision"
    response = _send(desk, path, page, {"decision": "approved"})
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "requirements_not_met"
    assert "passport" in error["missing"]
    response = _send(desk, path, page, {"decision": "rejected", "note": ""})
    assert response.status_code == 400
    assert "note" in response.json["error"]["fields"]
    response = _send(desk, path, page, {"decision": "rejected", "note": "Not the owner's card."})
    assert response.status_code == 200
    answer = response.json
    assert answer["status"] == "rejected" and answer["location"] is None
    assert 'id="decision-form"' not in answer["regions"]["decide"]
    assert "Rejected" in _text(answer["regions"]["head"])


def test_decide_and_take_next_claims_the_next_ticket(desk, reviewer, submitted):
    first = submitted(account_name="first-account")
    second = submitted(account_name="second-account")
    assert reviewer.claim().json["reference"] == first.reference
    page = f"/review/tickets/{first.reference}"
    response = _send(
        desk, f"{page}/decision", page, {"decision": "rejected", "note": "No.", "then": "next"}
    )
    assert response.status_code == 200, response.json
    assert response.json["location"] == f"/review/tickets/{second.reference}"
    assert first.get()["status"] == "rejected"
    assert second.get()["status"] == "in_review"
    queue = reviewer.queue().json["items"]
    assert [(i["reference"], i["claimed_by"]) for i in queue] == [
        (second.reference, reviewer.email)
    ]
    landed = desk.get(response.json["location"]).text
    assert f"Ticket {first.reference} rejected." in _text(landed)
    assert f"Ticket {second.reference} is yours" in _text(landed)
    # Without the script: a redirect; with nothing left, to the queue.
    page = f"/review/tickets/{second.reference}"
    response = _send(
        desk,
        f"{page}/decision",
        page,
        {"decision": "rejected", "note": "No.", "then": "next"},
        json=False,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/review/"
    assert "Nothing else is waiting" in desk.get("/review/").text
    # Anything else in `then` is refused, and nothing is decided.
    third = submitted(account_name="third-account")
    reviewer.claim()
    page = f"/review/tickets/{third.reference}"
    response = _send(
        desk, f"{page}/decision", page, {"decision": "rejected", "note": "No.", "then": "x"}
    )
    assert response.status_code == 400 and "then" in response.json["error"]["fields"]
    assert third.get()["status"] == "in_review"


def test_save_and_take_next_keeps_to_the_queue_the_reviewer_took_from(desk, submitted):
    change = submitted(CHANGE_DIRECT_AUTHENTICATED)  # waiting, of another type
    first = submitted(account_name="first-account")
    second = submitted(account_name="second-account")
    taken = desk.post(
        "/review/claim", data={"type": "unfreeze", "csrf_token": page_token(desk, "/review/")}
    )
    assert taken.headers["Location"] == f"/review/tickets/{first.reference}"
    page = f"/review/tickets/{first.reference}"
    decided = {"decision": "rejected", "note": "No.", "then": "next"}
    response = _send(desk, f"{page}/decision", page, decided)
    assert response.json["location"] == f"/review/tickets/{second.reference}"
    # With that queue empty, back to it: the account change still waits for its own queue.
    page = f"/review/tickets/{second.reference}"
    response = _send(desk, f"{page}/decision", page, decided)
    assert response.json["location"] == "/review/?type=unfreeze"
    assert "Nothing else is waiting in the queue" in response.json["message"]
    assert change.get()["status"] == "awaiting_review"
    # "Take next" with any type chosen: the next decision takes any type again.
    third = submitted(account_name="third-account")
    token = page_token(desk, "/review/")
    taken = desk.post("/review/claim", data={"type": "", "csrf_token": token})
    one = taken.headers["Location"].rsplit("/", 1)[-1]
    [other] = {change.reference, third.reference} - {one}
    page = f"/review/tickets/{one}"
    response = _send(desk, f"{page}/decision", page, decided)
    assert response.json["location"] == f"/review/tickets/{other}"


def test_the_page_is_two_panes_with_the_shortcuts_listed(desk, held):
    page = desk.get(f"/review/tickets/{held.reference}").text
    assert 'href="/static/css/workbench.css"' in page
    assert 'src="/static/js/workbench.js"' in page
    viewer, side = page.index('class="pane pane-viewer"'), page.index('id="side"')
    assert viewer < page.index('id="viewer"') < side
    for part in ('id="facts"', 'id="evidence"', 'id="decision-form"', 'id="request-form"'):
        assert page.index(part) > side
    ids = evidence_ids(held)
    for evidence_id in ids.values():
        assert f'id="thumb-{evidence_id}"' in page and f'id="view-{evidence_id}"' in page
        assert f'id="evidence-{evidence_id}"' in page
    assert 'id="decide-next"' in page and "Save and take next" in page
    # The shortcuts, with the reasons numbered in the order of the reason list.
    box = page[
        page.index('id="shortcuts"') : page.index("</section>", page.index('id="shortcuts"'))
    ]
    assert "Keyboard shortcuts" in box
    numbered = re.findall(r'<li data-reason="([a-z_]+)"><kbd>(\d)</kbd>', box)
    assert [code for code, _ in numbered] == list(REASON_LABELS)
    assert [n for _, n in numbered] == [str((i + 1) % 10) for i in range(len(REASON_LABELS))]


def test_the_history_groups_reads_and_marks_decisions(app, desk, reviewer, lead, held):
    ids = evidence_ids(held)
    for _ in range(3):  # API reads: logged every time
        reviewer.get(f"/evidence/{ids['card_front']}/content")
    reviewer.get(f"/evidence/{ids['passport']}/content")
    lead.get(f"/evidence/{ids['passport']}/content")
    reviewer.review(ids["passport"], "accepted")
    reviewer.get(f"/evidence/{ids['card_front']}/content")
    reviewer.review(ids["card_front"], "rejected", "cropped")
    reviewer.request_materials(held.reference, ["card_front"], "The whole card, please.")

    page = desk.get(f"/review/tickets/{held.reference}").text
    history = page[page.index('id="history"') :]
    rows = re.findall(r'<tr class="(event [^"]+)"', history)
    kinds = [row.split()[1] for row in rows]
    # Rita's four reads are one row, Lena's read is another; Rita's next read is a new run.
    assert kinds[kinds.index("event-claimed") :] == [
        "event-claimed",
        "event-evidence_read",
        "event-evidence_read",
        "event-evidence_reviewed",
        "event-evidence_read",
        "event-evidence_reviewed",
        "event-notification_sent",
        "event-materials_requested",
        "event-notification_sent",
    ]
    text = _text(history)
    assert "read 2 files" in text and "4 reads from" in text
    assert 'class="event event-evidence_read event-group kind-reads" data-count="4"' in history
    assert history.count("kind-decision") == 2 and history.count("kind-request") == 1
    assert '<strong class="badge badge-kind badge-decision">evidence reviewed</strong>' in history
    assert '<strong class="badge badge-kind badge-request">materials requested</strong>' in history
    assert 'id="history-order"' in history  # the newest-first toggle (shown by the script)
