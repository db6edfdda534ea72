"""Pictures for the analysis's wiring tests, generated once (tests/analysis/synthetic.py)."""

from __future__ import annotations

import random

import pytest

from tests.analysis import synthetic as S
from tests.review.helpers import (  # noqa: F401 - fixtures
    lead,
    make_reviewer,
    reviewer,
)


def photo(sample: S.Sample, seed: str) -> bytes:
    return S.jpeg(S.photographed(sample.image, random.Random(seed)))


@pytest.fixture(scope="session")
def card_number() -> str:
    return S.luhn_complete("4", 16, random.Random("card-number"))


@pytest.fixture(scope="session")
def card_photo(card_number: str) -> bytes:
    """A card photo whose full (Luhn-valid) number is readable."""
    return photo(S.card(random.Random("card"), number=card_number), "card")


@pytest.fixture(scope="session")
def blurred_photo() -> bytes:
    return photo(S.blur(S.statement(random.Random("letter")), 8), "letter")


@pytest.fixture(scope="session")
def sharp_photo() -> bytes:
    return photo(S.statement(random.Random("sharp")), "sharp")


@pytest.fixture(scope="session")
def expired_passport() -> bytes:
    """A passport with valid check digits that expired in 2021, for SEAN MCDONALD."""
    lines = S.mrz_td3("MCDONALD", "SEAN", "C7654321", "800101", "210630", sex="M")
    return photo(S.passport(random.Random("passport"), lines=lines), "passport")


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """The analysis on, as in production (tests/conftest.py turns it off elsewhere)."""
    return {**app_config, "EVIDENCE_ANALYSIS": True}
