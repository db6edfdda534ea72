"""Card numbers: Luhn, first six and last four only, and a preview with the middle hidden."""

from __future__ import annotations

import io
import logging
import random
from datetime import date

import pytest
from PIL import Image

from tests.analysis import synthetic as S
from tests.analysis.conftest import needs_tesseract
from triage.analysis import ocr
from triage.analysis.analyse import analyse
from triage.analysis.ocr import Word, card_numbers, cards_in_words, luhn_valid

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("4111111111111111", True),  # Visa's test number
        ("5555555555554444", True),
        ("378282246310005", True),  # 15 digits (Amex test number)
        ("4222222222222", True),  # 13 digits
        ("6011111111111117", True),
        ("4111111111111112", False),
        ("79927398713", True),  # the Luhn article's own example
        ("79927398710", False),
        ("", False),
        ("4111-1111", False),
    ],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Card 4111 1111 1111 1111 exp 09/29", [("411111", "1111")]),
        ("4111-1111-1111-1111", [("411111", "1111")]),
        ("4111111111111111", [("411111", "1111")]),
        ("Amex 3782 822463 10005", [("378282", "0005")]),
        ("a 13-digit 4222222222222 one", [("422222", "2222")]),
        ("19 digits: 6011 0000 0000 0000 001", [("601100", "0001")]),
        ("4111 1111 1111 1112", []),  # Luhn fails
        ("Ref 411111111111", []),  # 12 digits: too short
        ("Masked 4111 11** **** 1111", []),
        ("Phone +86 138 0013 8000, order 2026-01-04", []),
        ("two: 4111111111111111 and 5555 5555 5555 4444", [("411111", "1111"), ("555555", "4444")]),
    ],
)
def test_card_numbers_in_text(text: str, found: list[tuple[str, str]]) -> None:
    assert [(c.first6, c.last4) for c in card_numbers(text)] == found


def test_a_card_number_keeps_only_its_ends() -> None:
    (card,) = card_numbers("4111 1111 1111 1111")
    assert card.as_dict() == {"first6": "411111", "last4": "1111", "full_number_visible": True}
    # Nowhere in the object: not in its fields, its repr or its dict.
    number = "4000123456789017"
    assert luhn_valid(number)
    (card,) = card_numbers(number)
    for shown in (repr(card), str(card.as_dict()), str(vars(card))):
        assert number not in shown and "123456" not in shown


def test_boxes_cover_the_middle_digits() -> None:
    line = (1, 1, 1)
    words = [
        Word("4111", 100, 50, 80, 20, 95.0, line),
        Word("1111", 200, 50, 80, 20, 95.0, line),
        Word("1111", 300, 50, 80, 20, 95.0, line),
        Word("1111", 400, 50, 80, 20, 95.0, line),
        Word("VALID", 100, 90, 80, 20, 95.0, (1, 1, 2)),
    ]
    cards, boxes = cards_in_words(words)
    assert [(c.first6, c.last4) for c in cards] == [("411111", "1111")]
    # Digits 7-12: the last two of the second group and all of the third.
    covered = sorted((b.left, b.left + b.width) for b in boxes)
    assert covered[0][0] <= 240 and covered[0][0] > 200 + 20  # from the 3rd char of group 2
    assert covered[-1][1] >= 380 and covered[-1][1] < 400 + 10  # to the end of group 3


@pytest.fixture(scope="module")
def card_photo() -> tuple[S.Sample, bytes]:
    rng = random.Random("card")
    sample = S.card(rng, number="4000123456789017")
    return sample, S.jpeg(S.photographed(sample.image, rng))


@needs_tesseract
def test_a_card_photo_gives_card_number_visible(
    card_photo: tuple[S.Sample, bytes], caplog: pytest.LogCaptureFixture
) -> None:
    _, data = card_photo
    with caplog.at_level(logging.DEBUG):
        result = analyse(data, "image/jpeg", "card_front", [], TODAY)
    assert result.codes == ["card_number_visible"]
    (finding,) = result.findings
    assert (finding.severity, finding.values["first6"], finding.values["last4"]) == (
        "warning",
        "400012",
        "9017",
    )
    assert result.extracted == {
        "card": {"first6": "400012", "last4": "9017", "full_number_visible": True}
    }
    # The full number is nowhere in what is returned or logged.
    everything = repr(result.findings) + repr(result.extracted) + repr(result.skipped)
    assert "4000123456789017" not in everything and "3456" not in everything
    assert "4000123456789017" not in caplog.text and "3456 78" not in caplog.text

    # The reviewer's preview: OCR no longer reads the full number, the ends still show.
    assert result.masked_preview is not None
    preview = Image.open(io.BytesIO(result.masked_preview))
    assert preview.format == "PNG"
    text = ocr.read_text(preview, languages="eng", psm=11)
    assert card_numbers(text) == []
    assert "0123456789" not in text.replace(" ", "")
    assert "4000" in text and "9017" in text


@needs_tesseract
def test_a_card_with_its_middle_covered_gives_nothing() -> None:
    rng = random.Random("covered")
    sample = S.card(rng, covered=True)
    result = analyse(S.jpeg(S.photographed(sample.image, rng)), "image/jpeg", "card_front", [],
                     TODAY)  # fmt: skip
    assert result.codes == [] and result.extracted == {} and result.masked_preview is None


@needs_tesseract
def test_read_text_in_english_and_chinese() -> None:
    from PIL import ImageDraw

    image = Image.new("RGB", (900, 200), "white")
    ImageDraw.Draw(image).text((20, 60), "UTOPIA BANK 2026", font=S.font(S.SANS, 60), fill="black")
    assert "UTOPIA BANK" in ocr.read_text(image)  # eng+chi_sim by default
    assert ocr.available("eng+chi_sim")
