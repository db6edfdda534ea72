"""Loading the table backend of the account directory from a file.

recovery.md "Accounts of record": `flask accounts import FILE`, a CSV with the record's
keys as the header or JSON Lines with those keys; importing again updates records by
`account_name`. A file with any bad row imports nothing (all or nothing), and every
problem is reported with its line number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.accounts.directory import account_key
from triage.accounts.models import AccountRecord
from triage.accounts.records import RECORD_KEYS, RecordError, clean_record
from triage.extensions import db

CSV_EXTENSIONS = (".csv",)
JSONL_EXTENSIONS = (".jsonl", ".ndjson", ".json")


@dataclass(frozen=True)
class LineError:
    line: int
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}"


class ImportRefused(ValueError):
    """The file has problems: nothing was imported. `errors` has one entry per problem."""

    def __init__(self, errors: list[LineError]) -> None:
        super().__init__(f"{len(errors)} problem(s); nothing was imported")
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    keys: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def file_format(path: Path, text: str) -> str:
    """`csv` or `jsonl`: by the extension, else by the content (a line opening with `{`)."""
    suffix = path.suffix.lower()
    if suffix in CSV_EXTENSIONS:
        return "csv"
    if suffix in JSONL_EXTENSIONS:
        return "jsonl"
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return "jsonl" if first.startswith("{") else "csv"


def _csv_rows(text: str) -> Iterator[tuple[int, Mapping[str, Any] | LineError]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, LineError(1, f"not a CSV header ({exc})")
        return
    header = [name.strip() for name in header]
    unknown = [name for name in header if name not in RECORD_KEYS]
    if unknown or "account_name" not in header or len(set(header)) != len(header):
        problems = []
        if unknown:
            problems.append(f"unknown columns: {', '.join(unknown[:10])}")
        if "account_name" not in header:
            problems.append("the account_name column is required")
        if len(set(header)) != len(header):
            problems.append("a column is named twice")
        yield 1, LineError(1, "; ".join(problems) + f" (the columns are: {', '.join(RECORD_KEYS)})")
        return
    line = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, LineError(line, f"not valid CSV ({exc})")
            return
        if any(value.strip() for value in values):
            if len(values) != len(header):
                yield (
                    line,
                    LineError(
                        line, f"{len(values)} values where the header has {len(header)} columns"
                    ),
                )
            else:
                yield line, dict(zip(header, values, strict=True))
        line = reader.line_num + 1


def _jsonl_rows(text: str) -> Iterator[tuple[int, Mapping[str, Any] | LineError]]:
    # Only "\n" ends a line: JSON strings may hold U+2028 and friends, which splitlines cuts.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except RecursionError:
            yield number, LineError(number, "not valid JSON (nested too deeply)")
            continue
        except ValueError as exc:
            yield number, LineError(number, f"not valid JSON ({exc.args[0] if exc.args else exc})")
            continue
        if not isinstance(value, Mapping):
            yield number, LineError(number, "each line must be a JSON object")
            continue
        yield number, value


def parse_records(text: str, kind: str) -> list[tuple[int, dict[str, Any]]]:
    """Every row of the file checked (triage.accounts.records.clean_record), as
    (line, record); ImportRefused listing every problem with its line number, including
    two rows for one account (by the normalised account key)."""
    rows = _csv_rows(text) if kind == "csv" else _jsonl_rows(text)
    errors: list[LineError] = []
    records: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if isinstance(row, LineError):
            errors.append(row)
            continue
        try:
            record = clean_record(row)
        except RecordError as exc:
            errors.extend(
                LineError(line, f"{key}: {problem}") for key, problem in exc.fields.items()
            )
            continue
        key = account_key(record["account_name"])
        if not key:
            errors.append(LineError(line, "account_name: has no letters or digits"))
        elif key in seen:
            errors.append(LineError(line, f"account_name: the same account as line {seen[key]}"))
        else:
            seen[key] = line
            records.append((line, record))
    if errors:
        raise ImportRefused(errors)
    if not records:
        raise ImportRefused([LineError(1, "the file has no records")])
    return records


def import_records(records: list[tuple[int, dict[str, Any]]]) -> ImportResult:
    """Add or update one AccountRecord per row, by the normalised account key; flushes.

    A row replaces its account's record whole: a column the row leaves out or empty is
    "not known" afterwards (the file is the directory's copy of the record).
    """
    result = ImportResult()
    keys = [account_key(record["account_name"]) for _, record in records]
    existing: dict[str, AccountRecord] = {}
    for start in range(0, len(keys), 500):  # IN lists of a size every database takes
        chunk = keys[start : start + 500]
        for row in db.session.scalars(
            db.select(AccountRecord).where(AccountRecord.account_key.in_(chunk))
        ):
            existing[row.account_key] = row
    for key, (_, record) in zip(keys, records, strict=True):
        row = existing.get(key)
        if row is None:
            db.session.add(AccountRecord(account_key=key, **record))
            result.created += 1
        elif any(getattr(row, name) != value for name, value in record.items()):
            for name, value in record.items():
                setattr(row, name, value)
            result.updated += 1
        else:
            result.unchanged += 1
        result.keys.append(key)
    db.session.flush()
    return result


def import_file(path: Path) -> ImportResult:
    """Read, check and import `path` (UTF-8, a byte-order mark allowed); flushes.

    ImportRefused (nothing imported) when any row is bad or the file is not UTF-8 text.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused([LineError(1, f"the file is not UTF-8 text ({exc.reason})")]) from exc
    return import_records(parse_records(text, file_format(path, text)))
