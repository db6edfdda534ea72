"""Hostile probes of the owner's refusal email (triage.recovery.notices `_tell_rejected`)
and of the review page's anchors and record-panel request form: fixtures shared with
tests/recovery, tests/notifications and tests/review.

A test marked `@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"],
indirect=True)` runs on both databases: "postgresql" is a database of our own on the
local server (`h_brk_refusal`, migrated once per session, emptied before each test),
skipped when the server does not answer. Unmarked tests use the suite's database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    MigratedDatabase,
    _emptying_sql,
    migrate,
    postgres_database,
    recreate_postgres_database,
)
from tests.notifications.conftest import app_config, smtp  # noqa: F401 - fixtures
from tests.recovery.conftest import change_ticket  # noqa: F401 - a fixture
from tests.review.helpers import (  # noqa: F401 - fixtures
    desk,
    lead,
    make_reviewer,
    make_ticket,
    other_reviewer,
    reviewer,
    submitted,
)

PG_URL = os.environ.get(
    "BRK_REFUSAL_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/h_brk_refusal"
)


@pytest.fixture(scope="session")
def refusal_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedDatabase]:
    """Our own migrated PostgreSQL database (skipped when the server does not answer)."""
    from sqlalchemy import create_engine

    url = postgres_database(PG_URL)
    try:
        recreate_postgres_database(url)
    except Exception as exc:  # no server, no driver: the SQLite half still runs
        pytest.skip(f"PostgreSQL not available: {exc}")
    migrate(url, tmp_path_factory.mktemp("brk-refusal-pg"))
    engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1)
    yield MigratedDatabase(url=url, engine=engine, empty_sql=_emptying_sql(engine))
    engine.dispose()


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, migrated_database: MigratedDatabase, tmp_path: Path
) -> str:
    """The suite's clean database, or ours on PostgreSQL for `param == "postgresql"`."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return request.getfixturevalue("refusal_postgres").fresh(tmp_path)
    return migrated_database.fresh(tmp_path)
