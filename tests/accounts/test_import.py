"""`flask accounts import FILE` (recovery.md "Accounts of record"): CSV or JSON Lines,
every row checked, re-import updates by account name, a bad file imports nothing."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from triage.accounts.models import AccountRecord

HEADER = (
    "account_name,customer_type,real_name_auth,account_type,card_added,payments_made,"
    "enterprise_in_china,email,mobile,card_last4"
)


def _records(app) -> dict[str, dict]:
    from triage.extensions import db

    with app.app_context():
        rows = db.session.scalars(select(AccountRecord).order_by(AccountRecord.account_key))
        return {
            r.account_key: {
                "account_name": r.account_name,
                "customer_type": r.customer_type,
                "real_name_auth": r.real_name_auth,
                "account_type": r.account_type,
                "card_added": r.card_added,
                "payments_made": r.payments_made,
                "enterprise_in_china": r.enterprise_in_china,
                "email": r.email,
                "mobile": r.mobile,
                "card_last4": r.card_last4,
            }
            for r in rows
        }


def _import(runner, path: Path):
    return runner.invoke(args=["accounts", "import", str(path)])


def test_a_csv_file_is_imported(app, runner, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text(
        "\ufeff"  # a spreadsheet's byte-order mark
        + HEADER
        + "\r\n"
        + "ACME-Cloud,direct,completed,individual,true,yes,,"
        + "a@example.org,+86 138 0013 1234,0042\r\n"
        + "\r\n"
        + "Globex,reseller,not_completed,enterprise,false,no,true,ops@globex.example,,\r\n",
        encoding="utf-8",
    )
    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    assert "2 account record(s)" in result.output and "2 new" in result.output
    records = _records(app)
    assert records["acme-cloud"] == {
        "account_name": "ACME-Cloud",
        "customer_type": "direct",
        "real_name_auth": "completed",
        "account_type": "individual",
        "card_added": True,
        "payments_made": True,
        "enterprise_in_china": None,
        "email": "a@example.org",
        "mobile": "+86 138 0013 1234",
        "card_last4": "0042",
    }
    assert records["globex"]["enterprise_in_china"] is True
    assert records["globex"]["mobile"] is None and records["globex"]["card_last4"] is None


def test_json_lines_by_extension_or_by_content(app, runner, tmp_path):
    rows = [
        {
            "account_name": "acme-cloud",
            "account_type": "individual",
            "card_added": True,
            "card_last4": 4242,
            "email": "a@example.org",
        },
        {"account_name": "Initech", "customer_type": "partner"},
    ]
    text = "\n".join(json.dumps(r) for r in rows) + "\n\n"
    path = tmp_path / "accounts.jsonl"
    path.write_text(text, encoding="utf-8")
    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    assert _records(app)["acme-cloud"]["card_last4"] == "4242"
    # No telling extension: the content decides.
    other = tmp_path / "export.txt"
    other.write_text(json.dumps({"account_name": "Umbrella", "card_added": "no"}) + "\n")
    result = _import(runner, other)
    assert result.exit_code == 0, result.output
    assert _records(app)["umbrella"]["card_added"] is False


def test_importing_again_updates_by_account_name(app, runner, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text(
        "account_name,real_name_auth,email\nACME-Cloud,not_completed,a@example.org\n"
        "Globex,completed,g@example.org\n"
    )
    assert _import(runner, first).exit_code == 0
    # A look-alike spelling of the name (full-width letters, a zero-width space) is the
    # same account: updated, not added.
    second = tmp_path / "second.jsonl"
    second.write_text(
        json.dumps(
            {
                "account_name": "\uff21CME-cloud\u200b",
                "real_name_auth": "completed",
                "email": "new@example.org",
            }
        )
        + "\n"
        + json.dumps(
            {"account_name": "Globex", "real_name_auth": "completed", "email": "g@example.org"}
        )
        + "\n"
        + json.dumps({"account_name": "Hooli"})
        + "\n"
    )
    result = _import(runner, second)
    assert result.exit_code == 0, result.output
    assert "1 new, 1 updated, 1 unchanged" in result.output
    records = _records(app)
    assert set(records) == {"acme-cloud", "globex", "hooli"}
    assert records["acme-cloud"]["real_name_auth"] == "completed"
    assert records["acme-cloud"]["email"] == "new@example.org"


def test_a_file_with_bad_rows_imports_nothing_and_names_each_line(app, runner, tmp_path):
    keep = tmp_path / "keep.csv"
    keep.write_text("account_name,card_added\nACME-Cloud,false\n")
    assert _import(runner, keep).exit_code == 0
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER + "\n"
        "ACME-Cloud,direct,completed,individual,true,no,,a@example.org,,4242\n"  # fine
        "Globex,wholesale,completed,individual,maybe,no,,not-an-email,12,\n"  # line 3
        "Hooli,direct,completed,individual,true,no,,,,42x4\n"  # line 4
        "Initech,direct,completed,individual,false,no,,,,1234\n"  # line 5: no card bound
        ",direct,completed,individual,true,no,,,,\n"  # line 6: no name
        "acme-cloud,direct,completed,individual,true,no,,,,\n"  # line 7: twice
        "Too,few\n"  # line 8
    )
    result = _import(runner, path)
    assert result.exit_code != 0
    errors = result.output
    for expected in (
        "line 3: customer_type: must be one of: direct, reseller, partner",
        "line 3: card_added: must be true or false",
        "line 3: email: is not a valid email address",
        "line 3: mobile: is not a phone number",
        "line 4: card_last4: must be exactly 4 digits",
        "line 5: card_last4: is only for an account with a card bound",
        "line 6: account_name: is required",
        "line 7: account_name: the same account as line 2",
        "line 8: 2 values where the header has 10 columns",
        "nothing was imported",
    ):
        assert expected in errors, errors
    # All or nothing: the good line 2 was not imported either.
    assert _records(app)["acme-cloud"]["card_added"] is False
    assert set(_records(app)) == {"acme-cloud"}


def test_bad_json_lines_and_unknown_columns_are_refused(app, runner, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps({"account_name": "ok"}) + "\n"
        "{not json\n"
        "[1, 2]\n"
        + json.dumps({"account_name": "Globex", "password": "x", "account_type": "corp"})
        + "\n"
    )
    result = _import(runner, path)
    assert result.exit_code != 0
    assert "line 2: not valid JSON" in result.output
    assert "line 3: each line must be a JSON object" in result.output
    assert "line 4: password: is not a field of an account record" in result.output
    assert "line 4: account_type: must be one of: individual, enterprise" in result.output
    header = tmp_path / "bad.csv"
    header.write_text("account,email\nx,a@example.org\n")
    result = _import(runner, header)
    assert "line 1: unknown columns: account" in result.output
    assert "the account_name column is required" in result.output
    assert _records(app) == {}


def test_an_empty_file_or_not_utf8_is_refused(app, runner, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("account_name,email\n")
    assert "the file has no records" in _import(runner, empty).output
    latin = tmp_path / "latin.csv"
    latin.write_bytes("account_name\nSoci\xe9t\xe9\n".encode("latin-1"))
    assert "not UTF-8" in _import(runner, latin).output
    assert _records(app) == {}
