"""Customer-controlled text inside the workbench's regions (answered as JSON and swapped in
by workbench.js through `template.innerHTML`) and the history: always escaped."""

from __future__ import annotations

import re

from tests.break_workbench.conftest import browser, post_form, visit_urls
from tests.review.helpers import evidence_ids, unique_pdf, unique_png

PAYLOAD = '"><img src=x onerror=alert(1)><script>alert(2)</script><!--/region:history-->'
RAW = re.compile(r"<img src=x|<script>alert|onerror=alert\(1\)>")


def _no_raw(html: str, where: str) -> None:
    assert not RAW.search(html), f"unescaped customer text in {where}: {RAW.search(html).group(0)}"


def test_customer_text_is_escaped_in_every_region(app, reviewer, make_ticket, pdf_bytes):
    ticket = make_ticket(
        account_name="acct" + PAYLOAD[:60],
        description=PAYLOAD,
        holder_name="Zhang" + PAYLOAD[:80],
    )
    name = "<img src=x onerror=alert(1)>&lt;b&gt;"  # no slash or quote: a file name
    assert ticket.upload("passport", unique_pdf(pdf_bytes), name + ".pdf").status_code == 201
    assert ticket.upload("card_front", unique_png(), name + ".png").status_code == 201
    for key in ("user_name", "phone_number", "billing_address"):
        ticket.put_information({key: PAYLOAD[:150]})  # taken or refused: both are fine
    assert ticket.submit(PAYLOAD).status_code == 200
    assert reviewer.claim().status_code == 200
    client = browser(app, reviewer)
    page_path = f"/review/tickets/{ticket.reference}"
    page = client.get(page_path)
    assert page.status_code == 200
    _no_raw(page.text, "the page")
    ids = evidence_ids(ticket)
    for evidence_id in ids.values():  # reads, so the history names the files
        for url in visit_urls(page.text, evidence_id)[:1]:
            client.get(url)
    passport = ids["passport"]
    response = post_form(
        client,
        f"/review/evidence/{passport}/review",
        page_path,
        {
            f"ev-{passport}-decision": "rejected",
            f"ev-{passport}-reason": "glare",
            f"ev-{passport}-note": PAYLOAD,
        },
    )
    assert response.status_code == 200, response.json
    regions = response.json["regions"]
    assert "history" in regions
    for name, html in regions.items():
        _no_raw(html, f"region {name}")
    # The history region survived the fake end marker inside customer text.
    assert regions["history"].rstrip().endswith("</section>")
    for evidence_id in ids.values():  # the viewer's part, polled by the script
        preview = client.get(f"/review/evidence/{evidence_id}/preview")
        assert preview.status_code == 200
        _no_raw(preview.text, f"the preview of {evidence_id}")
        _no_raw(client.get(f"/review/evidence/{evidence_id}/pages").text, "the pages page")
