"""An account's own language (recovery.md "Notice to the registered owner"): the record may
say it, and the registered owner's notices are written in it, never in the language of
whoever filed the change. The HTTP directory and the imported table both give it; a record
without one is written in the deployment's default language."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.accounts.conftest import ACME_RECORD, OWNER_EMAIL
from tests.accounts.test_creation import _stored
from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from triage.accounts.records import (
    RecordError,
    clean_record,
    record_language,
)


def _languages(app, reference: str) -> dict[str, tuple[str, str]]:
    """kind -> (recipient, language) of the ticket's emails."""
    from triage.extensions import db
    from triage.notifications.models import Notification
    from triage.tickets.models import Ticket

    with app.app_context():
        rows = db.session.scalars(
            select(Notification)
            .join(Ticket, Ticket.id == Notification.ticket_id)
            .where(Ticket.reference == reference)
        )
        return {row.kind: (row.recipient, row.language) for row in rows}


def test_records_pages_and_settings_read_languages_from_one_table():
    import config
    from triage import i18n, languages
    from triage.accounts import records

    assert records.LANGUAGES is i18n.LANGUAGES is config.LANGUAGES is languages.LANGUAGES
    assert records.record_language is not None and i18n.normalise is languages.normalise


@pytest.mark.parametrize(
    ("value", "language"),
    [
        ("en", "en"),
        ("zh_Hans", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("ZH-HANS", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("es", "es"),
        ("es-MX", "es"),
        ("en-GB", "en"),
        (" es ", "es"),
        ("fr", None),
        ("de-DE", None),
        ("", None),
        (None, None),
        (7, None),
    ],
)
def test_a_records_language_is_read_as_the_pages_lang_is(value, language):
    from triage.i18n import normalise

    assert record_language(value) == language
    if isinstance(value, str) and value.strip():
        assert normalise(value.strip()) == language  # the same reading as `?lang=`


def test_a_record_may_say_its_language():
    assert clean_record({"account_name": "acme", "language": "zh-CN"})["language"] == "zh_Hans"
    assert clean_record({"account_name": "acme"})["language"] is None
    with pytest.raises(RecordError) as refused:
        clean_record({"account_name": "acme", "language": "fr"})
    assert refused.value.fields == {"language": "must be one of: en, zh_Hans, es"}
    # A directory's answer in a language we do not write is still the record: its owner
    # is written in the default language, and the directory is not taken for down.
    assert (
        clean_record({"account_name": "acme", "language": "fr"}, strict=False)["language"] is None
    )


@pytest.fixture
def app_config(http_config: dict[str, Any]) -> dict[str, Any]:
    return http_config


@pytest.mark.parametrize(
    ("answered", "owner_language"), [("es", "es"), ("en-GB", "en"), ("fr", "en"), (None, "en")]
)
def test_the_owner_is_written_in_the_directorys_language_not_the_requesters(
    app, client, directory, submitted, answered, owner_language
):
    directory.records["acme-cloud"] = {**ACME_RECORD, "language": answered}
    client.set_cookie("lang", "zh_Hans")  # whoever files the change chooses this
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED)
    stored = _stored(app, ticket.reference)
    assert stored["status"] in ("matched", "mismatch")
    assert stored["record"]["language"] == (None if answered in (None, "fr") else owner_language)
    languages = _languages(app, ticket.reference)
    assert languages["owner_notice"] == (OWNER_EMAIL, owner_language)
    assert languages["ticket_created"] == ("owner@example.com", "zh_Hans")


def test_an_imported_record_keeps_its_language(app, runner, tmp_path, load_records):
    from triage.accounts.models import AccountRecord
    from triage.extensions import db

    path = tmp_path / "accounts.csv"
    path.write_text(
        "account_name,email,language\nacme-cloud,a@example.org,zh-CN\n", encoding="utf-8"
    )
    assert runner.invoke(args=["accounts", "import", str(path)]).exit_code == 0
    with app.app_context():
        assert db.session.get(AccountRecord, "acme-cloud").language == "zh_Hans"
    # A language this product does not write is refused by line, and nothing changes.
    result = load_records([{"account_name": "acme-cloud", "language": "fr"}])
    assert result.exit_code != 0
    assert "line 1: language: must be one of: en, zh_Hans, es" in result.output
    with app.app_context():
        assert db.session.get(AccountRecord, "acme-cloud").language == "zh_Hans"
