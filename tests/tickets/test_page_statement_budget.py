"""The pages' upload path keeps the API's database budget (issue 10, item 3): the browser's
grant and the ticket are one SELECT, then the guarded UPDATE, the two INSERTs and the
commit, and nothing is read back after the commit to answer."""

from __future__ import annotations

import io

from tests.tickets.conftest import JPEG, form_token
from tests.tickets.test_statement_budget import COMMIT, request_part, statements, verbs


def post_files(client, reference: str, token: str, material: str, content: bytes, name: str):
    return client.post(
        f"/tickets/{reference}/evidence",
        data={"csrf_token": token, "material": material, "files": [(io.BytesIO(content), name)]},
        content_type="multipart/form-data",
    )


def test_a_page_upload_is_four_statements_and_the_commit(app, client, web_ticket, pdf_bytes):
    reference, _code = web_ticket
    token = form_token(client, f"/tickets/{reference}")
    with statements(app) as sent:
        response = post_files(client, reference, token, "passport", pdf_bytes, "scan.pdf")
    assert response.status_code == 302, response.text
    assert response.headers["Location"].endswith(f"/tickets/{reference}#item-passport")
    sent = request_part(sent)
    assert verbs(sent) == ["SELECT", "UPDATE", "INSERT", "INSERT", COMMIT], sent
    # The browser's grant is checked in the ticket's own SELECT.
    assert "ticket_grants" in sent[0] and "FROM tickets" in sent[0]


def test_a_second_page_upload_keeps_the_budget(app, client, web_ticket, pdf_bytes):
    reference, _code = web_ticket
    token = form_token(client, f"/tickets/{reference}")
    post_files(client, reference, token, "passport", pdf_bytes, "scan.pdf")
    with statements(app) as sent:
        response = post_files(client, reference, token, "card_front", JPEG, "card.jpg")
    assert response.status_code == 302, response.text
    assert verbs(request_part(sent)) == ["SELECT", "UPDATE", "INSERT", "INSERT", COMMIT], sent


def test_filing_on_the_page_writes_once_and_reads_nothing_after(app, client):
    from tests.tickets.conftest import UNFREEZE_FORM

    token = form_token(client, "/new/unfreeze")
    with statements(app) as sent:
        response = client.post("/new/unfreeze", data={**UNFREEZE_FORM, "csrf_token": token})
    assert response.status_code == 302, response.text
    request = sent[: sent.index(COMMIT) + 1]
    # The account's record is read first; the ticket goes in with its record and flags
    # (no UPDATE of the row just written), and a new ticket has no old grants to delete.
    assert "account_records" in request[0]
    assert set(verbs(request[1:-1])) == {"INSERT"}, request
    assert not any(s.startswith("UPDATE tickets") for s in request)
    assert not any(s.startswith("DELETE FROM ticket_grants") for s in request)
    # After the last commit (in tests, the eager email job's) the redirect needs no read.
    last = len(sent) - 1 - sent[::-1].index(COMMIT)
    assert sent[last + 1 :] == [], sent[last + 1 :]
