"""Every file of tests/fixtures/hunt (copied from the hunt, see its README) gets the answer
the hunt README asks for. The two large ones (scanned_id_3_pages.pdf, 3.9 MB, and
costly_render_30_pages.pdf, 2.6 MB) are not copied: their shapes are built in
test_intake_pdf.py."""

from __future__ import annotations

import pytest

from triage.evidence.checks import DOCX_TYPE, FileRefused, check_upload

EXPECTED = {
    "word_online_document2.docx": ("accepted", DOCX_TYPE),
    "ct_rels_then_sorted.docx": ("accepted", DOCX_TYPE),
    "statement_userpw_aes256.pdf": ("refused", "password_protected"),
    "contract_password_1234.docx": ("refused", "password_protected"),
    "invoice_with_macros.doc": ("refused", "unsupported_file_type"),
    "invoice_js_pseudo_encrypted.pdf": ("accepted", "application/pdf"),
    "card_header_only.jpg": ("refused", "damaged_file"),
    "truncated_half.pdf": ("refused", "damaged_file"),
    "huge_dimensions_20000px.png": ("refused", "damaged_file"),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_hunt_file_gets_the_answer_the_readme_asks_for(fixture_bytes, name: str) -> None:
    outcome, detail = EXPECTED[name]
    data = fixture_bytes(f"hunt/{name}")
    if outcome == "accepted":
        checked = check_upload(name, data)
        assert checked.content_type == detail
        if name == "invoice_js_pseudo_encrypted.pdf":
            assert checked.warnings == ("/JavaScript", "/JS", "/AA")
        else:
            assert checked.warnings == ()
    else:
        with pytest.raises(FileRefused) as caught:
            check_upload(name, data)
        assert caught.value.code == detail
        assert caught.value.message.startswith(f"“{name}”")
