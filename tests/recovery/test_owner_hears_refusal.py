"""The registered owner hears how a change they were told of ended when it is refused
(recovery.md "Notice to the registered owner, and a waiting period": the owner's "not me"
"blocks the change until a lead decides again"; triage.recovery.notices). A lead's refusal
of a disputed change, and a reviewer's refusal of one the owner was warned of, send one
`owner_rejected` to the owner's address in the owner's language, without the note written
to the requester and without a link. An approval still sends `owner_approved`."""

from __future__ import annotations

from flask_babel import force_locale, gettext

from tests.recovery.conftest import (
    CONTACT,
    OWNER,
    html_part,
    links_in,
    notifications,
    press,
    record_of,
    set_columns,
    text_part,
    ticket_row,
)
from tests.review.helpers import evidence_ids

NOTE = "The passport scan does not match the record."  # the requester's note
TAGS = {"en": "en", "zh_Hans": "zh-Hans", "es": "es"}


def owner_rows(app, reference: str, kind: str = "owner_rejected") -> list[dict]:
    return [n for n in notifications(app, reference) if n["kind"] == kind]


def refused_subject(app, language: str) -> str:
    with app.app_context(), force_locale(language):
        return str(
            gettext("The change to your account %(account)s was refused", account="acme-cloud")
        )


def disputed(app, change_ticket, smtp, language: str | None = None, reviewer=None):
    """An account change the owner disputed through their notice's link (4 messages sent:
    ticket_created, owner_notice, disputed, owner_disputed). With `reviewer`, its files
    were accepted first, so that a lead may approve it."""
    made = change_ticket(language=language)
    [token] = links_in(smtp.to(OWNER)[-1])
    if reviewer is not None:
        assert reviewer.claim().json["reference"] == made.reference
        for evidence_id in evidence_ids(made.ticket).values():
            assert reviewer.review(evidence_id, "accepted").status_code == 200
    assert press(app.test_client(), token).status_code == 200
    assert ticket_row(app, made.reference).status == "disputed"
    smtp.wait_for(4, timeout=10)
    return made


def test_a_lead_refusing_a_disputed_change_tells_the_owner_once_in_their_language(
    app, change_ticket, smtp, lead
):
    made = disputed(app, change_ticket, smtp, language="es")
    answer = lead.decide(made.reference, "rejected", NOTE)
    assert answer.status_code == 200, answer.json
    assert ticket_row(app, made.reference).status == "rejected"

    [row] = owner_rows(app, made.reference)
    assert row["recipient"] == OWNER and row["language"] == "es"
    assert row["context"]["after_dispute"] is True
    smtp.wait_for(6, timeout=10)  # + decision, owner_rejected
    [message] = [m for m in smtp.to(OWNER) if m["Subject"].strip() == refused_subject(app, "es")]
    assert message["Content-Language"] == "es" and '<html lang="es">' in html_part(message)
    body = text_part(message)
    assert "acme-cloud" in body and "Un responsable de nuestro equipo" in body
    assert NOTE not in body and NOTE not in html_part(message)
    assert links_in(message) == []
    # The requester's refusal stays in the ticket's language, to the ticket's address.
    [decision] = [n for n in notifications(app, made.reference) if n["kind"] == "decision"]
    assert decision["recipient"] == CONTACT and decision["language"] == "en"


def test_a_refusal_of_a_disputed_change_in_the_default_language(app, change_ticket, smtp, lead):
    made = disputed(app, change_ticket, smtp)
    assert lead.decide(made.reference, "rejected", NOTE).status_code == 200
    smtp.wait_for(6, timeout=10)
    [message] = [m for m in smtp.to(OWNER) if "refused" in m["Subject"]]
    assert message["Subject"] == "The change to your account acme-cloud was refused"
    assert "A senior member of our team has checked it again and refused it." in text_part(message)
    assert "Nothing changes on your account" in text_part(message)
    assert "New mobile number: +44" in text_part(message)  # masked, as in the notice


def test_approving_a_disputed_change_still_sends_owner_approved(
    app, change_ticket, smtp, reviewer, lead, make_reviewer
):
    made = disputed(app, change_ticket, smtp, language="zh_Hans", reviewer=reviewer)
    assert lead.decide(made.reference, "approved", "Spoke to the owner.").status_code == 200
    other = make_reviewer("luis@example.com", role="lead")
    final = other.post(f"/tickets/{made.reference}/second-approval", {"decision": "approved"})
    assert final.status_code == 200, final.json
    [approved] = owner_rows(app, made.reference, "owner_approved")
    assert approved["recipient"] == OWNER and approved["language"] == "zh_Hans"
    assert owner_rows(app, made.reference) == []


def test_a_reviewer_refusing_a_change_the_owner_was_told_of_tells_the_owner(
    app, change_ticket, smtp, reviewer
):
    made = change_ticket(language="zh_Hans")
    smtp.wait_for(2, timeout=10)  # ticket_created, owner_notice
    assert reviewer.claim().json["reference"] == made.reference
    assert reviewer.decide(made.reference, "rejected", NOTE).status_code == 200

    [row] = owner_rows(app, made.reference)
    assert row["recipient"] == OWNER and row["language"] == "zh_Hans"
    assert row["context"]["after_dispute"] is False
    smtp.wait_for(4, timeout=10)  # + decision, owner_rejected
    [message] = [
        m for m in smtp.to(OWNER) if m["Subject"].strip() == refused_subject(app, "zh_Hans")
    ]
    assert message["Content-Language"] == TAGS["zh_Hans"]
    assert "我们已拒绝这项申请" in text_part(message)
    assert NOTE not in text_part(message) and links_in(message) == []


def test_a_second_approval_refused_is_not_a_final_refusal(app, change_ticket, smtp, reviewer, lead):
    made = change_ticket()
    assert reviewer.claim().json["reference"] == made.reference
    for evidence_id in evidence_ids(made.ticket).values():
        assert reviewer.review(evidence_id, "accepted").status_code == 200
    assert reviewer.decide(made.reference, "approved").status_code == 200
    back = lead.post(
        f"/tickets/{made.reference}/second-approval", {"decision": "rejected", "note": NOTE}
    )
    assert back.status_code == 200, back.json
    assert ticket_row(app, made.reference).status == "in_review"
    assert owner_rows(app, made.reference) == []


def test_no_owner_email_without_an_owner_address(app, change_ticket, smtp, lead, reviewer):
    # The registered email is the contact email: the requester's refusal reaches the owner.
    same = change_ticket(owner=CONTACT)
    assert reviewer.claim().json["reference"] == same.reference
    assert reviewer.decide(same.reference, "rejected", NOTE).status_code == 200
    assert owner_rows(app, same.reference) == []
    # No registered email on the record.
    none = change_ticket(owner=None)
    assert reviewer.claim().json["reference"] == none.reference
    assert reviewer.decide(none.reference, "rejected", NOTE).status_code == 200
    assert owner_rows(app, none.reference) == []
    # Disputed, then the record's registered email became the contact email.
    made = disputed(app, change_ticket, smtp)
    set_columns(app, made.reference, record=record_of(CONTACT))
    assert lead.decide(made.reference, "rejected", NOTE).status_code == 200
    assert owner_rows(app, made.reference) == []


def test_no_refusal_for_a_change_the_owner_never_heard_of(app, change_ticket, smtp, reviewer):
    """A record that arrived without its check's event: no notice was queued, so a refusal
    would close nothing the owner knows of."""
    made = change_ticket(record_status="pending")
    set_columns(app, made.reference, record=record_of(OWNER), record_status="matched")
    assert reviewer.claim().json["reference"] == made.reference
    assert reviewer.decide(made.reference, "rejected", NOTE).status_code == 200
    kinds = [n["kind"] for n in notifications(app, made.reference)]
    assert "owner_notice" not in kinds and "owner_rejected" not in kinds
