"""The workbench's JSON decisions attacked: conflicting actions fired together, CSRF
missing or wrong, someone who does not hold the ticket, a customer's session, and strange
input. One winner, the loser a clean JSON refusal, no half-made state, never a 5xx.
"""

from __future__ import annotations

import threading

import pytest

from tests.break_workbench.conftest import JSON, browser, post_form
from tests.review.helpers import evidence_ids, page_token


def _statuses(ticket) -> dict[str, str | None]:
    return {e["material"]: (e["review"] or {}).get("decision") for e in ticket.get()["evidence"]}


def _fire_together(calls) -> list:
    """Run each call in its own thread, released at once; their answers in order."""
    start = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(i, call):
        start.wait()
        try:
            answers[i] = call()
        except Exception as exc:  # reported by the assertions, not lost in the thread
            answers[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _json_status(response) -> int:
    assert not isinstance(response, Exception), repr(response)
    assert response.status_code < 500, response.text[:500]
    assert response.mimetype == "application/json", response.text[:300]
    if response.status_code >= 400:
        assert set(response.json["error"]) >= {"code", "message"}
    return response.status_code


def test_wrong_csrf_token_is_refused(app, reviewer, held):
    client = browser(app, reviewer)
    card = evidence_ids(held)["card_front"]
    prefix = f"ev-{card}-"
    client.get(f"/review/tickets/{held.reference}")
    response = client.post(
        f"/review/evidence/{card}/review",
        data={prefix + "decision": "accepted", "csrf_token": "IjEyMyI.forged.token"},
        headers=JSON,
    )
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_request"
    assert _statuses(held)["card_front"] is None


def test_another_sessions_csrf_token_is_refused(app, reviewer, other_reviewer, held):
    page = f"/review/tickets/{held.reference}"
    theirs = page_token(browser(app, other_reviewer), page)
    client = browser(app, reviewer)
    card = evidence_ids(held)["card_front"]
    response = client.post(
        f"/review/evidence/{card}/review",
        data={f"ev-{card}-decision": "accepted", "csrf_token": theirs},
        headers=JSON,
    )
    assert response.status_code == 400
    assert _statuses(held)["card_front"] is None


def test_a_reviewer_who_does_not_hold_the_ticket(app, other_reviewer, held):
    client = browser(app, other_reviewer)
    page = f"/review/tickets/{held.reference}"
    card = evidence_ids(held)["card_front"]
    response = post_form(
        client, f"/review/evidence/{card}/review", page, {f"ev-{card}-decision": "accepted"}
    )
    assert _json_status(response) in (403, 409)
    response = post_form(client, f"{page}/decision", page, {"decision": "rejected", "note": "no"})
    assert _json_status(response) in (403, 409)
    assert _statuses(held)["card_front"] is None and held.get()["status"] == "in_review"


def test_a_customer_session_cannot_post_review_forms(app, held, client):
    card = evidence_ids(held)["card_front"]
    # The customer's own client (it created the ticket and holds its cookie).
    for path, data in [
        (f"/review/evidence/{card}/review", {f"ev-{card}-decision": "accepted"}),
        (f"/review/tickets/{held.reference}/decision", {"decision": "approved"}),
    ]:
        response = (
            held.client.post(path, data=data, headers=JSON)
            if hasattr(held, "client")
            else client.post(path, data=data, headers=JSON)
        )
        assert response.status_code in (302, 400, 401, 403), response.status_code
    assert _statuses(held)["card_front"] is None and held.get()["status"] == "in_review"


STRANGE = {
    "huge note": lambda p: {
        p + "decision": "rejected",
        p + "reason": "glare",
        p + "note": "x" * 100_000,
    },
    "bidi note": lambda p: {
        p + "decision": "rejected",
        p + "reason": "glare",
        p + "note": "\u202eevil\u202c\u2066x\u2069",
    },
    "NUL note": lambda p: {p + "decision": "rejected", p + "reason": "glare", p + "note": "a\x00b"},
    "reason 99": lambda p: {p + "decision": "rejected", p + "reason": "99"},
    "reason unknown": lambda p: {p + "decision": "rejected", p + "reason": "<script>"},
    "decision unknown": lambda p: {p + "decision": "maybe"},
    "decision twice": lambda p: [(p + "decision", "accepted"), (p + "decision", "rejected")],
    "noncharacter": lambda p: {
        p + "decision": "rejected",
        p + "reason": "glare",
        p + "note": "\ufffe\uffff",
    },
}


@pytest.mark.parametrize("name", sorted(STRANGE))
def test_strange_file_review_input_is_never_a_5xx(app, reviewer, held, name):
    client = browser(app, reviewer)
    page = f"/review/tickets/{held.reference}"
    card = evidence_ids(held)["card_front"]
    data = STRANGE[name](f"ev-{card}-")
    token = page_token(client, page)
    if isinstance(data, list):
        from werkzeug.datastructures import MultiDict

        data = MultiDict([*data, ("csrf_token", token)])
    else:
        data = {**data, "csrf_token": token}
    response = client.post(f"/review/evidence/{card}/review", data=data, headers=JSON)
    _json_status(response)


@pytest.mark.parametrize(
    "body",
    [
        "decision=rejected&note=%ED%A0%80&csrf_token={t}",  # a lone surrogate, UTF-8 style
        "decision=rejected&note=%FF%FE&csrf_token={t}",
        "decision=approved&then=%00&csrf_token={t}",
    ],
)
def test_undecodable_form_bytes_are_never_a_5xx(app, reviewer, held, body):
    client = browser(app, reviewer)
    page = f"/review/tickets/{held.reference}"
    token = page_token(client, page)
    response = client.post(
        f"{page}/decision",
        data=body.format(t=token),
        content_type="application/x-www-form-urlencoded",
        headers=JSON,
    )
    assert response.status_code < 500, response.text[:300]


@pytest.mark.parametrize("then", ["NEXT", "next ", "queue", "x" * 5000, "https://evil.example/"])
def test_then_other_than_next_is_refused_and_decides_nothing(app, reviewer, held, then):
    client = browser(app, reviewer)
    page = f"/review/tickets/{held.reference}"
    response = post_form(
        client, f"{page}/decision", page, {"decision": "rejected", "note": "No.", "then": then}
    )
    assert _json_status(response) == 400
    assert held.get()["status"] == "in_review"


def test_two_reviewers_deciding_one_file_at_once(app, reviewer, lead, held, monkeypatch):
    """The holder rejects (glare) while a lead accepts the same file: both may act, one after
    the other; the file must end with one of the two verdicts, whole, never "accepted" with
    the rejection's reason. The pause before the ticket's guard (`act`) only widens the
    window in which both requests have loaded the file, and orders them: whichever comes
    second, the state must be whole (decisions.py `review_evidence` writes through the ORM,
    which UPDATEs only the attributes it saw change on its stale copy of the row)."""
    import time

    from triage.review.operations import decisions

    real_act = decisions.act

    def slow_act(*args, **kwargs):
        from flask import request

        # Both have loaded the file by now; the acceptance is applied second.
        accepting = "accepted" in request.form.values()
        time.sleep(0.6 if accepting else 0.2)
        return real_act(*args, **kwargs)

    monkeypatch.setattr(decisions, "act", slow_act)
    page = f"/review/tickets/{held.reference}"
    card = evidence_ids(held)["card_front"]
    p = f"ev-{card}-"
    mine, theirs = browser(app, reviewer), browser(app, lead)
    t1, t2 = page_token(mine, page), page_token(theirs, page)
    reject = {
        p + "decision": "rejected",
        p + "reason": "glare",
        p + "note": "Tilt it.",
        "csrf_token": t1,
    }
    accept = {p + "decision": "accepted", "csrf_token": t2}
    answers = _fire_together(
        [
            lambda: mine.post(f"/review/evidence/{card}/review", data=reject, headers=JSON),
            lambda: theirs.post(f"/review/evidence/{card}/review", data=accept, headers=JSON),
        ]
    )
    codes = [_json_status(a) for a in answers]
    assert set(codes) <= {200, 409}
    review = next(e for e in held.get()["evidence"] if e["id"] == card)["review"]
    assert (review["decision"], review["reason"], review["note"]) in {
        ("rejected", "glare", "Tilt it."),
        ("accepted", None, None),
    }


def test_decide_while_a_lead_reassigns(app, reviewer, other_reviewer, lead, held):
    page = f"/review/tickets/{held.reference}"
    mine, leads = browser(app, reviewer), browser(app, lead)
    t1, t2 = page_token(mine, page), page_token(leads, page)
    answers = _fire_together(
        [
            lambda: mine.post(
                f"{page}/decision",
                data={"decision": "rejected", "note": "No.", "csrf_token": t1},
                headers=JSON,
            ),
            lambda: leads.post(
                f"{page}/reassign",
                data={"reviewer": other_reviewer.email, "csrf_token": t2},
                headers=JSON,
            ),
        ]
    )
    codes = [_json_status(a) for a in answers]
    body = held.get()
    if codes == [200, 200]:  # reassigned after the decision cannot be: a decided ticket
        pytest.fail(f"both won: {body['status']}")
    assert 200 in codes and set(codes) <= {200, 403, 409}


def test_reassign_refused_by_form_answers_json(app, lead, held):
    """A JSON reassign that fails validation answers the API's error shape, not HTML."""
    leads = browser(app, lead)
    page = f"/review/tickets/{held.reference}"
    response = post_form(leads, f"{page}/reassign", page, {"reviewer": "nobody@example.com"})
    assert response.status_code == 400
    assert response.mimetype == "application/json", response.mimetype
    assert response.json["error"]["code"] == "invalid_request"


def test_decide_and_take_next_racing_another_claimer(
    app, reviewer, other_reviewer, held, submitted
):
    waiting = submitted(account_name="the-only-other")
    page = f"/review/tickets/{held.reference}"
    mine = browser(app, reviewer)
    token = page_token(mine, page)
    answers = _fire_together(
        [
            lambda: mine.post(
                f"{page}/decision",
                data={"decision": "rejected", "note": "No.", "then": "next", "csrf_token": token},
                headers=JSON,
            ),
            lambda: other_reviewer.claim(),
        ]
    )
    decided, claimed = answers
    assert _json_status(decided) == 200
    assert claimed.status_code < 500
    assert held.get()["status"] == "rejected"
    holders = [a for a in (decided.json.get("location") or "", claimed.json) if a]
    got_mine = waiting.reference in decided.json["location"]
    got_theirs = claimed.status_code == 200 and (
        claimed.json.get("reference") == waiting.reference or waiting.reference in str(claimed.json)
    )
    assert got_mine != got_theirs, (decided.json, claimed.json, holders)


@pytest.mark.parametrize("action", ["second-approval", "disputed-decision"])
def test_other_refused_forms_answer_json_too(app, lead, held, action):
    """views.py: "on refusal the API's error shape ... with the same status code" for a post
    sent with `Accept: application/json`; an unvalidated form must not answer the page."""
    leads = browser(app, lead)
    page = f"/review/tickets/{held.reference}"
    response = post_form(leads, f"{page}/{action}", page, {"decision": "sideways"})
    assert response.status_code == 400
    assert response.mimetype == "application/json", response.mimetype
