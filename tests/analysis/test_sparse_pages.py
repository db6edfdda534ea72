"""A born-digital PDF page with a few lines of text is not blurred: blank paper is not blur
(issue 13; a newcomer's statement of four lines was told to "hold the phone steady")."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from tests.analysis import synthetic as S
from triage.analysis import quality
from triage.analysis.analyse import analyse

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
TODAY = date(2026, 12, 4)


def page(lines: int, blur: float = 0) -> Image.Image:
    """An A4 page at 150 dpi with `lines` lines of text near the top, as a PDF renders."""
    image = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(image)
    face = S.font(S.SANS, 28)
    for n in range(lines):
        draw.text(
            (120, 140 + 48 * n), f"Statement line {n}: 2026-11-0{n % 9 + 1}  $12.3{n}", 0, face
        )
    return image.filter(ImageFilter.GaussianBlur(blur)) if blur else image


def pdf(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PDF", resolution=150)
    return out.getvalue()


def test_a_page_of_four_lines_is_not_blurry():
    measures, found = quality.assess(S.png(page(4)))
    assert measures.sharpness is not None and measures.sharpness >= quality.BLUR_VARIANCE
    assert "blurry" not in {f.code for f in found}


def test_the_same_page_blurred_is_blurry():
    _, found = quality.assess(S.png(page(4, blur=4)))
    assert "blurry" in {f.code for f in found}


def test_a_blank_page_has_nothing_to_judge():
    measures, found = quality.assess(S.png(page(0)))
    assert measures.sharpness is None
    assert found == []


def test_the_sample_statement_pdf_has_no_finding():
    data = (SAMPLES / "statement.pdf").read_bytes()
    assert analyse(data, "application/pdf", "consumption_proof", [], TODAY).codes == []


def test_a_sparse_pdf_page_has_no_finding():
    assert analyse(pdf(page(3)), "application/pdf", "consumption_proof", [], TODAY).codes == []
