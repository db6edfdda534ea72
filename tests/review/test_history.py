"""The ticket's history: every event of api.md, with actor and time, oldest first."""

from __future__ import annotations

import hashlib

from tests.review.helpers import evidence_ids, sign_in, signed_in, unique_pdf, unique_png


def test_history_records_every_event_in_order(app, reviewer, lead, make_ticket, pdf_bytes):
    ticket = make_ticket()
    ticket.upload("passport", unique_pdf(pdf_bytes), "passport.pdf")
    ticket.upload("card_front", unique_png(), "card.png")
    assert ticket.submit().status_code == 200
    ids = evidence_ids(ticket)
    reviewer.claim()
    reviewer.get(f"/evidence/{ids['passport']}/content")
    reviewer.release(ticket.reference)
    reviewer.claim()
    reviewer.review(ids["passport"], "accepted")
    reviewer.review(ids["card_front"], "rejected", "cropped", "Show all four corners.")
    reviewer.request_materials(ticket.reference, ["card_front"], "Send the whole card.")
    ticket.upload("card_front", unique_png(), "card-again.png")
    assert ticket.submit().status_code == 200
    lead.post(f"/tickets/{ticket.reference}/reassign", {"reviewer": reviewer.email})
    new_card = evidence_ids(ticket)["card_front"]
    reviewer.review(new_card, "accepted")
    assert reviewer.decide(ticket.reference, "approved", "Thank you.").status_code == 200

    events = reviewer.history(ticket.reference)
    customer, rita, lena = "customer", f"reviewer:{reviewer.email}", f"reviewer:{lead.email}"
    sent = ("system", "notification_sent")  # the outbox's email, sent after each commit
    assert [(e["actor"], e["action"]) for e in events] == [
        (customer, "created"),
        ("system", "record_checked"),  # recovery.md: the declared facts against the record
        sent,
        (customer, "evidence_uploaded"),
        (customer, "evidence_uploaded"),
        (customer, "submitted"),
        (rita, "claimed"),
        (rita, "evidence_read"),
        (rita, "released"),
        (rita, "claimed"),
        (rita, "evidence_reviewed"),
        (rita, "evidence_reviewed"),
        sent,  # the card front was rejected
        (rita, "materials_requested"),
        sent,
        (customer, "evidence_uploaded"),
        (customer, "resubmitted"),
        (lena, "reassigned"),
        (rita, "evidence_reviewed"),
        (rita, "decided"),
        sent,
    ]
    times = [e["at"] for e in events]
    assert times == sorted(times) and all(t.endswith("Z") for t in times)
    by_action = {e["action"]: e["details"] for e in events}
    assert by_action["evidence_read"]["evidence_id"] == ids["passport"]
    assert by_action["materials_requested"] == {
        "materials": ["card_front"],
        "message": "Send the whole card.",
    }
    assert by_action["decided"] == {"decision": "approved", "note": "Thank you."}
    assert by_action["released"] == {"reviewer": reviewer.email}
    rejected = events[11]["details"]
    assert (rejected["decision"], rejected["reason"], rejected["note"]) == (
        "rejected",
        "cropped",
        "Show all four corners.",
    )

    # The review page shows the same history.
    browser = app.test_client()
    sign_in(browser, reviewer.email)
    page = browser.get(f"/review/tickets/{ticket.reference}").text
    history = page[page.index('id="history"') :]
    assert history.count('<tr class="event ') == len(events)
    assert "materials requested" in history and "Send the whole card." in history


def test_history_is_for_reviewers_only(client, submitted, reviewer):
    ticket = submitted()
    path = f"/api/v1/tickets/{ticket.reference}/history"
    assert client.get(path, headers=ticket.headers).status_code == 401
    assert client.get(path).status_code == 401
    assert (
        reviewer.get(f"/tickets/{ticket.reference}/history").json["events"][0]["action"]
        == "created"
    )


def test_the_history_page_shows_a_files_hash_short_with_the_whole_on_hover(
    app, reviewer, make_ticket, pdf_bytes
):
    ticket = make_ticket()
    data = unique_pdf(pdf_bytes)
    ticket.upload("passport", data, "passport.pdf")
    digest = hashlib.sha256(data).hexdigest()
    page = signed_in(app, reviewer).get(f"/review/tickets/{ticket.reference}").text
    history = page.split('id="history"', 1)[1]
    assert f'<abbr class="mono" title="{digest}">{digest[:12]}…</abbr>' in history
