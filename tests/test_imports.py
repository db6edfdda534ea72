"""Modules import on their own, in any order: nothing configures SQLAlchemy's mappers at
import time, before every model is defined. The reviewer-token lookup once joined through a
relationship at import, so `import triage.tickets.models` then `import triage.api` failed
(Ticket's relationship to Evidence could not be resolved yet), and a test module that
imported them in that order could not even be collected."""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = [
    "triage.api",
    "triage.api.openapi",
    "triage.review.operations.leases",
    "triage.tickets.operations",
    "triage.grants.operations",
]


@pytest.mark.parametrize("module", MODULES)
def test_a_module_imports_right_after_one_model(module):
    done = subprocess.run(
        [sys.executable, "-c", f"import triage.tickets.models; import {module}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
