"""Password hashing: production's scrypt by default, never weaker in production; the suite's
cheaper scrypt (tests/conftest.py) is still real hashing."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.security import check_password_hash

from config import ConfigError
from triage.extensions import db
from triage.reviewers.operations import PASSWORD_HASH_METHOD, authenticate, create_reviewer


def _reviewer_hash(app) -> str:
    with app.app_context():
        reviewer = create_reviewer("ann@example.com", "Ann", "lead", "a long passphrase")
        db.session.commit()
        return reviewer.password_hash


def test_the_suite_hashes_with_a_cheaper_but_real_scrypt(app):
    stored = _reviewer_hash(app)
    assert stored.startswith(app.config["PASSWORD_HASH_METHOD"] + "$")
    assert stored.startswith("scrypt:")
    assert check_password_hash(stored, "a long passphrase")
    with app.app_context():
        assert authenticate("ann@example.com", "a long passphrase") is not None
        assert authenticate("ann@example.com", "a wrong passphrase") is None
        assert authenticate("nobody@example.com", "a long passphrase") is None


def test_without_the_setting_passwords_get_werkzeugs_scrypt_default(app_config: dict[str, Any]):
    from triage.app import create_app

    del app_config["PASSWORD_HASH_METHOD"]
    app = create_app(app_config)
    assert _reviewer_hash(app).startswith(PASSWORD_HASH_METHOD + "$")
    assert PASSWORD_HASH_METHOD == "scrypt:32768:8:1"


@pytest.mark.parametrize("method", ["scrypt:1024:8:1", "scrypt:32768:4:1", "pbkdf2:sha256:1000"])
def test_production_refuses_a_weaker_hash(app_config: dict[str, Any], method: str):
    from triage.app import create_app

    app = create_app({**app_config, "TRIAGE_ENV": "production", "PASSWORD_HASH_METHOD": method})
    with app.app_context(), pytest.raises(ConfigError, match="PASSWORD_HASH_METHOD"):
        create_reviewer("ann@example.com", "Ann", "lead", "a long passphrase")


@pytest.mark.parametrize("method", ["scrypt", "scrypt:65536:8:1"])
def test_production_accepts_the_default_or_stronger(app_config: dict[str, Any], method: str):
    from triage.app import create_app

    app = create_app({**app_config, "TRIAGE_ENV": "production", "PASSWORD_HASH_METHOD": method})
    assert check_password_hash(_reviewer_hash(app), "a long passphrase")
