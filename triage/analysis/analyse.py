"""One entry point: what is inside a file, for the background job (api.md "Evidence analysis").

`analyse(data, content_type, kind_hint, typed_names, today)` decodes the picture (a JPEG or
PNG, or the first page of a PDF rendered by poppler's pdftoppm), then runs what the
material calls for, within a time budget:

- every picture: quality (`blurry`, `glare`, `too_dark`, `low_resolution`, the last not
  for PDFs, whose pixels are our rendering's) and the perceptual hash;
- cards and statements (`CARD_MATERIALS`): card numbers (`card_number_visible`,
  `extracted.card`, a masked preview for reviewers);
- identity documents (`MRZ_MATERIALS`): the machine-readable zone (`extracted.mrz`,
  `mrz_invalid`, `document_expired`) and the name against the names typed
  (`name_mismatch`).

`near_duplicate` and `same_as_rejected` need other tickets' files: the caller decides them
from `Analysis.phash` and the file's digest. Nothing here raises for a file it cannot read:
the Analysis says what was skipped and why. Pure: no Flask, no database.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image

from triage.analysis import IMAGE_TYPES, PDF_TYPE, ocr, phash, quality
from triage.analysis import mrz as mrz_module
from triage.analysis.names import names_match, nearly_match

log = logging.getLogger(__name__)

# materials.py keys. Card photos, and statements, which may print a full card number.
CARD_MATERIALS = frozenset(
    {"card_front", "card_transactions", "consumption_proof", "transaction_records"}
)
# Identity documents that carry an MRZ (a passport's data page, an ID card's back); the
# card holder's certificate is "the same identity document", often a passport.
MRZ_MATERIALS = frozenset({"passport", "card_holder_certificate", "id_card_back"})
# The whole analysis of one file; OCR steps get what is left of it.
BUDGET_SECONDS = 20.0
# The first page of a PDF: 150 dpi for an A4 page (1754 px long side), whatever its size.
PDF_LONG_SIDE = 1754
PDF_SECONDS = 10.0
PDF_CPU_SECONDS = 10
PDF_MEMORY_BYTES = 1024 * 1024 * 1024
# The MRZ is in the bottom part of a passport's data page (9303-4: the last 23.2 mm of
# 88 mm); the bottom 45 % of the picture allows for a photo with a margin around the page.
MRZ_REGION = 0.45
# The region is scaled to this width before OCR: an MRZ line then has characters about
# 18 px wide and 28 px high. On 16 generated passports, 900-1000 px read 15 exactly and
# all 16 with valid check digits; 1200 px read 13, 1400 px 12 (Tesseract's LSTM is
# trained on text of about this size).
MRZ_WIDTH = 1000

# Card numbers are read on a picture of this long side: a card's digits are 40 px high or
# more when the card fills half the photo, and Tesseract's time grows with the pixels.
CARD_SIDE = 1600

SEVERITY_WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One finding: an api.md code, "warning" or "info", and what was measured."""

    code: str
    severity: str
    values: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "values": dict(self.values)}


@dataclass
class Analysis:
    """What `analyse` found. `extracted` is for reviewers only (api.md); `masked_preview`
    is a PNG with a card number's middle digits hidden, when one was found; `skipped`
    names the steps that did not run and why (Tesseract missing, out of time)."""

    findings: list[Finding] = field(default_factory=list)
    extracted: dict[str, Any] = field(default_factory=dict)
    phash: str | None = None
    masked_preview: bytes | None = None
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]


class _Budget:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()


def _limit_pdftoppm() -> None:
    # Between fork and exec: setrlimit only (see triage/review/preview.py).
    resource.setrlimit(resource.RLIMIT_CPU, (PDF_CPU_SECONDS, PDF_CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_AS, (PDF_MEMORY_BYTES, PDF_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class RenderFailed(Exception):
    """The PDF's first page was not rendered (reason in words, no file content)."""


def render_first_page(data: bytes, timeout: float = PDF_SECONDS) -> Image.Image:
    """The first page of a PDF as an RGB picture, about 150 dpi (pdftoppm, bounded in
    wall-clock time, CPU and memory). Raises RenderFailed."""
    if shutil.which("pdftoppm") is None:
        raise RenderFailed("poppler-utils (pdftoppm) is not installed")
    with tempfile.TemporaryDirectory(prefix="analysis-") as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(data)
        size = str(PDF_LONG_SIDE)
        # PPM, pdftoppm's own format: the page as raw pixels. Compressing it to PNG took 0.18
        # of pdftoppm's 0.20 s for a statement, and the picture is read back at once.
        command = ["pdftoppm", "-f", "1", "-l", "1", "-singlefile", "-scale-to", size,
                   str(source), str(Path(folder) / "page")]  # fmt: skip
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                timeout=max(timeout, 0.5),
                preexec_fn=_limit_pdftoppm,  # setrlimit only
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"},
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RenderFailed(f"pdftoppm took longer than {timeout:g} s") from None
        page = Path(folder) / "page.ppm"
        if done.returncode != 0 or not page.exists():
            raise RenderFailed(f"pdftoppm failed (exit {done.returncode})")
        with Image.open(page) as image:
            return image.convert("RGB")


def _decode(data: bytes, content_type: str, budget: _Budget) -> tuple[Image.Image, int, int, bool]:
    """(upright picture, original width, height, whether resolution is the customer's)."""
    if content_type == PDF_TYPE:
        page = render_first_page(data, timeout=min(PDF_SECONDS, budget.left()))
        return page, page.width, page.height, False
    loaded = quality.load_image(data)
    return loaded.image, loaded.width, loaded.height, True


def _quality(image: Image.Image, width: int, height: int, judge: bool) -> list[Finding]:
    measures = quality.measure(image, width, height)
    return [
        Finding(f.code, f.severity, f.values)
        for f in quality.findings(measures, judge_resolution=judge)
    ]


def _cards(image: Image.Image, result: Analysis, budget: _Budget) -> None:
    image = image.copy()
    image.thumbnail((CARD_SIDE, CARD_SIDE), Image.Resampling.LANCZOS)
    cards, boxes = ocr.find_cards(image, timeout=budget.left())
    if not cards:
        return
    card = cards[0]
    result.extracted["card"] = card.as_dict()
    result.findings.append(
        Finding(
            "card_number_visible",
            SEVERITY_WARNING,
            {"first6": card.first6, "last4": card.last4, "count": len(cards)},
        )
    )
    result.masked_preview = ocr.masked_preview(image, boxes)


def _mrz_text(image: Image.Image, budget: _Budget, width: int = MRZ_WIDTH) -> str:
    """OCR of the bottom of the picture, scaled to `width`, with the MRZ's alphabet."""
    region = image.crop((0, int(image.height * (1 - MRZ_REGION)), image.width, image.height))
    scale = width / region.width
    region = region.convert("L").resize(
        (width, max(1, int(region.height * scale))), Image.Resampling.LANCZOS
    )
    return ocr.read_text(
        region, languages="eng", psm=6, whitelist=ocr.MRZ_WHITELIST, timeout=budget.left()
    )


def _read_mrz(image: Image.Image, today: date, budget: _Budget) -> mrz_module.MRZ | None:
    """The MRZ, read at MRZ_WIDTH; then at twice that, for a document that fills only
    part of the photo (its MRZ's characters would be too small), if time is left."""
    for width in (MRZ_WIDTH, 2 * MRZ_WIDTH):
        zone = mrz_module.find_mrz(_mrz_text(image, budget, width), today)
        if zone is not None or budget.left() < 2:
            return zone
    return None


def _identity(
    image: Image.Image, result: Analysis, typed_names: list[str], today: date, budget: _Budget
) -> None:
    zone = _read_mrz(image, today, budget)
    if zone is None:
        result.skipped.append("mrz: no machine-readable zone was read")
        return
    result.extracted["mrz"] = zone.as_dict()
    if not zone.check_digits_valid:
        result.findings.append(
            Finding("mrz_invalid", SEVERITY_WARNING, {"failed_checks": list(zone.failed_checks)})
        )
    # An expiry date is only trusted when its check digit holds.
    if "expiry_date" not in zone.failed_checks and mrz_module.document_expired(
        zone.expiry_date, today
    ):
        result.findings.append(
            Finding("document_expired", SEVERITY_WARNING, {"expiry_date": zone.expiry_date})
        )
    typed = [t for t in typed_names if t and t.strip()]
    if typed and zone.name:
        differing = [t for t in typed if not names_match(t, zone.name)]
        if differing:
            # One letter apart may be OCR's misreading of the MRZ (names carry no check
            # digit): still reported, as "info".
            near = all(nearly_match(t, zone.name) for t in differing)
            result.findings.append(
                Finding(
                    "name_mismatch",
                    "info" if near else SEVERITY_WARNING,
                    {"read": zone.name, "typed": differing},
                )
            )


def analyse(
    data: bytes,
    content_type: str,
    kind_hint: str | None,
    typed_names: list[str],
    today: date,
    budget_seconds: float = BUDGET_SECONDS,
) -> Analysis:
    """Everything `triage.analysis` reads in one file (api.md "Evidence analysis").

    `kind_hint`: the material key it was uploaded for (triage/requirements/materials.py),
    which decides whether card numbers or an MRZ are looked for. `typed_names`: the names
    the customer typed (`holder_name`, the `user_name` item). `today`: for expiry. Other
    content types than JPEG, PNG and PDF are not analysed (`skipped`).
    """
    started = time.monotonic()
    budget = _Budget(budget_seconds)
    result = Analysis()
    if content_type not in IMAGE_TYPES and content_type != PDF_TYPE:
        result.skipped.append(f"{content_type} files are not analysed")
        return result
    try:
        image, width, height, judge = _decode(data, content_type, budget)
    except RenderFailed as exc:
        result.skipped.append(f"decode: {exc}")
        return result
    except Exception as exc:  # Pillow raises many kinds for a broken file
        result.skipped.append(f"decode: the picture cannot be decoded ({type(exc).__name__})")
        return result
    result.findings.extend(_quality(image, width, height, judge))
    # A PDF's first page: the 4,096-bit hash of its ink (two statements of one layout are
    # as near as copies under the photos' 64 bits; triage.analysis.phash).
    result.phash = phash.page_hash(image) if content_type == PDF_TYPE else phash.phash(image)
    steps = []
    if kind_hint in CARD_MATERIALS:
        steps.append(("card", lambda: _cards(image, result, budget)))
    if kind_hint in MRZ_MATERIALS:
        steps.append(("mrz", lambda: _identity(image, result, typed_names, today, budget)))
    if steps and not ocr.available("eng"):
        result.skipped.extend(f"{name}: tesseract is not installed" for name, _ in steps)
        steps = []
    for name, step in steps:
        if budget.left() <= 0.5:
            result.skipped.append(f"{name}: out of time")
            continue
        try:
            step()
        except ocr.OCRTimeout:
            result.skipped.append(f"{name}: out of time")
        except ocr.OCRUnavailable as exc:
            result.skipped.append(f"{name}: {exc}")
        except Exception as exc:
            # One step failing keeps what the others found. Only the exception's type is
            # kept: a message could quote what was read (a card number).
            log.warning("analysis step %s failed: %s", name, type(exc).__name__)
            result.skipped.append(f"{name}: failed ({type(exc).__name__})")
    result.seconds = round(time.monotonic() - started, 3)
    with contextlib.suppress(Exception):
        log.info(
            "analysed a %s (%s): %s in %.2f s",
            content_type,
            kind_hint or "no material",
            ", ".join(result.codes) or "no findings",
            result.seconds,
        )
    return result
