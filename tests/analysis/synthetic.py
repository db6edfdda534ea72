"""A labelled set of synthetic evidence: cards, passports and statements, then degraded.

Used by tests/analysis and benchmarks/analysis_calibration.py. Every picture is drawn with
Pillow (DejaVu fonts, Debian's fonts-dejavu-core), photographed in words: a little sensor
noise and JPEG compression; the degradations are the ones the second source document
names: blur (a Gaussian), glare (a bright soft ellipse that washes out what is under it),
darkness and too few pixels.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from triage.analysis.mrz import check_digit

FONTS = Path("/usr/share/fonts/truetype/dejavu")
SANS = FONTS / "DejaVuSans.ttf"
SANS_BOLD = FONTS / "DejaVuSans-Bold.ttf"
MONO = FONTS / "DejaVuSansMono.ttf"
MONO_BOLD = FONTS / "DejaVuSansMono-Bold.ttf"

# ICAO Doc 9303 part 4's specimen passport (Utopia).
SPECIMEN_TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
SURNAMES = ["ERIKSSON", "MCDONALD", "OBRIEN", "GARCIA", "ZHANG", "NGUYEN", "MULLER", "SILVA"]
GIVEN = ["ANNA MARIA", "JAMES", "LI WEI", "SEAN", "MARIA JOSE", "TOMAS", "AIKO", "OLGA"]


def font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    """A random Luhn-valid number of `length` digits starting with `prefix`."""
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for last in "0123456789":
        candidate = body + last
        total = 0
        for position, ch in enumerate(reversed(candidate)):
            value = int(ch)
            if position % 2 == 1:
                value = value * 2 - 9 if value > 4 else value * 2
            total += value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def mrz_td3(
    surname: str,
    given: str,
    number: str,
    birth: str,
    expiry: str,
    *,
    country: str = "UTO",
    sex: str = "F",
    personal: str = "",
) -> tuple[str, str]:
    """A TD3 MRZ with correct check digits (ICAO 9303-4)."""
    names = surname.replace(" ", "<") + "<<" + given.replace(" ", "<")
    line1 = ("P<" + country + names).ljust(44, "<")[:44]
    number = number.ljust(9, "<")
    personal = personal.ljust(14, "<")
    personal_digit = check_digit(personal) if personal.strip("<") else "<"
    head = number + check_digit(number) + country + birth + check_digit(birth) + sex
    tail = expiry + check_digit(expiry) + personal + personal_digit
    composite = number + check_digit(number) + birth + check_digit(birth) + tail
    line2 = head + tail + check_digit(composite)
    return line1, line2


@dataclass
class Sample:
    """One picture and what it should give."""

    kind: str  # material key: card_front, passport, transaction_records
    image: Image.Image
    labels: set[str] = field(default_factory=set)
    facts: dict[str, object] = field(default_factory=dict)
    # Codes this picture is not scored on (a reflection may or may not cover the number).
    unsure: set[str] = field(default_factory=set)


def _background(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A desk: a flat colour with a soft gradient."""
    w, h = size
    base = np.array([rng.randint(60, 140), rng.randint(50, 120), rng.randint(40, 110)], float)
    ramp = np.linspace(0.85, 1.1, w)[None, :, None]
    pixels = np.clip(base[None, None, :] * ramp * np.ones((h, 1, 1)), 0, 255)
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def card(
    rng: random.Random,
    *,
    number: str | None = None,
    covered: bool = False,
    size: tuple[int, int] = (2000, 1400),
) -> Sample:
    """A payment card on a desk: number in embossed-style mono digits, holder, expiry.

    `covered`: the middle digits are hidden under a thumb-coloured patch, as materials.md
    asks ("Cover the middle digits ...").
    """
    number = number or luhn_complete(rng.choice(["4", "51", "37", "62"]), 16, rng)
    image = _background(size, rng)
    draw = ImageDraw.Draw(image)
    w, h = size
    cw, ch = int(w * 0.78), int(w * 0.78 / 1.586)
    left, top = (w - cw) // 2, (h - ch) // 2
    colour = (rng.randint(20, 90), rng.randint(60, 140), rng.randint(120, 200))
    draw.rounded_rectangle((left, top, left + cw, top + ch), radius=60, fill=colour)
    draw.text((left + 80, top + 70), "UTOPIA BANK", font=font(SANS_BOLD, 70), fill="white")
    draw.rectangle((left + 100, top + 260, left + 260, top + 380), fill=(212, 175, 55))
    grouped = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    digits_font = font(MONO_BOLD, 96)
    x, y = left + 90, top + ch // 2 + 20
    draw.text((x, y), grouped, font=digits_font, fill=(245, 245, 245))
    if covered:
        # Cover digits 7 to len-4: in "dddd dddd dddd dddd" characters 7 to len-6.
        first, last = 7, len(grouped) - 6
        x0 = x + digits_font.getlength(grouped[:first])
        x1 = x + digits_font.getlength(grouped[: last + 1])
        draw.rounded_rectangle((x0 - 8, y - 10, x1 + 8, y + 120), radius=30, fill=(200, 160, 130))
    draw.text((x, y + 170), "VALID THRU 09/29", font=font(MONO, 48), fill="white")
    draw.text((x, y + 250), "ANNA M ERIKSSON", font=font(MONO_BOLD, 60), fill="white")
    labels = set() if covered else {"card_number_visible"}
    return Sample("card_front", image, labels, {"first6": number[:6], "last4": number[-4:]})


def passport(
    rng: random.Random,
    *,
    lines: tuple[str, str] | None = None,
    size: tuple[int, int] = (2000, 1400),
) -> Sample:
    """A passport's photo page: printed fields and the MRZ in a monospaced font."""
    if lines is None:
        surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
        number = rng.choice("LCPX") + "".join(rng.choice("0123456789") for _ in range(7))
        lines = mrz_td3(surname, given, number, f"{rng.randint(50, 99)}0{rng.randint(1, 9)}15",
                        f"3{rng.randint(0, 4)}0{rng.randint(1, 9)}20")  # fmt: skip
    image = _background(size, rng)
    draw = ImageDraw.Draw(image)
    w, h = size
    pw, ph = int(w * 0.92), int(w * 0.92 / 1.42)
    left, top = (w - pw) // 2, (h - ph) // 2
    draw.rectangle((left, top, left + pw, top + ph), fill=(226, 224, 212))
    draw.text((left + 60, top + 40), "PASSPORT  PASSEPORT", font=font(SANS_BOLD, 56),
              fill=(40, 40, 90))  # fmt: skip
    draw.rectangle((left + 60, top + 150, left + 460, top + 650), fill=(150, 150, 160))
    surname, _, given = lines[0][5:].partition("<<")
    small = font(SANS, 40)
    rows = [
        ("Surname", surname.replace("<", " ").strip()),
        ("Given names", given.replace("<", " ").strip()),
        ("Nationality", lines[1][10:13]),
        ("Date of birth", lines[1][13:19]),
        ("Date of expiry", lines[1][21:27]),
    ]
    for i, (label, value) in enumerate(rows):
        draw.text((left + 520, top + 150 + i * 100), label, font=font(SANS, 28), fill=(90, 90, 90))
        draw.text((left + 520, top + 185 + i * 100), value, font=small, fill=(20, 20, 20))
    mono = font(MONO, 62)
    for i, line in enumerate(lines):
        draw.text((left + 50, top + ph - 230 + i * 95), line, font=mono, fill=(15, 15, 15))
    return Sample("passport", image, set(), {"lines": lines})


def statement(
    rng: random.Random, *, scan: bool = False, size: tuple[int, int] = (1240, 1754)
) -> Sample:
    """A bank statement, rows of transactions: photographed (paper at grey 222-238, lit
    unevenly) or, with `scan`, scanned at 150 dpi (paper at 255)."""
    if scan:
        image = Image.new("RGB", size, "white")
    else:
        paper = rng.randint(222, 238)
        ramp = np.linspace(0.96, 1.03, size[0])[None, :, None] * np.ones((size[1], 1, 3))
        image = Image.fromarray((paper * ramp).clip(0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    draw.text((80, 80), "UTOPIA BANK  -  Card statement", font=font(SANS_BOLD, 40), fill="black")
    draw.text((80, 150), "Cardholder: ANNA M ERIKSSON", font=font(SANS, 28), fill="black")
    body = font(MONO, 24)
    for i in range(40):
        amount = f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}"
        row = f"2026-0{rng.randint(1, 9)}-{rng.randint(10, 28)}  CLOUD SERVICES {i:03d}"
        draw.text((80, 240 + i * 36), row.ljust(44) + amount.rjust(10), font=body, fill="black")
    return Sample("transaction_records", image, set(), {})


# --- degradations -------------------------------------------------------------------------


def blur(sample: Sample, radius: float) -> Sample:
    """A Gaussian blur of `radius` pixels of the picture as it is (labelled blurry)."""
    image = sample.image.filter(ImageFilter.GaussianBlur(radius))
    # Whether a blurred card number is still readable depends on the radius: not scored.
    unsure = sample.unsure | (sample.labels & {"card_number_visible"})
    return Sample(sample.kind, image, sample.labels | {"blurry"}, dict(sample.facts), unsure)


def glare(sample: Sample, rng: random.Random, share: float = 0.06) -> Sample:
    """A flash reflection: a soft-edged ellipse of about `share` of the picture whose
    core is white (saturated: what was under it is gone)."""
    w, h = sample.image.size
    area = share * w * h
    rx = (area / np.pi * rng.uniform(1.2, 2.0)) ** 0.5
    ry = area / np.pi / rx
    cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=255)
    # A halo fading out around a saturated core, as a reflection does.
    halo = mask.filter(ImageFilter.GaussianBlur(max(rx, ry) * 0.25))
    core = np.maximum(np.asarray(mask, float), np.asarray(halo, float) * 1.4).clip(0, 255) / 255
    pixels = np.asarray(sample.image, float)
    pixels = pixels * (1 - core[..., None]) + 255 * core[..., None]
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")
    unsure = sample.unsure | (sample.labels & {"card_number_visible"})
    return Sample(sample.kind, image, sample.labels | {"glare"}, dict(sample.facts), unsure)


def dark(sample: Sample, factor: float = 0.25) -> Sample:
    """Under-exposed: every level times `factor` (labelled too_dark)."""
    pixels = np.asarray(sample.image, float) * factor
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")
    return Sample(
        sample.kind, image, sample.labels | {"too_dark"}, dict(sample.facts), set(sample.unsure)
    )


def small(sample: Sample, long_side: int = 640) -> Sample:
    """Too few pixels: the picture downscaled to `long_side` (labelled low_resolution)."""
    image = sample.image.copy()
    image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    return Sample(
        sample.kind, image, sample.labels | {"low_resolution"}, dict(sample.facts),
        set(sample.unsure),
    )  # fmt: skip


def photographed(image: Image.Image, rng: random.Random, noise: float = 3.0) -> Image.Image:
    """Sensor noise on the picture (what a camera adds)."""
    pixels = np.asarray(image, float)
    noisy = pixels + np.random.default_rng(rng.randint(0, 2**31)).normal(0, noise, pixels.shape)
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8), "RGB")


def jpeg(image: Image.Image, quality: int = 88, exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality, exif=exif or Image.Exif())
    return out.getvalue()


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def labelled_set(seed: int, per_kind: int) -> list[tuple[Sample, bytes]]:
    """`per_kind` of each document kind, each as it is and in every degradation.

    Blur radii are drawn from 4 to 8 pixels at the 2000-pixel original (2 to 4 at the
    normalised size; 3 is where sharp and blurred meet, see the calibration's sweep);
    glare covers 3 % to 10 %; darkness is a factor 0.15 to 0.3; small pictures have a
    long side of 480 to 800. Returns (sample, JPEG bytes) pairs.
    """
    rng = random.Random(seed)
    out = []
    for _ in range(per_kind):
        for base in (card(rng), passport(rng), statement(rng)):
            variants = [
                base,
                blur(base, rng.uniform(4, 8)),
                glare(base, rng, rng.uniform(0.03, 0.10)),
                dark(base, rng.uniform(0.15, 0.3)),
                small(base, rng.randint(480, 800)),
                blur(glare(base, rng, rng.uniform(0.03, 0.1)), rng.uniform(4, 8)),
            ]
            for variant in variants:
                image = photographed(variant.image, rng)
                out.append((variant, jpeg(image, quality=rng.randint(80, 92))))
        # A scan of white paper (255): its background must not read as glare.
        scanned = statement(rng, scan=True)
        for variant in (scanned, blur(scanned, rng.uniform(4, 8))):
            out.append((variant, jpeg(variant.image, quality=90)))
    return out
