"""Browser fixtures: Debian's Chromium driven by Playwright, one browser for this package.

Playwright never downloads a browser here: it launches the system Chromium. Each page lives
in its own browser context (a separate device: its own cookies, so its own session) and
talks to `live_server`, the test's app over real HTTP.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PASSWORD,
    PHONE,
    TIMEOUT_MS,
)

# make_ticket: accounts the directory knows, so one approval suffices unless a test says
# otherwise (recovery.md; tests/browser/test_four_eyes.py takes the two-approval path).
from tests.review.helpers import make_reviewer, make_ticket, submitted  # noqa: F401 - fixtures

AXE_VERSION = "4.14.1"


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    # Package scope: the Playwright driver stops when this folder's tests are done, before
    # other browser tests (tests/tickets/test_browser.py) start their own.
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any, live_server: str) -> Iterator[Callable[..., Any]]:
    """new_page(phone=False, **context_options) -> a page on a new device.

    Phones are 375 px wide with touch. `page.errors` collects uncaught script errors and
    scripts' console errors (a CSP refusal among them), so a test can assert none.
    """
    contexts = []

    def make(phone: bool = False, **options: Any) -> Any:
        device = (
            {"viewport": PHONE, "is_mobile": True, "has_touch": True}
            if phone
            else {"viewport": DESKTOP}
        )
        context = browser.new_context(base_url=live_server, **{**device, **options})
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("console", lambda message: _console_error(page, message))
        return page

    yield make
    for context in contexts:
        context.close()


def _console_error(page: Any, message: Any) -> None:
    # An answer with an error status (the favicon's 404, the requirements API's 400 for
    # unanswered questions) is the app speaking, not a broken script.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        page.errors.append(message.text)


@dataclass
class ReviewerLogin:
    email: str
    password: str
    name: str


@pytest.fixture
def reviewer_login(app) -> ReviewerLogin:
    """A reviewer account, made by the service the CLI uses."""
    from triage.extensions import db
    from triage.reviewers.operations import create_reviewer

    with app.app_context():
        create_reviewer("rita@example.com", "Rita Reviewer", "reviewer", PASSWORD)
        db.session.commit()
    return ReviewerLogin("rita@example.com", PASSWORD, "Rita Reviewer")


# --- axe-core -----------------------------------------------------------------------------------


def _axe_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "evidence-triage" / f"axe-core-{AXE_VERSION}"


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe.min.js: $AXE_CORE_JS if set, else installed once by npm into the user's cache
    (outside the repository; nothing is committed)."""
    if os.environ.get("AXE_CORE_JS"):
        return Path(os.environ["AXE_CORE_JS"])
    cache = _axe_cache()
    script = cache / "node_modules" / "axe-core" / "axe.min.js"
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("axe-core is not installed and npm is not available (apt install npm)")
    cache.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="axe-", dir=cache.parent))
    command = [
        npm,
        "install",
        "--prefix",
        str(staging),
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        f"axe-core@{AXE_VERSION}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        reason = f"npm could not install axe-core@{AXE_VERSION}: {done.stderr.strip()[-500:]}"
        if os.environ.get("CI"):
            pytest.fail(reason)  # CI must not pass without the accessibility check
        pytest.skip(reason)
    try:
        staging.rename(cache)  # atomic: a parallel run sees all of it or nothing
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another run got there first
    return script
