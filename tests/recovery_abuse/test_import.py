"""`flask accounts import FILE` with awkward files (recovery.md "Accounts of record";
README: "a file with any bad line imports nothing and lists every problem by line")."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from triage.accounts.models import AccountRecord
from triage.extensions import db


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AccountRecord))


def _run(runner, tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return runner.invoke(args=["accounts", "import", str(path)])


def test_bom_crlf_and_quoted_commas(app, runner, tmp_path):
    data = (
        "\ufeffaccount_name,customer_type,email,mobile\r\n"
        '"Acme, Inc.",direct,a@example.org,+86 138 0013 1234\r\n'
        'beta,direct,"b@example.org",\r\n'
    ).encode()
    result = _run(runner, tmp_path, "a.csv", data)
    assert result.exit_code == 0, result.output
    assert _count(app) == 2


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("nested.jsonl", b'{"account_name": "x", "email": ' + b"[" * 50000 + b"\n"),
        ("latin1.csv", "account_name\nm\xfcller\n".encode("latin-1")),
        ("dupes.csv", "account_name\nAcme\n\uff21cme\nACME\u200b\n".encode()),
        ("bidi.jsonl", b'{"account_name": "acme\\u202e"}\n{"account_name": "ACME"}\n'),
        ("wrongtypes.jsonl", b'{"account_name": ["acme"]}\n{"account_name": 12}\n'),
    ],
)
def test_bad_files_import_nothing_and_say_why(app, runner, tmp_path, name, data):
    result = _run(runner, tmp_path, name, data)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code != 0, result.output
    assert _count(app) == 0


def test_formula_cells_are_kept_as_text(app, runner, tmp_path):
    data = b"account_name,email\n\"=cmd|'/c calc'!A1\",a@example.org\n"
    result = _run(runner, tmp_path, "f.csv", data)
    # Either refused or stored verbatim; never a crash.
    assert result.exception is None or isinstance(result.exception, SystemExit)
