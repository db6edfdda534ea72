"""Photo quality: blurry, glare, too_dark, low_resolution (api.md "Evidence analysis").

Issue 13, "Photo quality at once": the second source document's first complaints are
blurred photos and glare. Every measure is taken on a normalised picture (upright, grey,
long side at most `NORMAL_SIDE` pixels) so that the same document photographed at 12 MP
or at 2 MP measures the same; resolution is judged on the original pixel count.

Thresholds were calibrated on the labelled set `benchmarks/analysis_calibration.py`
generates (cards, passports and statements, sharp and blurred, with and without glare,
dark, small); its output is quoted in the constants' comments. Pure: no Flask.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

# Measures are taken on this long side (pixels): large enough for a card's text strokes to
# stay edges, small enough that a 50 MP photo costs the same as a 2 MP one.
NORMAL_SIDE = 1024
# Decoding for reading (OCR) keeps more pixels than the measures need.
READ_SIDE = 2048

# Sharpness (see `sharpness`: variance of the Laplacian of a Gaussian of 1 px, in tiles of
# TILE px, the SHARP_PERCENTILE-th percentile, 8-bit grey stretched to full contrast, at
# the normalised size) under which a photo is blurry. On the calibration set
# (benchmarks/analysis_calibration.py) sharp documents, and ones softened by a Gaussian of
# 1 px of a 2000-px photo, measure 250-1,700; blurred by 4 px or more (2 px at the
# normalised size, where text starts to run together) 4-160; 3 px is where they meet
# (110-230). The plain whole-picture variance of the Laplacian overlapped (blurred
# statements up to 300, sharp cards with glare from 320).
BLUR_VARIANCE = 200.0
TILE = 64
# A tile whose response varies less than this holds nothing: blank paper in a rendered PDF
# page measures 0, and a photo's sensor noise, however blurred, far above it.
EMPTY_TILE_VARIANCE = 0.01
SHARP_PERCENTILE = 95
# Near-white: a grey level at or above this is saturated (JPEG noise keeps clipped areas
# a few levels under 255).
GLARE_LEVEL = 245
# A saturated blob counts when it covers at least this share of the picture (0.2 %: a few
# characters' worth), and is solid: at most this share of its outline is holes. Text shows
# through white paper (holes), never through a reflection that washes it out.
GLARE_MIN_BLOB = 0.002
GLARE_MAX_HOLES = 0.03
# A saturated region over this share that touches the edge is the page's background (a
# scan of white paper), not a reflection.
GLARE_BACKGROUND = 0.25
# The share of the picture in glare blobs from which `glare` is reported.
GLARE_SHARE = 0.01
# too_dark: the mean grey level under this and the brightest 1 % under `DARK_HIGHLIGHTS`
# (a black card with silver print is dark on average but its print is bright).
DARK_MEAN = 70.0
DARK_HIGHLIGHTS = 150.0
# low_resolution: fewer pixels than a 300 dpi scan of an ID-1 card (1011 x 638 = 645,000);
# the customer's pixels, not ours, so PDFs (which we render) are not judged.
MIN_PIXELS = 600_000
# A finding within this factor of its threshold is "info" (it may still be readable);
# beyond, "warning".
MARGIN = 1.25


@dataclass(frozen=True)
class Loaded:
    """A decoded picture: `image` upright RGB (long side at most the decoding bound) and
    the upright size of the original in pixels."""

    image: Image.Image
    width: int
    height: int


@dataclass(frozen=True)
class Measures:
    """What `measure` found. Units: variance of 8-bit grey, shares of the picture (0-1),
    grey levels (0-255), pixels."""

    sharpness: float | None  # None: a flat picture, nothing to judge
    laplacian_variance: float
    glare_share: float
    brightness: float
    highlights: float
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class QualityFinding:
    code: str
    severity: str
    values: dict[str, float | int]


def load_image(data: bytes, max_side: int = READ_SIDE) -> Loaded:
    """Decode image bytes (JPEG, PNG) upright, bounded to `max_side` pixels.

    EXIF orientation is applied (ImageOps.exif_transpose: a phone's portrait photo is
    stored landscape). Large JPEGs are decoded at 1/2, 1/4 or 1/8 scale (Pillow's draft,
    libjpeg's DCT scaling): a 12 MP photo costs a quarter. Transparent pixels are put on
    white, 16-bit grey scaled to 8 bits. Raises whatever Pillow raises for bad bytes.
    """
    with Image.open(io.BytesIO(data)) as opened:
        width, height = opened.size
        orientation = opened.getexif().get(0x0112)
        if opened.format == "JPEG":
            # draft keeps a size at least the one asked: ask three quarters of the bound so
            # a 4000 x 3000 photo is decoded at 2000 x 1500, not at full size.
            scale = 0.75 * max_side / max(width, height)
            if scale < 1:
                opened.draft("RGB", (int(width * scale), int(height * scale)))
        image = ImageOps.exif_transpose(opened)
        image.load()
    if orientation in (5, 6, 7, 8):  # rotated a quarter turn
        width, height = height, width
    image = _as_rgb(image)
    image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return Loaded(image=image, width=width, height=height)


def _as_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):
        image = image.convert("I").point(lambda v: v / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def normalised_grey(image: Image.Image, side: int = NORMAL_SIDE) -> np.ndarray:
    """The picture as float32 grey levels (0-255), downscaled (never up) to `side`."""
    grey = image.convert("L")
    if max(grey.size) > side:
        grey = grey.copy()
        grey.thumbnail((side, side), Image.Resampling.BOX)
    return np.asarray(grey, dtype=np.float32)


def _stretched(grey: np.ndarray) -> np.ndarray | None:
    """Grey levels stretched so the darkest 1 % is 0 and the brightest 1 % is 255; None
    for a flat picture.

    A page with less than 1 % ink (a short letter, a statement of a few lines) has both
    percentiles at the paper's white: it is stretched between its own darkest and
    brightest levels instead, rather than read as flat and so as blurred.
    """
    low, high = np.percentile(grey, (1, 99))
    if high - low < 1:
        low, high = float(grey.min()), float(grey.max())
    if high - low < 1:
        return None
    return (grey - low) * (255.0 / (high - low))


def laplacian_variance(grey: np.ndarray) -> float:
    """The classic measure (Pech-Pacheco et al. 2000): variance of the Laplacian of the
    whole (contrast-stretched) picture. Reported beside `sharpness`; not decided on, as
    it mixes sensor noise and how much of the picture is blank desk or margin."""
    stretched = _stretched(grey)
    return 0.0 if stretched is None else float(ndimage.laplace(stretched).var())


def sharpness(grey: np.ndarray) -> float | None:
    """How sharp the detailed parts of the picture are: the variance of the Laplacian
    (of a Gaussian of 1 pixel) in tiles of `TILE` pixels, the SHARP_PERCENTILE-th
    percentile of the tiles.

    - Contrast is stretched first (darkest 1 % to 0, brightest 1 % to 255): the variance
      grows with the square of contrast, and an under-exposed photo is `too_dark`, not
      `blurry`.
    - The Gaussian of 1 pixel keeps sensor noise (whose plain Laplacian variance is 20
      times its own) from reading as detail: on the calibration set the plain measure of
      blurred pictures overlaps sharp ones, this one does not.
    - Tiles: a card on a desk is mostly flat colour; the document's text is where
      sharpness shows, so the measure is taken where detail is (the top 5 % of tiles).
    - A sparse page (text on fewer than 5 % of the tiles) is measured on the tiles that
      hold anything: blank paper is not blur.

    None for a flat picture (one grey level, a blank page): nothing to judge, not blurry.
    """
    stretched = _stretched(grey)
    if stretched is None:
        return None
    response = ndimage.gaussian_laplace(stretched, 1.0)
    rows, cols = (response.shape[0] // TILE) * TILE, (response.shape[1] // TILE) * TILE
    if rows == 0 or cols == 0:  # smaller than one tile
        return float(response.var())
    tiles = response[:rows, :cols].reshape(rows // TILE, TILE, cols // TILE, TILE)
    variances = tiles.swapaxes(1, 2).reshape(-1, TILE * TILE).var(axis=1)
    holding = variances[variances > EMPTY_TILE_VARIANCE]
    if holding.size == 0:
        return None
    if holding.size < variances.size * (100 - SHARP_PERCENTILE) / 100:
        variances = holding  # a photo's noise fills every tile: only pages get here
    return float(np.percentile(variances, SHARP_PERCENTILE))


def glare_share(grey: np.ndarray) -> float:
    """The share of the picture (0-1) in solid near-white blobs of meaningful size.

    A blob is a connected region (8-connectivity) at or above GLARE_LEVEL of at least
    GLARE_MIN_BLOB of the picture whose holes are at most GLARE_MAX_HOLES of it (a
    reflection washes text out; white paper has text holes in it), and that is not the
    background (over GLARE_BACKGROUND and touching the edge).
    """
    mask = grey >= GLARE_LEVEL
    if not mask.any():
        return 0.0
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    total = grey.size
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    glare = 0
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        area = int(areas[index])
        if box is None or area < GLARE_MIN_BLOB * total:
            continue
        rows, cols = box
        touches_edge = (
            rows.start == 0
            or cols.start == 0
            or rows.stop == grey.shape[0]
            or cols.stop == grey.shape[1]
        )
        if touches_edge and area > GLARE_BACKGROUND * total:
            continue
        blob = labels[box] == index
        filled = int(ndimage.binary_fill_holes(blob).sum())
        if (filled - area) / filled > GLARE_MAX_HOLES:
            continue
        glare += area
    return glare / total


def measure(image: Image.Image, width: int | None = None, height: int | None = None) -> Measures:
    """Every quality measure of an upright picture; `width`/`height` are the original's
    pixels when `image` was decoded smaller (default: the image's own)."""
    grey = normalised_grey(image)
    return Measures(
        sharpness=None if (sharp := sharpness(grey)) is None else round(sharp, 1),
        laplacian_variance=round(laplacian_variance(grey), 1),
        glare_share=round(glare_share(grey), 4),
        brightness=round(float(grey.mean()), 1),
        highlights=round(float(np.percentile(grey, 99)), 1),
        width=width or image.width,
        height=height or image.height,
    )


def _severity(ratio: float) -> str:
    """`ratio` is how far past the threshold (>= 1): marginal ones are "info"."""
    return "info" if ratio < MARGIN else "warning"


def findings(measures: Measures, *, judge_resolution: bool = True) -> list[QualityFinding]:
    """The quality findings of `measures` (api.md codes), each with its measured values.

    `judge_resolution=False` for a PDF page, whose pixels are our rendering's.
    """
    found: list[QualityFinding] = []
    if measures.sharpness is not None and measures.sharpness < BLUR_VARIANCE:
        found.append(
            QualityFinding(
                "blurry",
                _severity(BLUR_VARIANCE / max(measures.sharpness, 1e-6)),
                {"sharpness": measures.sharpness, "threshold": BLUR_VARIANCE},
            )
        )
    if measures.glare_share >= GLARE_SHARE:
        found.append(
            QualityFinding(
                "glare",
                _severity(measures.glare_share / GLARE_SHARE),
                {"glare_share": measures.glare_share, "threshold": GLARE_SHARE},
            )
        )
    if measures.brightness < DARK_MEAN and measures.highlights < DARK_HIGHLIGHTS:
        found.append(
            QualityFinding(
                "too_dark",
                _severity(DARK_MEAN / max(measures.brightness, 1e-6)),
                {
                    "brightness": measures.brightness,
                    "highlights": measures.highlights,
                    "threshold": DARK_MEAN,
                },
            )
        )
    if judge_resolution and measures.pixels < MIN_PIXELS:
        found.append(
            QualityFinding(
                "low_resolution",
                _severity(MIN_PIXELS / max(measures.pixels, 1)),
                {"width": measures.width, "height": measures.height, "min_pixels": MIN_PIXELS},
            )
        )
    return found


def assess(data: bytes) -> tuple[Measures, list[QualityFinding]]:
    """Decode image bytes and judge them: (measures, findings)."""
    loaded = load_image(data, max_side=NORMAL_SIDE * 2)
    measures = measure(loaded.image, loaded.width, loaded.height)
    return measures, findings(measures)
