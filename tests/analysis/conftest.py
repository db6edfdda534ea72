"""Fixtures for the analysis engine's tests: a seeded random source and Tesseract's presence."""

from __future__ import annotations

import random

import pytest

from triage.analysis import ocr

needs_tesseract = pytest.mark.skipif(
    not ocr.available("eng"), reason="Tesseract is not installed (make install puts it there)"
)


@pytest.fixture
def rng() -> random.Random:
    return random.Random(13)
