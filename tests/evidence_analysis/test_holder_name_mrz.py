"""End to end: the `holder_name` typed at creation against a Chinese passport's MRZ (api.md
"Evidence analysis", `name_mismatch`). The name in Han characters is compared through its
pinyin, so 张伟 is the passport's ZHANG<<WEI and 李娜 is not. Jobs run eagerly in tests:
the analysis has run when the upload answers."""

from __future__ import annotations

import random

import pytest

from tests.analysis import synthetic as S
from tests.analysis.conftest import needs_tesseract
from tests.evidence_analysis.conftest import photo
from tests.evidence_analysis.test_wiring import item_of, reviewer_view, upload


@pytest.fixture(scope="session")
def zhang_wei_passport() -> bytes:
    """A Chinese passport, valid until 2034, whose MRZ names ZHANG<<WEI."""
    lines = S.mrz_td3("ZHANG", "WEI", "E12345678", "900214", "340101", country="CHN", sex="M")
    return photo(S.passport(random.Random("zhang-wei"), lines=lines), "zhang-wei")


def read_name(reviewer, reference: str, evidence_id: str) -> dict:
    seen = item_of(reviewer_view(reviewer, reference), evidence_id)
    mrz = seen["extracted"]["mrz"]
    # The test is about the comparison: the MRZ itself must have been read right.
    assert (mrz["surname"], mrz["given_names"], mrz["check_digits_valid"]) == (
        "ZHANG",
        "WEI",
        True,
    )
    return seen


@needs_tesseract
def test_the_same_name_in_han_characters_is_no_mismatch(make_ticket, reviewer, zhang_wei_passport):
    ticket = make_ticket(holder_name="张伟")
    evidence_id = upload(ticket, "passport", zhang_wei_passport)
    item = item_of(ticket.get(), evidence_id)
    assert item["analysis"] == "done"
    assert "name_mismatch" not in [f["code"] for f in item["findings"]]
    seen = read_name(reviewer, ticket.reference, evidence_id)
    assert "name_mismatch" not in [f["code"] for f in seen["findings"]]


@needs_tesseract
def test_a_different_name_in_han_characters_is_a_mismatch(
    make_ticket, reviewer, zhang_wei_passport
):
    ticket = make_ticket(holder_name="李娜")
    evidence_id = upload(ticket, "passport", zhang_wei_passport)
    item = item_of(ticket.get(), evidence_id)
    assert item["analysis"] == "done"
    assert [f["code"] for f in item["findings"]] == ["name_mismatch"]
    assert item["findings"][0]["severity"] == "warning"  # not one letter apart
    assert "ZHANG" not in str(item)  # what was read is for reviewers only
    seen = read_name(reviewer, ticket.reference, evidence_id)
    words = {f["code"]: f["message"] for f in seen["findings"]}
    assert "WEI ZHANG" in words["name_mismatch"] and "李娜" in words["name_mismatch"]
