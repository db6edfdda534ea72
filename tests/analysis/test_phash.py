"""Perceptual hashes: copies stay within NEAR_IDENTICAL bits, other documents do not."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from tests.analysis import synthetic as S
from triage.analysis.phash import (
    NEAR_IDENTICAL,
    distinct_by_content,
    hamming,
    near_identical,
    phash,
)


def reopened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


@pytest.fixture(scope="module")
def documents() -> list[S.Sample]:
    rng = random.Random("phash")
    return [S.card(rng), S.card(rng), S.passport(rng), S.passport(rng), S.statement(rng),
            S.statement(rng)]  # fmt: skip


def test_hash_is_64_bits_in_hex(documents: list[S.Sample]) -> None:
    value = phash(documents[0].image)
    assert len(value) == 16 and int(value, 16) >= 0
    assert hamming(value, value) == 0
    assert hamming("0" * 16, "f" * 16) == 64
    with pytest.raises(ValueError):
        hamming("00", "000")


def test_copies_are_near_identical(documents: list[S.Sample]) -> None:
    rng = random.Random(1)
    for sample in documents:
        original = phash(sample.image)
        w, h = sample.image.size
        copies = {
            "recompressed": reopened(S.jpeg(sample.image, quality=60)),
            "resized": sample.image.resize((w // 3, h // 3), Image.Resampling.BILINEAR),
            "photographed": S.photographed(sample.image, rng, noise=4),
            "cropped 1 %": sample.image.crop(
                (int(w * 0.01), int(h * 0.01), int(w * 0.99), int(h * 0.99))
            ),
            "recompressed and resized": reopened(
                S.jpeg(sample.image.resize((w // 2, h // 2)), quality=70)
            ),
            "PNG": reopened(S.png(sample.image)),
        }
        for name, copy in copies.items():
            distance = hamming(original, phash(copy))
            assert distance <= NEAR_IDENTICAL, f"{sample.kind} {name}: {distance}"
            assert near_identical(original, phash(copy))


def test_documents_of_different_kinds_are_far_apart(documents: list[S.Sample]) -> None:
    for a in documents:
        for b in documents:
            if a.kind != b.kind:
                assert hamming(phash(a.image), phash(b.image)) > 3 * NEAR_IDENTICAL


def test_one_layout_framed_alike_needs_what_was_read(documents: list[S.Sample]) -> None:
    # Two cards of one design, cropped alike: as close as copies (the limit of 64 bits).
    first, second = documents[0], documents[1]
    assert near_identical(phash(first.image), phash(second.image))
    read_first = {"card": {"first6": first.facts["first6"], "last4": first.facts["last4"]}}
    read_second = {"card": {"first6": second.facts["first6"], "last4": second.facts["last4"]}}
    assert distinct_by_content(read_first, read_second)
    assert not distinct_by_content(read_first, dict(read_first))
    assert not distinct_by_content(read_first, {})
    assert distinct_by_content(
        {"mrz": {"document_number": "L898902C3"}}, {"mrz": {"document_number": "C1234567"}}
    )
