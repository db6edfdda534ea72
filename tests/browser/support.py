"""Helpers for the browser tests: Chromium, files to upload, screenshots, axe-core."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import FIXTURES
from tests.review.helpers import encode_png

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Every module here: `pytestmark = BROWSER`.
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt install chromium)"),
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 20_000  # generous: on a busy 2-core machine the app and Chromium share the CPU
MAX_FILE_BYTES = 5_242_880


def shot(page, name: str, full_page: bool = False) -> Path:
    """Save a screenshot under tests/screenshots/ (ignored by git)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    return path


# --- files ------------------------------------------------------------------------------------


def file(name: str, data: bytes, mime: str) -> dict[str, Any]:
    """A file for `set_input_files`, without touching the disk."""
    return {"name": name, "mimeType": mime, "buffer": data}


def pdf_file(name: str, marker: str = "") -> dict[str, Any]:
    # A unique trailing comment gives each copy its own SHA-256.
    data = (FIXTURES / "statement.pdf").read_bytes() + f"\n% {name} {marker}\n".encode()
    return file(name, data, "application/pdf")


def card_png(name: str = "card-front.png", shade: int = 0) -> dict[str, Any]:
    return file(name, card_picture(shade), "image/png")


def executable_named(name: str) -> dict[str, Any]:
    """A Windows program renamed to look like a photo: only the server can tell."""
    dos_header = b"MZ\x90\x00\x03" + b"\x00" * 55 + struct.pack("<I", 64)  # PE header at 64
    machine = struct.pack("<HH", 0x14C, 1)  # i386, one section
    optional = struct.pack("<HH", 224, 0x102)  # optional header size, flags: executable
    pe_header = b"PE\x00\x00" + machine + b"\x00" * 12 + optional
    return file(name, dos_header + pe_header + b"\x00" * 4096, "image/jpeg")


def card_picture(shade: int = 0, width: int = 240, height: int = 152) -> bytes:
    """A PNG that looks like a bank card: blue body, magnetic-stripe band, gold chip."""
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter: none
        for x in range(width):
            if 20 <= y < 44:
                pixel = (30, 30, 40)
            elif 70 <= y < 100 and 24 <= x < 64:
                pixel = (212, 175, 55)
            else:
                pixel = (20 + shade, 70 + x // 6, 160 + y // 4)
            row += bytes(pixel)
        rows.append(bytes(row))

    return encode_png(width, height, b"".join(rows))


# --- reviewers --------------------------------------------------------------------------------

PASSWORD = "correct horse battery"


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/review/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Review queue").wait_for()


# --- axe-core ---------------------------------------------------------------------------------

_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " | " + n.failureSummary),
  }));
}"""


def axe_violations(page, script: Path, impacts: tuple[str, ...] = ("serious", "critical")):
    """The page's axe-core violations of these impacts. The page's context must bypass the
    CSP (`bypass_csp=True`), which rightly refuses injected scripts."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(script))
    return [v for v in page.evaluate(_RUN_AXE) if v["impact"] in impacts]


# --- customers --------------------------------------------------------------------------------


def answer(page, question: str, choice: str) -> None:
    """Tick `choice` in the radio group whose question contains `question`."""
    page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()


def open_ticket(page, reference: str, code: str) -> None:
    """Open a ticket on this device through its private link."""
    page.goto(f"/resume#{reference}:{code}")
    page.wait_for_url(f"**/tickets/{reference}")


def open_item(page, key: str) -> None:
    """Open the choices around a document's box ("Choose 2 of these 3" folds its options
    until the customer picks one), outermost first, as a customer taps them."""
    summaries = page.locator(f"details:has(#item-{key}) > summary")
    for index in range(summaries.count()):
        summary = summaries.nth(index)
        # On a loaded machine a tap can land while the page is still settling (a web font
        # arriving moves the summaries), so a tap that left the choice folded is made again.
        for _ in range(3):
            if summary.evaluate("s => s.parentElement.open"):
                break
            summary.click()
            try:
                expect(summary.locator("xpath=..")).to_have_js_property("open", True, timeout=3000)
            except AssertionError:
                continue
    page.locator(f"#item-{key}").wait_for(state="visible")
