"""The migrations are the schema: one head, nothing the models have that they lack, and
every revision can be undone and redone.

The suite's shared database is migrated once per session (tests/conftest.py); the
downgrade test gets an empty database of its own, so undoing the schema touches no other
test's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from tests.conftest import postgres_database, recreate_postgres_database
from triage.extensions import db


def differences(app: Flask) -> list:
    """What the models have that the database does not, or the other way round."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, db.metadata)


def tables(app: Flask) -> set[str]:
    with app.app_context(), db.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


@pytest.fixture
def empty_app(app_config: dict, tmp_path: Path) -> Iterator[Flask]:
    """The app on a database of its own with no tables at all."""
    from triage.app import create_app

    if os.environ.get("TEST_DATABASE_URL"):
        url = postgres_database(os.environ["TEST_DATABASE_URL"], suffix="_migrations")
        recreate_postgres_database(url)
    else:
        url = f"sqlite:///{tmp_path / 'migrations.db'}"
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": url})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_there_is_one_migration_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several heads, merge them: {heads}"


def test_migrations_match_the_models(app):
    # `app` runs on a copy of the database every migration has run on (SQLite or PostgreSQL).
    diff = differences(app)
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


def test_every_migration_can_be_undone_and_redone(empty_app):
    with empty_app.app_context():
        upgrade()
    assert differences(empty_app) == []

    with empty_app.app_context():
        downgrade(revision="base")
    assert tables(empty_app) <= {"alembic_version"}, "a downgrade left tables behind"

    with empty_app.app_context():
        upgrade()
    assert differences(empty_app) == [], "upgrading again does not give the models' schema"
