"""Perceptual hashes of a picture, and how far apart two are (api.md `near_duplicate`).

Photos: imagehash's `phash` (the DCT hash: grey, 32 x 32, the 8 x 8 lowest frequencies
compared with their median): 64 bits, written as 16 hex digits. A file recompressed,
resized or slightly cropped keeps nearly the same bits; the Hamming distance counts those
that differ.

The first page of a PDF: `page_hash`, 4,096 bits (1,024 hex digits) of the page's ink.
Two statements of one bank's layout are as close as copies under the 64-bit hash (the
nearest two 0 bits apart, median 6; re-saves up to 6), and under every 256-bit hash
tried (imagehash's phash and dhash at 16, on the page or cropped to its ink: the farthest
re-save 14-72 bits away, the nearest two statements 0-12), because their low frequencies
are the layout; what differs between them is the text.
So the page is made colour-agnostic (ink: darker than the paper by a quarter of its
brightness), cropped to the ink's bounding box (a re-save's margins, offset and scale are
gone), scaled to 128 x 128, and the signs of its 64 x 64 lowest DCT coefficients are the
bits. Fewer bits (32 x 32: 1,024) left different statements and copies overlapping
(statements from 79 bits apart, copies up to 83).

The threshold, PAGE_NEAR_IDENTICAL = 430 of 4,096 bits, was chosen from
tests/analysis/test_phash_pdf.py's `measure` (seeds 5 and 11, 16 statements of one layout
each, half of them sharing every transaction's description and the row count, and 3
re-saves of each): different statements were 490-1,383 bits apart (5th percentile
639-655), re-saves 222-378 (95th percentile 358-367). 430 sits in the gap, nearer the
re-saves: 0 false positives in 240 pairs, recall 96 of 96. A page with no signal to hash
has no hash (None: never compared): a blank page, a page whose ink is mostly solid blocks
(cards photocopied onto a page), a hash with coefficients at zero or too few bits set or
unset (`featureless`); no statement of the calibration lost its hash. Not covered: a skewed scan
(PAGE_NEAR_IDENTICAL's comment) and a statement photographed by a phone (a photo: the
64-bit hash). Pure: no Flask.
"""

from __future__ import annotations

from typing import Any

import imagehash
import numpy as np
from PIL import Image

HASH_BITS = 64
# Near-identical at most this many bits apart (of 64). Measured on the generated documents
# (tests/analysis/test_phash.py): a copy recompressed (JPEG quality 60), resized to a third
# or with sensor noise is 0-2 bits away; cropped by 1 % on each side 0-6, by 2 % 2-10;
# documents of different kinds 26-48 apart (unrelated pictures average 32). 8 takes in
# every recompressed, resized and 1 %-cropped copy with room for a camera's noise, and
# stays far below unrelated pictures.
#
# What a 64-bit hash cannot do: two documents of one layout framed the same way (two
# statements of one bank rendered from PDF, two cards of one design cropped to the edge)
# are 2-4 bits apart, as close as copies. `distinct_by_content` tells them apart by what
# was read from them; the caller should ask it before reporting `near_duplicate`.
NEAR_IDENTICAL = 8


def phash(image: Image.Image) -> str:
    """The 64-bit perceptual hash of an (upright) picture, as 16 lower-case hex digits."""
    return str(imagehash.phash(image.convert("RGB"), hash_size=8))


def hamming(a: str, b: str) -> int:
    """The number of bits that differ between two hashes from `phash`."""
    if len(a) != len(b):
        raise ValueError("hashes of different lengths")
    return (int(a, 16) ^ int(b, 16)).bit_count()


# A flat picture's hash has only its first bit set (the mean): such hashes match each
# other whatever the pictures were. A hash with at most 1/16 of its bits set (or unset) is
# taken as flat: 4 of a photo's 64 (as before pages were hashed), 256 of a page's 4,096
# (a page of two card scans sets ~20, and every page of that layout the same ones:
# tests/break_workbench/test_pdf_pages_of_pictures.py; statements set about half).
FEATURELESS_SHARE = 16


def featureless(hash_hex: str) -> bool:
    """Whether a hash (of any length, in hex digits) has at most 1/FEATURELESS_SHARE of its
    bits set, or of them unset: a flat picture, never reported as a near-duplicate."""
    bits = len(hash_hex) * 4
    margin = bits // FEATURELESS_SHARE
    return not margin < int(hash_hex, 16).bit_count() < bits - margin


def near_identical(a: str, b: str, threshold: int = NEAR_IDENTICAL) -> bool:
    """Whether two hashes are of near-identical pictures (at most `threshold` bits apart)."""
    return hamming(a, b) <= threshold


def distinct_by_content(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Whether what was read from two files (`Analysis.extracted`) shows they are different
    documents: MRZs with different document numbers, or cards with different first six
    or last four digits. False when there is nothing to compare (nothing read)."""
    a, b = a or {}, b or {}
    mrz_a, mrz_b = a.get("mrz") or {}, b.get("mrz") or {}
    numbers = (mrz_a.get("document_number"), mrz_b.get("document_number"))
    if all(numbers) and numbers[0] != numbers[1]:
        return True
    card_a, card_b = a.get("card") or {}, b.get("card") or {}
    ends_a = (card_a.get("first6"), card_a.get("last4"))
    ends_b = (card_b.get("first6"), card_b.get("last4"))
    return bool(card_a and card_b) and ends_a != ends_b


# --- the first page of a PDF ------------------------------------------------------------------

PAGE_HASH_BITS = 4096
PAGE_SIDE = 128  # the ink map's side before the DCT: text lines are 2-3 px, words blobs
_PAGE_FREQUENCIES = 64  # 64 x 64 lowest frequencies: PAGE_HASH_BITS bits
# Ink: darker than the paper (the 90th percentile of brightness: most of a page is paper)
# by a quarter of the paper's brightness; colour-agnostic, so a colour original and its
# grey scan have the same ink. A row or column takes part in the bounding box when ink
# covers 1 % of it: a scanner's speck in the margin does not move the crop.
_INK_CONTRAST = 0.25
_BOX_SHARE = 0.01
# Near-identical pages at most this many bits apart (of 4,096). Measured by
# tests/analysis/test_phash_pdf.py (`measure`, run as its docstring says) on generated
# statements of one bank's layout, written as vector PDFs as a bank writes them, and their
# re-saves: the page rendered again at 100-300 dpi, scaled by 97-103 %, moved by up to
# 0.5 % of the page, darkened, with sensor noise, grey or not, JPEG quality 40-85, in a new
# PDF. Statements 490-1,383 bits apart, re-saves 222-378 (module docstring): 430 is
# between, nearer the re-saves, since a false `near_duplicate` raises a stranger's ticket.
# A scan skewed by up to 0.3 degrees (seed 7, 8 statements, 2 re-saves each) is 269-570
# bits from its original: 12 of 16 found. A crooked re-scan is missed more often than not
# past that; deskewing before the hash would be the next step.
PAGE_NEAR_IDENTICAL = 430
# A page whose ink is solid blocks (a photocopy of an ID card's front and back: the whole
# card darker than the paper) has no text left to hash: its DCT is the blocks' outline,
# and pages of one layout hash alike whatever the cards show (tests/break_workbench/
# test_pdf_pages_of_pictures.py: two customers' card scans 0 bits apart). Measured on the
# 5 x 5 (at 150 dpi; scaled with the page's width) erosion of the ink: statements keep
# 52-68 % of their ink (the header band is solid), a page of two card scans 98.8 %, a
# grainy photo 0 %. Past 90 % the page has no hash.
_SOLID_SHARE = 0.9
_SOLID_WIDTH = 250  # the page's width over the erosion's side: 5 px at 150 dpi on A4
# A coefficient this small against the largest is zero but for rounding: its sign is
# noise shared by every page whose ink is aligned alike (two blocks one above the other
# leave 99 % of the 64 x 64 at zero). A hash with more than 1/FEATURELESS_SHARE of its
# bits from such coefficients carries no signal (statements: none).
_ZERO_COEFFICIENT = 1e-6


def page_hash(image: Image.Image) -> str | None:
    """The 4,096-bit hash of a rendered page's ink, as 1,024 lower-case hex digits; None for
    a page with no ink (blank: every blank page would match every other), and for one whose
    hash would carry no signal: ink that is mostly solid blocks (`_SOLID_SHARE`), or
    too many coefficients at zero (`_ZERO_COEFFICIENT`), or a `featureless` hash."""
    import scipy.fft
    import scipy.ndimage

    grey = np.asarray(image.convert("L"), dtype=np.float32)
    paper = float(np.percentile(grey, 90))
    ink = grey < paper - _INK_CONTRAST * max(paper, 64.0)
    rows = np.flatnonzero(ink.mean(axis=1) > _BOX_SHARE)
    columns = np.flatnonzero(ink.mean(axis=0) > _BOX_SHARE)
    if rows.size < 2 or columns.size < 2:
        return None
    box = (int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1)
    side = max(3, round(ink.shape[1] / _SOLID_WIDTH))
    solid = scipy.ndimage.binary_erosion(ink, np.ones((side, side), dtype=bool))
    if solid.sum() > _SOLID_SHARE * ink.sum():
        return None
    page = Image.fromarray(ink.astype(np.uint8) * 255).crop(box)
    page = page.resize((PAGE_SIDE, PAGE_SIDE), Image.Resampling.LANCZOS)
    coefficients = scipy.fft.dctn(np.asarray(page, dtype=np.float64), norm="ortho")
    kept = coefficients[:_PAGE_FREQUENCIES, :_PAGE_FREQUENCIES].flatten()
    zero = np.abs(kept) < _ZERO_COEFFICIENT * float(np.abs(kept).max())
    if zero.sum() > PAGE_HASH_BITS // FEATURELESS_SHARE:
        return None
    value = int("".join("1" if b else "0" for b in kept > 0), 2)
    hash_hex = f"{value:0{PAGE_HASH_BITS // 4}x}"
    return None if featureless(hash_hex) else hash_hex


def near_threshold(hash_hex: str) -> int:
    """The near-identical distance for a hash of this kind (by its length): NEAR_IDENTICAL
    for a photo's 64 bits, PAGE_NEAR_IDENTICAL for a page's 4,096."""
    return PAGE_NEAR_IDENTICAL if len(hash_hex) * 4 == PAGE_HASH_BITS else NEAR_IDENTICAL
