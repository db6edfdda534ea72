"""A perceptual hash of a picture, and how far apart two are (api.md `near_duplicate`).

imagehash's `phash` (the DCT hash: grey, 32 x 32, the 8 x 8 lowest frequencies compared
with their median): 64 bits, written as 16 hex digits. A file recompressed, resized or
slightly cropped keeps nearly the same bits; the Hamming distance counts those that differ.
Pure: no Flask.
"""

from __future__ import annotations

from typing import Any

import imagehash
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
