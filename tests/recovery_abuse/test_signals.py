"""Look-alike names against `repeat_request` and `velocity` (recovery.md "Signals")."""

from __future__ import annotations

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.recovery_abuse.helpers import row

NAMES = [
    "acme-cloud",
    "\uff21\uff23\uff2d\uff25-cloud",
    "acme\u200b-cloud\u2066",
    " Acme-Cloud\u00ad ",
]
EMAILS = ["Mal@Example.com", "mal@example.com", "\uff4dal@example.com", "MAL@EXAMPLE.COM"]


def test_look_alike_names_are_one_account(app, submitted):
    tickets = [
        submitted(
            CHANGE_DIRECT_AUTHENTICATED,
            files=[],
            explanation="lost",
            account_name=name,
            contact_email=f"c{i}@example.com",
        )
        for i, name in enumerate(NAMES)
    ]
    flags = [row(app, t.reference).flags for t in tickets]
    assert "repeat_request" not in flags[0]
    assert all("repeat_request" in f for f in flags[1:]), flags
    assert "velocity" in flags[3], flags


def test_look_alike_contacts_are_one_sender(app, submitted):
    tickets = [
        submitted(
            CHANGE_DIRECT_AUTHENTICATED,
            files=[],
            explanation="lost",
            account_name=f"acct-{i}",
            contact_email=email,
        )
        for i, email in enumerate(EMAILS)
    ]
    assert "velocity" in row(app, tickets[3].reference).flags


import pytest  # noqa: E402

from tests.review.second_helpers import dispute, first_approved  # noqa: E402


@pytest.mark.parametrize("first_state", ["awaiting_second_approval", "disputed"])
def test_a_repeat_while_the_first_waits_for_a_lead_or_is_disputed(
    app, reviewer, submitted, first_state
):
    """The owner said "this was not me" (or a lead has yet to look): a second request for
    the same account, under a look-alike name, is a repeat of an open ticket."""
    first = submitted(CHANGE_DIRECT_AUTHENTICATED)
    first_approved(reviewer, first)
    if first_state == "disputed":
        dispute(app, first.reference)
    again = submitted(
        CHANGE_DIRECT_AUTHENTICATED, account_name="ACME-cloud", contact_email="x@example.net"
    )
    assert "repeat_request" in row(app, again.reference).flags, row(app, again.reference).flags
