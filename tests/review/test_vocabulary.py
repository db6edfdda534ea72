"""One vocabulary (issue 10, item 2): statuses, reasons, flags and the upload policy are each
defined once, and pages, scripts and API clients receive those definitions, not copies."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest

from forms.review import EvidenceReviewForm, QueueFilterForm
from tests.review.helpers import sign_in
from tests.tickets.conftest import create_on_web
from triage.errors import STATUS, FileRefused, StoreUnavailable, TriageError
from triage.evidence import checks, policy
from triage.evidence.reasons import REASON_LABELS, REASON_TABLE, REASONS
from triage.tickets import status as st
from triage.tickets.flags import FLAG_WORDS, FLAGS

ROOT = Path(__file__).resolve().parents[2]


def _page(response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.text
    return lxml.html.fromstring(response.text)


def _text(element) -> str:
    return " ".join(element.text_content().split())


# --- the upload policy reaches the page and the script ------------------------------------


def _ticket_page(client) -> lxml.html.HtmlElement:
    reference, _ = create_on_web(client)
    return _page(client.get(f"/tickets/{reference}"))


def _upload_forms(page: lxml.html.HtmlElement) -> list:
    return page.xpath("//form[contains(concat(' ', @class, ' '), ' upload-form ')]")


def test_every_upload_form_carries_the_policy_as_data_attributes(client):
    page = _ticket_page(client)
    forms = _upload_forms(page)
    assert len(forms) >= 2  # one per document item, and "Add another document"
    for form in forms:
        assert form.get("data-max-bytes") == str(policy.MAX_FILE_BYTES)
        assert form.get("data-extensions").split() == list(policy.EXTENSIONS)
        assert form.get("data-image-extensions").split() == list(policy.IMAGE_EXTENSIONS)
        # The words for them, in the page's language (English here).
        assert form.get("data-max-words") == "5 MB"
        assert form.get("data-extension-words") == policy.extension_words()
        (file_input,) = form.xpath(".//input[@type='file']")
        assert file_input.get("accept") == policy.ACCEPT_ATTRIBUTE
    assert f"{policy.extension_words()}, up to 5 MB each." in _text(page)


def test_the_start_page_states_the_policy_it_is_given(client):
    text = _text(_page(client.get("/")))
    assert f"({policy.extension_words()}, up to 5 MB each)" in text


def test_the_upload_script_reads_the_policy_instead_of_repeating_it():
    script = (ROOT / "static/js/upload.js").read_text(encoding="utf-8")
    for attribute in ("maxBytes", "maxWords", "extensions", "extensionWords", "imageExtensions"):
        assert f"data.{attribute}" in script
    assert '"docx"' not in script and '"jpeg"' not in script
    assert str(policy.MAX_FILE_BYTES) not in script


# Runs static/js/upload.js without a browser: its IIFE is given a stub window and document
# (with the page's words for the script, if it has them), and hands back the two functions
# that read a form's policy and judge a file.
_HARNESS = r"""
const fs = require("fs");
let src = fs.readFileSync(process.argv[1], "utf8");
const end = src.lastIndexOf("})();");
const hand = "globalThis.t = { policyOf: policyOf, refusal: refusal };";
src = src.slice(0, end) + hand + src.slice(end);
const { dataset, files, words } = JSON.parse(process.argv[2]);
globalThis.window = { FormData: 1, XMLHttpRequest: 1, DOMParser: 1 };
globalThis.document = {
  querySelectorAll: () => [],
  addEventListener() {},
  getElementById: (id) => (id === "upload-words" ? { textContent: words } : null),
  documentElement: { lang: "en" },
};
eval(src);
const policy = t.policyOf({ dataset: dataset });
console.log(JSON.stringify(files.map((f) => t.refusal(f, policy))));
"""


def _script_refusals(attributes: dict[str, str], files: list[dict], words: str) -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs Node.js (apt install nodejs)")
    dataset = {
        re.sub(r"-(\w)", lambda m: m.group(1).upper(), name.removeprefix("data-")): value
        for name, value in attributes.items()
        if name.startswith("data-")
    }
    argument = json.dumps({"dataset": dataset, "files": files, "words": words})
    script = str(ROOT / "static/js/upload.js")
    done = subprocess.run(
        [node, "-e", _HARNESS, script, argument], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_the_script_refuses_what_the_server_refuses_with_the_policy_on_the_page(client):
    page = _ticket_page(client)
    form = _upload_forms(page)[0]
    words = "".join(page.xpath("//script[@id='upload-words']/text()")) or "{}"
    over = policy.MAX_FILE_BYTES + 1
    files = [
        {"name": "setup.exe", "size": 2},
        {"name": "big-scan.pdf", "size": over},
        {"name": "full-scan.pdf", "size": policy.MAX_FILE_BYTES},
    ]
    wrong_type, too_big, at_limit = _script_refusals(dict(form.attrib), files, words)
    with pytest.raises(FileRefused) as server:
        checks.check_upload("setup.exe", b"MZ")
    assert wrong_type == server.value.message
    assert too_big.startswith(
        f"“big-scan.pdf” is {over:,} bytes, larger than the 5 MB "
        f"({policy.MAX_FILE_BYTES:,} bytes) limit for one file."
    )
    assert at_limit == ""
    # Another policy on the page is another rule in the script: nothing is built in.
    smaller = policy.UploadPolicy(max_file_bytes=1024, extensions=("pdf",)).data_attributes()
    too_big, wrong_type = _script_refusals(
        smaller, [{"name": "a.pdf", "size": 1025}, {"name": "a.png", "size": 1}], words
    )
    assert too_big.startswith("“a.pdf” is 1,025 bytes, larger than the 1 KB (1,024 bytes) limit")
    assert wrong_type.endswith("Please upload a .pdf file.")


# --- the vocabulary endpoint ----------------------------------------------------------------


def test_the_vocabulary_endpoint_is_the_python_definitions(client):
    response = client.get("/api/v1/vocabulary")
    assert response.status_code == 200
    body = response.json
    assert [s["status"] for s in body["statuses"]] == list(st.STATUSES)
    for entry in body["statuses"]:
        words = st.WORDS[entry["status"]]
        assert (entry["customer"], entry["reviewer"]) == (words.customer, words.reviewer)
        assert entry["actions"] == [
            action for action, t in st.TRANSITIONS.items() if entry["status"] in t.start
        ]
    assert body["transitions"] == {
        action: {"from": list(t.start), "to": t.to} for action, t in st.TRANSITIONS.items()
    }
    assert [r["code"] for r in body["reasons"]] == list(REASON_TABLE)
    assert {r["code"]: r["label"] for r in body["reasons"]} == REASON_LABELS
    assert {r["code"]: r["customer"] for r in body["reasons"]} == REASONS
    assert {f["flag"]: f["words"] for f in body["flags"]} == FLAG_WORDS
    assert body["errors"] == STATUS
    assert body["upload"] == policy.UploadPolicy().to_json()
    assert body["upload"]["max_file_bytes"] == 5_242_880
    assert body["upload"]["accept"] == policy.ACCEPT_ATTRIBUTE


def test_the_vocabulary_says_this_deployments_caps(app_config):
    from triage.app import create_app

    app = create_app({**app_config, "TICKET_MAX_FILES": 7, "TICKET_MAX_BYTES": 9 * 1024 * 1024})
    upload = app.test_client().get("/api/v1/vocabulary").json["upload"]
    assert (upload["ticket_max_files"], upload["ticket_max_bytes"]) == (7, 9 * 1024 * 1024)


# --- the reviewer's pages and forms use the same words --------------------------------------


def test_reviewer_forms_offer_the_defined_reasons_and_flags(app):
    with app.test_request_context():
        reasons = EvidenceReviewForm(meta={"csrf": False}).reason
        flags = QueueFilterForm().flag
    assert [(c.value, c.label) for c in reasons.choices][1:] == list(REASON_LABELS.items())
    assert [(c.value, c.label) for c in flags.choices][1:] == list(FLAG_WORDS.items())
    assert tuple(FLAG_WORDS) == FLAGS


def test_the_review_page_shows_the_defined_status_words(app, reviewer, submitted):
    ticket = submitted()
    browser = app.test_client()
    assert sign_in(browser, reviewer.email).status_code == 302
    page = _page(browser.get(f"/review/tickets/{ticket.reference}"))
    status = _text(page.xpath("//*[@id='ticket-status']//strong")[0])
    assert status == st.REVIEWER_WORDS[st.AWAITING_REVIEW]


def test_a_refusal_reads_the_status_words():
    with pytest.raises(TriageError) as caught:
        st.require(st.APPROVED, st.EDITABLE, "add files")
    assert caught.value.message == "You cannot add files while the ticket is approved."


# --- errors in one tree ---------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(STATUS))
def test_every_api_code_has_one_status(code):
    assert TriageError("x", code).status == STATUS[code]


def test_upload_refusals_and_store_failures_are_domain_errors():
    assert issubclass(FileRefused, TriageError) and issubclass(StoreUnavailable, TriageError)
    assert checks.FileRefused is FileRefused
    refused = FileRefused("file_too_large", "too big")
    assert (refused.status, refused.to_json()) == (
        413,
        {"error": {"code": "file_too_large", "message": "too big"}},
    )
    assert StoreUnavailable("gone").status == 503


# --- nothing repeats the limit --------------------------------------------------------------

# The number in its spellings, and the words pages and scripts would show for it.
_NUMBER = re.compile(r"5\s*\*\s*1024\s*\*\s*1024|5[_,]?242[_,]?880|5\s*<<\s*20")
_WORDS = re.compile(r"\b5\s*(?:MB|MiB)\b")


def _sources():
    for folder, suffixes in (
        ("triage", {".py"}),
        ("forms", {".py"}),
        ("config", {".py"}),
        ("templates", {".html"}),
        ("static/js", {".js"}),
    ):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in suffixes:
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_the_five_mib_limit_is_written_only_in_the_policy():
    repeats = [
        name
        for name, text in _sources()
        if name != "triage/evidence/policy.py" and _NUMBER.search(text)
    ]
    assert repeats == []
    shown = [
        name
        for name, text in _sources()
        if name.startswith(("templates/", "static/js/")) and _WORDS.search(text)
    ]
    assert shown == []
