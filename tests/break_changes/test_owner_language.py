"""The registered owner's emails are in the account's language (recovery.md "Notice to the
registered owner"; triage.recovery.notices.owner_language): the record's `language` in any
spelling of a language the product writes, else DEFAULT_LANGUAGE; odd values never break a
lookup or an import, and nothing the requester sends chooses it."""

from __future__ import annotations

import pytest

from config import ConfigError, load_config
from triage.accounts.records import RecordError, clean_record, record_language

SPELLINGS = {
    "zh-CN": "zh_Hans",
    "ZH_hans": "zh_Hans",
    "zh-Hans-CN": "zh_Hans",
    " es-MX ": "es",
    "EN-gb": "en",
    "en-" + "x" * 5000: "en",
    "x-klingon": None,
    "klingon": None,
    "": None,
    "english": None,
    "zh\x00": None,
    "e\u0301s": None,
}


@pytest.mark.parametrize(("value", "expected"), SPELLINGS.items(), ids=range(len(SPELLINGS)))
def test_a_records_language_is_read_in_any_spelling_or_not_at_all(value, expected):
    assert record_language(value) == expected


@pytest.mark.parametrize("value", [5, 1.5, True, ["es"], {"es": 1}, None])
def test_a_directorys_language_that_is_not_a_string_is_no_language(value):
    record = clean_record({"account_name": "acme-cloud", "language": value}, strict=False)
    assert record["language"] is None


@pytest.mark.parametrize("value", ["x-klingon", "klingon-zh", "42", ["es"]])
def test_an_imported_language_the_product_does_not_write_is_refused_by_name(value):
    with pytest.raises(RecordError) as refused:
        clean_record({"account_name": "acme-cloud", "language": value}, strict=True)
    assert "language" in refused.value.fields


def test_a_stored_language_fits_its_column():
    record = clean_record({"account_name": "acme-cloud", "language": "zh-Hans-CN"})
    assert len(record["language"]) <= 10


@pytest.mark.parametrize("value", ["klingon", "zh-CN", "ES", "zh_hans"])
def test_a_misconfigured_default_language_fails_loudly(tmp_path, value):
    env = {"TRIAGE_ENV": "development", "SECRET_KEY": "x", "DEFAULT_LANGUAGE": value}
    with pytest.raises(ConfigError):
        load_config(env, tmp_path)


def test_an_owner_language_ignores_the_tickets_language(app):
    """`owner_language` reads the record and the default only: a ticket filed in Chinese
    for an account with no language is written to its owner in English."""
    from types import SimpleNamespace

    from triage.recovery.notices import owner_language

    with app.test_request_context("/?lang=zh_Hans", headers={"Accept-Language": "zh-CN"}):
        ticket = SimpleNamespace(language="zh_Hans", record={"language": None})
        assert owner_language(ticket) == "en"
        ticket = SimpleNamespace(language="zh_Hans", record={"language": "es"})
        assert owner_language(ticket) == "es"
        ticket = SimpleNamespace(language="zh_Hans", record=None)
        assert owner_language(ticket) == "en"
