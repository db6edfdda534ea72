"""Reading text with Tesseract; card numbers and their masked preview (api.md, issue 13).

Tesseract is Debian's `tesseract-ocr` with English and Simplified Chinese data (`make
install` puts them there), driven through pytesseract, each run under a timeout.

Card numbers (api.md `card_number_visible`): 13 to 19 digits, in groups separated by a
space or a dash, passing the Luhn check (ISO/IEC 7812-1, annex B). Only the first six
(the issuer identification number) and the last four are ever kept: the full number is in
no returned structure, exception message or log line (api.md: "no full card number is
ever stored outside the file itself, logged or returned"). Pure: no Flask.
"""

from __future__ import annotations

import functools
import io
import os
import re
import shutil
import time
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageOps

# One thread per Tesseract: its OpenMP threads fight each other and the other workers on
# a busy machine (a card took 1.5 s with them, 0.6 s without, on 2 shared cores; Tesseract's
# own advice for running several at once). Set only if the deployment has not chosen.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

LANGUAGES = "eng+chi_sim"
# Card numbers are read in English only: the Chinese model reads digit groups no better
# and costs several times as much.
CARD_LANGUAGES = "eng"
MRZ_WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
MIN_CARD_DIGITS, MAX_CARD_DIGITS = 13, 19
# Groups of digits with one space or dash between them (a run of them is a candidate).
_RUN = re.compile(r"\d+(?:[ \-]\d+)*")


class OCRUnavailable(Exception):
    """Tesseract (or a language's data) is not installed here."""


class OCRTimeout(Exception):
    """Tesseract did not finish within its time."""


@functools.lru_cache(maxsize=8)
def available(languages: str = LANGUAGES) -> bool:
    """Whether Tesseract and every language of `languages` are installed (asked once per
    process)."""
    if shutil.which("tesseract") is None:
        return False
    import pytesseract

    try:
        installed = set(pytesseract.get_languages(config=""))
    except Exception:  # a broken installation reads as none
        return False
    return set(languages.split("+")) <= installed


@dataclass(frozen=True)
class Word:
    """One word Tesseract read, with its box in the picture's pixels."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float
    line: tuple[int, int, int]  # (block, paragraph, line): words of one line share it


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    width: int
    height: int


def _config(psm: int, whitelist: str | None, extra: str | None = None) -> str:
    config = f"--psm {psm}"
    if whitelist:
        config += f" -c tessedit_char_whitelist={whitelist}"
    if extra:
        config += f" {extra}"
    return config


def _run(function, image: Image.Image, **kwargs):  # type: ignore[no-untyped-def]
    import pytesseract

    if shutil.which("tesseract") is None:
        raise OCRUnavailable("tesseract is not installed")
    # pytesseract hands Tesseract a temporary file in the picture's format, PNG by default:
    # compressing a 12-megapixel photo took longer than reading it (about 1.6 s of a card's
    # analysis; benchmarks/analysis_cost.py). PPM is written as it is.
    image = image.convert("RGB") if image.mode not in ("1", "L", "RGB") else image.copy()
    image.format = "PPM"
    try:
        return function(image, **kwargs)
    except RuntimeError as exc:  # pytesseract's timeout
        if "timeout" in str(exc).lower():
            raise OCRTimeout("tesseract ran out of time") from None
        raise
    except pytesseract.TesseractError as exc:
        # Its message can quote what was read; keep only the status.
        raise OCRUnavailable(f"tesseract failed (status {exc.status})") from None


def read_text(
    image: Image.Image,
    *,
    languages: str = LANGUAGES,
    psm: int = 3,
    whitelist: str | None = None,
    timeout: float = 10.0,
) -> str:
    """The text of a picture (Tesseract page segmentation mode `psm`)."""
    import pytesseract

    return _run(
        pytesseract.image_to_string,
        image,
        lang=languages,
        config=_config(psm, whitelist),
        timeout=max(timeout, 0.1),
    )


def read_words(
    image: Image.Image,
    *,
    languages: str = CARD_LANGUAGES,
    psm: int = 11,
    whitelist: str | None = None,
    timeout: float = 10.0,
    extra: str | None = None,
) -> list[Word]:
    """Every word read, with its box (pytesseract.image_to_data). psm 11: sparse text,
    which finds a card's digit groups wherever they are printed."""
    import pytesseract

    data = _run(
        pytesseract.image_to_data,
        image,
        lang=languages,
        config=_config(psm, whitelist, extra),
        timeout=max(timeout, 0.1),
        output_type=pytesseract.Output.DICT,
    )
    words = []
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        if not text:
            continue
        words.append(
            Word(
                text=text,
                left=int(data["left"][i]),
                top=int(data["top"][i]),
                width=int(data["width"][i]),
                height=int(data["height"][i]),
                confidence=float(data["conf"][i]),
                line=(int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i])),
            )
        )
    return words


# --- card numbers -----------------------------------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """The Luhn check (ISO/IEC 7812-1): from the right, every second digit doubled (minus 9
    when over 9); the total is a multiple of 10."""
    if not digits.isdigit():
        return False
    total = 0
    for position, ch in enumerate(reversed(digits)):
        value = int(ch)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


@dataclass(frozen=True)
class CardNumber:
    """A card number that was readable: its first six and last four digits only."""

    first6: str
    last4: str
    length: int
    full_number_visible: bool = True

    def as_dict(self) -> dict[str, object]:
        """api.md `extracted.card`."""
        return {
            "first6": self.first6,
            "last4": self.last4,
            "full_number_visible": self.full_number_visible,
        }


def _card_spans(groups: list[str]) -> list[tuple[int, int]]:
    """(start, end) group indices whose joined digits are a Luhn-valid card number,
    longest first, not overlapping."""
    found: list[tuple[int, int]] = []
    used: set[int] = set()
    spans = []
    for start in range(len(groups)):
        length = 0
        for end in range(start, len(groups)):
            length += len(groups[end])
            if length > MAX_CARD_DIGITS:
                break
            if length >= MIN_CARD_DIGITS:
                spans.append((start, end + 1, length))
    for start, end, _ in sorted(spans, key=lambda s: -s[2]):
        if used & set(range(start, end)):
            continue
        if luhn_valid("".join(groups[start:end])):
            found.append((start, end))
            used |= set(range(start, end))
    return sorted(found)


def card_numbers(text: str) -> list[CardNumber]:
    """The card numbers readable in `text`: runs of digit groups (a space or a dash
    between groups) of 13 to 19 digits that pass the Luhn check; each as first6/last4."""
    found = []
    for match in _RUN.finditer(text):
        groups = re.split(r"[ \-]", match.group())
        for start, end in _card_spans(groups):
            digits = "".join(groups[start:end])
            found.append(CardNumber(first6=digits[:6], last4=digits[-4:], length=len(digits)))
    return found


def _line_groups(words: list[Word]) -> list[list[Word]]:
    """Words of each line in reading order, digit-only words (dashes allowed) kept."""
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for word in words:
        if re.fullmatch(r"[\d\-]+", word.text) and any(c.isdigit() for c in word.text):
            lines.setdefault(word.line, []).append(word)
    return [sorted(line, key=lambda w: w.left) for line in lines.values()]


def cards_in_words(words: list[Word]) -> tuple[list[CardNumber], list[Box]]:
    """Card numbers among OCR words, and the boxes covering each one's middle digits.

    The words of one line are joined; where a run of them is a Luhn-valid number, the
    digits after the first six and before the last four are located in their words and
    a box covers them (a word's width shared equally between its characters, which holds
    for the monospaced embossing and printing of cards).
    """
    cards: list[CardNumber] = []
    boxes: list[Box] = []
    for line in _line_groups(words):
        parts = [re.sub(r"\D", "", w.text) for w in line]
        for start, end in _card_spans(parts):
            digits = "".join(parts[start:end])
            cards.append(CardNumber(first6=digits[:6], last4=digits[-4:], length=len(digits)))
            hide_from, hide_to = 6, len(digits) - 4  # digit indices hidden: [from, to)
            offset = 0
            for word, part in zip(line[start:end], parts[start:end], strict=True):
                lo, hi = max(hide_from - offset, 0), min(hide_to - offset, len(part))
                if lo < hi:
                    step = word.width / len(word.text)
                    # Character positions in the word's text (dashes take room too).
                    positions = [i for i, c in enumerate(word.text) if c.isdigit()]
                    first, last = positions[lo], positions[hi - 1]
                    pad = max(2, word.height // 6)
                    boxes.append(
                        Box(
                            left=int(word.left + first * step) - pad,
                            top=word.top - pad,
                            width=int((last - first + 1) * step) + 2 * pad,
                            height=word.height + 2 * pad,
                        )
                    )
                offset += len(part)
    return cards, boxes


def masked_preview(image: Image.Image, boxes: list[Box], longest_side: int = 1400) -> bytes:
    """A PNG of `image` with every box painted over (the middle digits of a card number),
    downscaled to `longest_side`, for reviewers. The boxes are in `image`'s pixels."""
    masked = image.convert("RGB")
    draw = ImageDraw.Draw(masked)
    for box in boxes:
        draw.rectangle(
            (box.left, box.top, box.left + box.width, box.top + box.height), fill=(40, 40, 40)
        )
    masked.thumbnail((longest_side, longest_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # Level 1: a larger file than the default's, written in a fraction of its time (about
    # 1.7 s of a card's analysis at level 6); it is seen only by reviewers, once or twice.
    masked.save(out, "PNG", compress_level=1)
    return out.getvalue()


def find_cards(image: Image.Image, timeout: float = 10.0) -> tuple[list[CardNumber], list[Box]]:
    """Card numbers readable in a picture and the boxes (in its pixels) hiding their
    middle digits.

    Tesseract binarises the whole picture with one threshold (Otsu), which loses light
    print on some card colours beside some desks: of two generated cards, one read in
    colour and nothing in grey, the other the reverse. So up to three readings are tried,
    stopping at the first that finds a number: colour; grey with the contrast stretched
    (1 % clipped at each end, which also helps an under-exposed photo); grey with
    Tesseract's local (Sauvola) threshold. A card with its middle digits covered costs
    all three.
    """
    grey = ImageOps.autocontrast(image.convert("L"), cutoff=1)
    attempts = ((image, None), (grey, None), (grey, "-c thresholding_method=2"))
    deadline = time.monotonic() + timeout
    found: tuple[list[CardNumber], list[Box]] = ([], [])
    for picture, extra in attempts:
        left = deadline - time.monotonic()
        if left <= 0.2:
            break
        found = cards_in_words(read_words(picture, timeout=left, extra=extra))
        if found[0]:
            break
    return found
