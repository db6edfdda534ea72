"""Of two conflicting actions fired together, exactly one wins (api.md "Statuses").

api.md: "Every transition is one conditional update from the statuses it may start in: of
two concurrent transitions exactly one wins, and the other answers `409 invalid_state`."
security.md ("State, text and load") asks it of customer and reviewer actions alike, and
issue 9 names the failures this guards against: an approved ticket that ended
`withdrawn`, a submission and a withdrawal that both answered 200, a file that landed on a
submitted ticket unseen by the flags.

Two kinds of pair:

- Exclusive: whichever goes first leaves nothing for the other (approve and withdraw,
  two decisions, release and decide...). Exactly one answers 200, the other `409
  invalid_state`, the ticket ends in the winner's status and the history holds the
  winner's event only.
- Ordered: the action that goes second may still be allowed after the first (a
  withdrawal after a submission, an upload before a submission). Then both may answer
  200, but only in an order a single customer could have produced: the outcome is always
  that of running them one after the other, never an overwrite.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from tests.review.helpers import NO_RULE, evidence_ids, known_account, unique_pdf
from tests.state.conftest import (
    ROUNDS,
    actions_of,
    evidence_keys,
    jitter_for,
    post,
    put,
    race,
    refused,
    request_count,
    stored_keys,
    ticket_row,
    upload,
    won,
)
from tests.tickets.test_api_tickets import NO_PAYMENTS
from triage.extensions import db
from triage.history.models import Event

EXPLANATION = "The phone with my documents was stolen."
# An upload checks its file before it reaches the database, tens of milliseconds after a
# withdrawal or submission would; a wider spread lets it go first in some rounds.
UPLOAD_SPREAD = 0.15


@pytest.fixture
def held(app, submitted, lead, reviewer):
    """held(approvable=False) -> ApiTicket in review, held by `reviewer`.

    approvable: a ticket no standard list covers (ruling 2) with one file, accepted, so it
    may be approved; otherwise an unfreeze ticket submitted without files, with an
    explanation.
    """

    def make(approvable: bool = False):
        if approvable:
            known_account(app, NO_RULE["account_name"])  # not `unknown_account`
            ticket = submitted(NO_RULE, files=["passport"])
        else:
            ticket = submitted(files=[], explanation=EXPLANATION)
        # Handed to the reviewer by a lead: `claim` would take whichever ticket is first.
        response = lead.post(f"/tickets/{ticket.reference}/reassign", {"reviewer": reviewer.email})
        assert response.status_code == 200, response.json
        if approvable:
            for evidence_id in evidence_ids(ticket).values():
                assert reviewer.review(evidence_id, "accepted").status_code == 200
        return ticket

    return make


def one_winner(
    app,
    reference: str,
    before: list[str],
    contenders: dict[str, tuple[object, str, str]],
    forbidden_loser: str | None = None,
) -> str:
    """Exactly one contender won and the other got `409 invalid_state`; returns the winner.

    contenders: name -> (response, the status the ticket ends in if it wins, the history
    action it writes). The ticket is in the winner's status, and the history gained the
    winner's action once and nothing of the loser's (`before`: the actions before the race).
    forbidden_loser: the contender that may instead get `403 forbidden`, when the winner
    took its claim away before its request was even read (see the reassignment test).
    """
    codes = {name: response.status_code for name, (response, _, _) in contenders.items()}
    winners = [name for name, (response, _, _) in contenders.items() if won(response)]
    assert len(winners) == 1, codes
    (winner,) = winners
    for name, (response, _, _) in contenders.items():
        if name == forbidden_loser and response.status_code == 403:
            assert response.json["error"]["code"] == "forbidden"
        elif name != winner:
            assert refused(response), response.json
    _, status, action = contenders[winner]
    assert ticket_row(app, reference).status == status
    added = Counter(actions_of(app, reference)) - Counter(before)
    assert {a: added[a] for _, _, a in contenders.values()} == {
        a: int(a == action) for _, _, a in contenders.values()
    }
    return winner


@pytest.fixture
def app_config(app_config):
    """These races pit a final decision against other actions. recovery.md's second
    approval would make the approval of the (account change) approvable ticket a first
    one, which a withdrawal may follow: the `flagged` policy, for accounts the directory
    knows (`known_account`), keeps it final. The second approval's own races are in
    tests/review/test_second_concurrency.py."""
    app_config["SECOND_APPROVAL"] = "flagged"
    return app_config


def decision(reference: str, headers, verdict: str):
    note = None if verdict == "approved" else "The documents do not match the account."
    return post(f"/tickets/{reference}/decision", headers, {"decision": verdict, "note": note})


def withdraw(ticket):
    return post(f"/tickets/{ticket.reference}/withdraw", ticket.headers)


# --- exclusive pairs ----------------------------------------------------------------------------


@pytest.mark.parametrize("verdict", ["approved", "rejected"])
def test_a_decision_and_a_withdrawal_never_both_win(app, held, reviewer, verdict, tally):
    for round_number in range(ROUNDS):
        ticket = held(approvable=verdict == "approved")
        before = actions_of(app, ticket.reference)
        decided, withdrawn = race(
            app,
            decision(ticket.reference, reviewer.headers, verdict),
            withdraw(ticket),
            jitter=jitter_for(round_number),
        )
        tally(
            one_winner(
                app,
                ticket.reference,
                before,
                {
                    "decision": (decided, verdict, "decided"),
                    "withdrawal": (withdrawn, "withdrawn", "withdrawn"),
                },
            )
        )


def test_two_decisions_on_one_ticket_have_one_winner(app, held, reviewer, lead, tally):
    # The holder approves while a lead rejects.
    for round_number in range(ROUNDS):
        ticket = held(approvable=True)
        before = actions_of(app, ticket.reference)
        approved, rejected = race(
            app,
            decision(ticket.reference, reviewer.headers, "approved"),
            decision(ticket.reference, lead.headers, "rejected"),
            jitter=jitter_for(round_number),
        )
        tally(
            one_winner(
                app,
                ticket.reference,
                before,
                {
                    "approve": (approved, "approved", "decided"),
                    "reject": (rejected, "rejected", "decided"),
                },
            )
        )
        assert ticket_row(app, ticket.reference).decided_at is not None


def test_release_and_decide_have_one_winner(app, held, reviewer, lead, tally):
    # The holder gives the ticket back while a lead rejects it.
    for round_number in range(ROUNDS):
        ticket = held()
        before = actions_of(app, ticket.reference)
        released, rejected = race(
            app,
            post(f"/tickets/{ticket.reference}/release", reviewer.headers),
            decision(ticket.reference, lead.headers, "rejected"),
            jitter=jitter_for(round_number),
        )
        winner = one_winner(
            app,
            ticket.reference,
            before,
            {
                "release": (released, "awaiting_review", "released"),
                "reject": (rejected, "rejected", "decided"),
            },
        )
        tally(winner)
        if winner == "release":
            assert ticket_row(app, ticket.reference).claimed_by_id is None


def test_reassign_and_decide_have_one_winner(app, held, reviewer, other_reviewer, lead, tally):
    # A lead hands the ticket to another reviewer while the holder rejects it. When the
    # reassignment committed before the rejection was even read, the rejecting reviewer no
    # longer holds the ticket and is told so (`403 forbidden`, api.md "Reviewers": only the
    # holder or a lead may decide); read before it, the rejection loses with `409`.
    for round_number in range(ROUNDS):
        ticket = held()
        before = actions_of(app, ticket.reference)
        reassigned, rejected = race(
            app,
            post(
                f"/tickets/{ticket.reference}/reassign",
                lead.headers,
                {"reviewer": other_reviewer.email},
            ),
            decision(ticket.reference, reviewer.headers, "rejected"),
            jitter=jitter_for(round_number),
        )
        winner = one_winner(
            app,
            ticket.reference,
            before,
            {
                "reassign": (reassigned, "in_review", "reassigned"),
                "reject": (rejected, "rejected", "decided"),
            },
            forbidden_loser="reject",
        )
        tally(f"{winner} ({reassigned.status_code}, {rejected.status_code})")
        row = ticket_row(app, ticket.reference)
        assert row.claimed_by_id == (other_reviewer.id if winner == "reassign" else None)


def test_two_claims_of_one_waiting_ticket_have_one_winner(
    app, submitted, reviewer, other_reviewer, tally
):
    for round_number in range(ROUNDS):
        ticket = submitted(files=[], explanation=EXPLANATION)  # the only ticket waiting
        mine, theirs = race(
            app,
            post("/queue/claim", reviewer.headers),
            post("/queue/claim", other_reviewer.headers),
            jitter=jitter_for(round_number),
        )
        # The loser finds nothing left to take: api.md's `204` for an empty queue.
        assert sorted([mine.status_code, theirs.status_code]) == [200, 204]
        winner = reviewer if mine.status_code == 200 else other_reviewer
        assert (mine if winner is reviewer else theirs).json["reference"] == ticket.reference
        row = ticket_row(app, ticket.reference)
        assert (row.status, row.claimed_by_id) == ("in_review", winner.id)
        assert actions_of(app, ticket.reference).count("claimed") == 1
        tally(winner.email)


# --- ordered pairs: the second may follow the first --------------------------------------------


def test_submit_and_withdraw_end_withdrawn(app, make_ticket, tally):
    # A withdrawal is allowed before and after a submission; a submission only before.
    for round_number in range(ROUNDS):
        ticket = make_ticket()
        submitted_, withdrawn = race(
            app,
            post(
                f"/tickets/{ticket.reference}/submit", ticket.headers, {"explanation": EXPLANATION}
            ),
            withdraw(ticket),
            jitter=jitter_for(round_number),
        )
        assert won(withdrawn), withdrawn.json
        assert ticket_row(app, ticket.reference).status == "withdrawn"
        history = actions_of(app, ticket.reference)
        if won(submitted_):
            assert history.index("submitted") < history.index("withdrawn")
            tally("submitted, then withdrawn")
        else:
            assert refused(submitted_), submitted_.json
            assert "submitted" not in history
            tally("withdrawn first, submission refused")


def test_request_materials_and_withdraw_end_withdrawn(app, held, reviewer, tally):
    for round_number in range(ROUNDS):
        ticket = held()
        asked, withdrawn = race(
            app,
            post(
                f"/tickets/{ticket.reference}/request-materials",
                reviewer.headers,
                {"materials": ["passport"], "message": "Please send your passport."},
            ),
            withdraw(ticket),
            jitter=jitter_for(round_number),
        )
        assert won(withdrawn), withdrawn.json
        row = ticket_row(app, ticket.reference)
        assert (row.status, row.claimed_by_id) == ("withdrawn", None)
        history = actions_of(app, ticket.reference)
        if won(asked):
            assert history.index("materials_requested") < history.index("withdrawn")
            assert request_count(app, row.id) == 1
            tally("requested, then withdrawn")
        else:
            assert refused(asked), asked.json
            assert "materials_requested" not in history and request_count(app, row.id) == 0
            tally("withdrawn first, request refused")


@pytest.fixture
def shared_file(make_ticket, pdf_bytes) -> bytes:
    """A file already on another account's ticket: a submission that sees it on a ticket
    flags `duplicate_evidence` (README, "The queue")."""
    data = unique_pdf(pdf_bytes)
    other = make_ticket(account_name="someone-else")
    assert other.upload("passport", data, "passport.pdf").status_code == 201
    return data


def test_an_upload_racing_a_submission_is_before_it_and_seen_or_refused(
    app, make_ticket, shared_file, tally
):
    for round_number in range(ROUNDS):
        ticket = make_ticket()
        uploaded, submitted_ = race(
            app,
            upload(ticket.reference, ticket.headers, "passport", shared_file, "passport.pdf"),
            post(
                f"/tickets/{ticket.reference}/submit", ticket.headers, {"explanation": EXPLANATION}
            ),
            jitter=jitter_for(round_number, UPLOAD_SPREAD),
        )
        assert won(submitted_), submitted_.json
        row = ticket_row(app, ticket.reference)
        assert row.status == "awaiting_review"
        history = actions_of(app, ticket.reference)
        if won(uploaded):
            # It came first, so the submission counted it and the flags saw it.
            assert history.index("evidence_uploaded") < history.index("submitted")
            assert "duplicate_evidence" in row.flags
            assert len(evidence_keys(app, row.id)) == 1
            tally("uploaded, then submitted")
        else:
            assert refused(uploaded), uploaded.json
            assert "evidence_uploaded" not in history and "duplicate_evidence" not in row.flags
            assert evidence_keys(app, row.id) == set()
            tally("submitted first, upload refused")
        assert stored_keys(app, row.id) == evidence_keys(app, row.id)  # no object without its row


def test_an_upload_racing_a_withdrawal_is_before_it_or_refused(app, make_ticket, pdf_bytes, tally):
    for round_number in range(ROUNDS):
        ticket = make_ticket()
        uploaded, withdrawn = race(
            app,
            upload(
                ticket.reference, ticket.headers, "passport", unique_pdf(pdf_bytes), "passport.pdf"
            ),
            withdraw(ticket),
            jitter=jitter_for(round_number, UPLOAD_SPREAD),
        )
        assert won(withdrawn), withdrawn.json
        row = ticket_row(app, ticket.reference)
        assert row.status == "withdrawn"
        history = actions_of(app, ticket.reference)
        if won(uploaded):
            assert history.index("evidence_uploaded") < history.index("withdrawn")
            tally("uploaded, then withdrawn")
        else:
            assert refused(uploaded), uploaded.json
            assert "evidence_uploaded" not in history and evidence_keys(app, row.id) == set()
            tally("withdrawn first, upload refused")
        assert stored_keys(app, row.id) == evidence_keys(app, row.id)


def test_information_racing_a_submission_is_before_it_and_seen_or_refused(app, make_ticket, tally):
    # NO_PAYMENTS asks for the email, user name and contact address as information items.
    for round_number in range(ROUNDS):
        ticket = make_ticket(NO_PAYMENTS)
        changed, submitted_ = race(
            app,
            put(
                f"/tickets/{ticket.reference}/information",
                ticket.headers,
                {"email": "li.wei@example.com"},
            ),
            post(
                f"/tickets/{ticket.reference}/submit", ticket.headers, {"explanation": EXPLANATION}
            ),
            jitter=jitter_for(round_number),
        )
        assert won(submitted_), submitted_.json
        row = ticket_row(app, ticket.reference)
        history = actions_of(app, ticket.reference)
        with app.app_context():
            missing = db.session.scalar(
                select(Event.details).where(Event.ticket_id == row.id, Event.action == "submitted")
            )["missing"]
        if won(changed):
            assert history.index("information_updated") < history.index("submitted")
            assert row.information["email"] == "li.wei@example.com"
            assert "email" not in missing  # the submission read it
            tally("information, then submitted")
        else:
            assert refused(changed), changed.json
            assert "information_updated" not in history and "email" not in row.information
            assert "email" in missing
            tally("submitted first, information refused")
