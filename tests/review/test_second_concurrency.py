"""Second approval under concurrency (recovery.md "Second approval", api.md "Statuses").

Every second approval is one conditional UPDATE from `awaiting_second_approval`: of two
leads acting at once exactly one wins and the other answers `409 invalid_state`; a
customer's withdrawal and a lead's approval never both win. The actions are fired
together from real threads (tests/state's `race`), on SQLite by default and PostgreSQL
with TEST_DATABASE_URL.
"""

from __future__ import annotations

from collections import Counter

from tests.review.second_helpers import CHANGE, events, first_approved, notifications, row
from tests.state.conftest import jitter_for, post, race, refused, won

ROUNDS = 8


def _second(reference: str, headers, decision: str, note: str | None = None):
    body = {"decision": decision, "note": note}
    return post(f"/tickets/{reference}/second-approval", headers, body)


def test_two_leads_approving_at_once_have_one_winner(app, reviewer, make_reviewer, submitted):
    leads = [make_reviewer(f"lead{i}@example.com", role="lead") for i in range(2)]
    winners: Counter[str] = Counter()
    for round_number in range(ROUNDS):
        ticket = submitted(CHANGE, account_name=f"race-{round_number}")
        first_approved(reviewer, ticket)
        responses = race(
            app,
            *(_second(ticket.reference, r.headers, "approved", f"By {r.email}.") for r in leads),
            jitter=jitter_for(round_number),
        )
        won_by = [lead for lead, response in zip(leads, responses, strict=True) if won(response)]
        assert len(won_by) == 1, [r.status_code for r in responses]
        assert all(refused(r) for r in responses if not won(r)), [r.json for r in responses]
        (winner,) = won_by
        winners[winner.email] += 1
        committed = row(app, ticket.reference)
        assert committed.status == "approved"
        assert committed.second_approved_by_id == winner.id
        assert committed.second_approval_note == f"By {winner.email}."
        decided = events(app, ticket.reference, "decided")
        assert len(decided) == 1 and decided[0].details["second_approver"] == winner.email
        assert len(notifications(app, ticket.reference)) == 1  # one decision email
    print(f"\n  winners over {ROUNDS} rounds: {dict(winners)}")


def test_an_approval_and_a_refusal_at_once_have_one_winner(app, reviewer, make_reviewer, submitted):
    approver = make_reviewer("lead-a@example.com", role="lead")
    refuser = make_reviewer("lead-b@example.com", role="lead")
    for round_number in range(ROUNDS):
        ticket = submitted(CHANGE, account_name=f"race-{round_number}")
        first_approved(reviewer, ticket)
        approved, rejected = race(
            app,
            _second(ticket.reference, approver.headers, "approved"),
            _second(ticket.reference, refuser.headers, "rejected", "The name differs."),
            jitter=jitter_for(round_number),
        )
        assert won(approved) != won(rejected), (approved.status_code, rejected.status_code)
        loser = rejected if won(approved) else approved
        assert refused(loser), loser.json
        committed = row(app, ticket.reference)
        actions = [e.action for e in events(app, ticket.reference)]
        if won(approved):
            assert committed.status == "approved"
            assert "second_approval_refused" not in actions and actions.count("decided") == 1
        else:
            assert committed.status == "in_review"
            assert committed.claimed_by_id == reviewer.id
            assert committed.second_approval_note == "The name differs."
            assert actions.count("second_approval_refused") == 1 and "decided" not in actions


def test_a_withdrawal_and_a_second_approval_never_both_win(app, reviewer, lead, submitted):
    for round_number in range(ROUNDS):
        ticket = submitted(CHANGE, account_name=f"race-{round_number}")
        first_approved(reviewer, ticket)
        approved, withdrawn = race(
            app,
            _second(ticket.reference, lead.headers, "approved"),
            post(f"/tickets/{ticket.reference}/withdraw", ticket.headers),
            jitter=jitter_for(round_number),
        )
        assert won(approved) != won(withdrawn), (approved.status_code, withdrawn.status_code)
        loser = withdrawn if won(approved) else approved
        assert refused(loser), loser.json
        committed = row(app, ticket.reference)
        assert committed.status == ("approved" if won(approved) else "withdrawn")
        assert (committed.effective_at is not None) == won(approved)
