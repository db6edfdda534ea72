"""`analyse`: what runs for which material, PDFs, budgets, and files it cannot read."""

from __future__ import annotations

import io
import random
from datetime import date

import pytest
from PIL import Image

from tests.analysis import synthetic as S
from tests.analysis.conftest import needs_tesseract
from triage.analysis import ocr
from triage.analysis.analyse import analyse, render_first_page
from triage.analysis.phash import PAGE_NEAR_IDENTICAL, hamming, page_hash, phash

TODAY = date(2026, 12, 4)


def photo(sample: S.Sample, seed: str) -> bytes:
    return S.jpeg(S.photographed(sample.image, random.Random(seed)))


@pytest.fixture(scope="module")
def specimen() -> bytes:
    return photo(S.passport(random.Random("specimen"), lines=S.SPECIMEN_TD3), "specimen")


@needs_tesseract
def test_the_specimen_passport_is_read(specimen: bytes) -> None:
    result = analyse(specimen, "image/jpeg", "passport", ["Anna Maria Eriksson"], TODAY)
    assert result.extracted["mrz"]["document_number"] == "L898902C3"
    assert result.extracted["mrz"]["check_digits_valid"] is True
    assert result.extracted["mrz"]["surname"] == "ERIKSSON"
    # Its expiry, 2012-04-15, is long past; the name typed matches in another order.
    assert result.codes == ["document_expired"]
    assert result.findings[0].values == {"expiry_date": "2012-04-15"}
    assert "card" not in result.extracted and result.phash


@needs_tesseract
def test_names_typed_are_compared(specimen: bytes) -> None:
    same = analyse(specimen, "image/jpeg", "passport", ["ERIKSSON Anna-Maria", ""], TODAY)
    assert "name_mismatch" not in same.codes
    other = analyse(specimen, "image/jpeg", "passport", ["Anna Eriksson", "Anna Maria Eriksson"],
                    TODAY)  # fmt: skip
    (mismatch,) = [f for f in other.findings if f.code == "name_mismatch"]
    assert mismatch.severity == "warning"
    assert mismatch.values == {"read": "ANNA MARIA ERIKSSON", "typed": ["Anna Eriksson"]}


@needs_tesseract
def test_a_wrong_check_digit_is_mrz_invalid() -> None:
    line1, line2 = S.mrz_td3("GARCIA", "TOMAS", "C1234567", "850315", "320101")
    broken = line2[:19] + str((int(line2[19]) + 1) % 10) + line2[20:]  # birth date's digit
    sample = S.passport(random.Random("broken"), lines=(line1, broken))
    result = analyse(photo(sample, "broken"), "image/jpeg", "passport", ["Tomas Garcia"], TODAY)
    assert result.codes == ["mrz_invalid"]
    assert "birth_date" in result.findings[0].values["failed_checks"]
    assert result.extracted["mrz"]["check_digits_valid"] is False


@needs_tesseract
def test_a_valid_current_passport_has_no_finding() -> None:
    lines = S.mrz_td3("MCDONALD", "SEAN", "C7654321", "800101", "310630", sex="M")
    sample = S.passport(random.Random("valid"), lines=lines)
    result = analyse(photo(sample, "valid"), "image/jpeg", "passport", ["Sean McDonald"], TODAY)
    assert result.codes == []
    assert result.extracted["mrz"]["expiry_date"] == "2031-06-30"


@needs_tesseract
def test_material_decides_what_is_read(specimen: bytes) -> None:
    # A passport photo uploaded as an authorization letter: quality and hash only.
    result = analyse(specimen, "image/jpeg", "authorization_letter", ["Someone"], TODAY)
    assert result.codes == [] and result.extracted == {} and result.skipped == []
    assert analyse(specimen, "image/jpeg", None, [], TODAY).extracted == {}


def test_a_pdf_first_page_is_rendered_and_judged() -> None:
    page = S.statement(random.Random("pdf")).image
    out = io.BytesIO()
    page.save(out, "PDF", resolution=150)
    data = out.getvalue()
    rendered = render_first_page(data)
    assert max(rendered.size) == 1754  # about 150 dpi for A4
    result = analyse(data, "application/pdf", "authorization_letter", [], TODAY)
    assert result.codes == [] and result.skipped == []
    assert len(result.phash) == 1024  # a PDF's first page: 4,096 bits of its ink
    assert hamming(result.phash, page_hash(page)) <= PAGE_NEAR_IDENTICAL
    # A blurred scan in a PDF is blurry; its pixel count is ours, never low_resolution.
    small = S.blur(S.small(S.statement(random.Random("pdf")), 500), 2).image
    out = io.BytesIO()
    small.save(out, "PDF", resolution=40)
    result = analyse(out.getvalue(), "application/pdf", None, [], TODAY)
    assert "blurry" in result.codes and "low_resolution" not in result.codes


def test_files_that_cannot_be_read_are_skipped_not_raised() -> None:
    result = analyse(b"\xff\xd8\xff\xe0 not really a jpeg", "image/jpeg", "passport", [], TODAY)
    assert result.findings == [] and result.phash is None
    assert result.skipped and result.skipped[0].startswith("decode:")
    result = analyse(b"%PDF-1.4 broken", "application/pdf", None, [], TODAY)
    assert result.skipped and "pdftoppm" in result.skipped[0]
    result = analyse(b"PK\x03\x04", "application/vnd.oasis.opendocument.text", None, [], TODAY)
    assert result.skipped == ["application/vnd.oasis.opendocument.text files are not analysed"]


def test_png_and_quality_without_reading() -> None:
    sample = S.small(S.card(random.Random("png")), 600)
    result = analyse(S.png(sample.image), "image/png", None, [], TODAY)
    assert result.codes == ["low_resolution"]
    assert result.findings[0].values["width"] == 600


@needs_tesseract
def test_the_time_budget_is_kept(specimen: bytes) -> None:
    result = analyse(specimen, "image/jpeg", "passport", [], TODAY, budget_seconds=0.0)
    assert result.skipped == ["mrz: out of time"]
    assert result.phash  # quality and the hash always run


def test_without_tesseract_reading_is_skipped(
    specimen: bytes, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract on this PATH
    ocr.available.cache_clear()
    try:
        result = analyse(specimen, "image/jpeg", "card_front", [], TODAY)
    finally:
        monkeypatch.undo()
        ocr.available.cache_clear()
    assert result.skipped == ["card: tesseract is not installed"]
    assert result.phash


def test_exif_rotated_photo_is_analysed_upright() -> None:
    sample = S.card(random.Random("exif"))
    stored = sample.image.rotate(90, expand=True)  # turned a quarter counter-clockwise
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    data = S.jpeg(stored, exif=exif)
    upright = analyse(data, "image/jpeg", None, [], TODAY)
    assert hamming(upright.phash, phash(sample.image)) <= 4
    sideways = analyse(S.jpeg(stored), "image/jpeg", None, [], TODAY)
    assert hamming(sideways.phash, phash(sample.image)) > 8
