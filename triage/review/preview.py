"""PDF pages as PNG images, rendered by poppler's `pdftoppm` when it is installed.

Reviewers see PDFs as pictures of their pages: no PDF viewer ever runs a customer's file
in a browser. poppler does not run PDF JavaScript, and PDFs flagged for active content
are not rendered at all (download only). Without poppler-utils the review page offers
the download instead. Each run has a time limit and a fixed output size.
"""

from __future__ import annotations

import re
import shutil
import subprocess

TIMEOUT_SECONDS = 20
LONGEST_SIDE_PIXELS = 1400
MAX_PAGES = 30  # a longer PDF shows its first pages; the download has them all
_PAGES = re.compile(rb"^Pages:\s+(\d+)\s*$", re.MULTILINE)


class PreviewFailed(Exception):
    """poppler could not read or render the file."""


def available() -> bool:
    return shutil.which("pdftoppm") is not None and shutil.which("pdfinfo") is not None


def _run(command: list[str], data: bytes) -> bytes:
    try:
        done = subprocess.run(
            command, input=data, capture_output=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PreviewFailed(str(exc)) from exc
    if done.returncode != 0:
        raise PreviewFailed(done.stderr.decode(errors="replace")[:300])
    return done.stdout


def page_count(data: bytes) -> int:
    match = _PAGES.search(_run(["pdfinfo", "-"], data))
    if match is None:
        raise PreviewFailed("pdfinfo did not report a page count")
    return int(match.group(1))


def render_page(data: bytes, page: int) -> bytes:
    """Page `page` (1-based) as PNG bytes; PreviewFailed if there is no such page."""
    if not 1 <= page <= MAX_PAGES:
        raise PreviewFailed(f"page {page} is not previewed")
    png = _run(
        [
            "pdftoppm",
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            "-scale-to",
            str(LONGEST_SIDE_PIXELS),
            "-",
        ],
        data,
    )
    if not png.startswith(b"\x89PNG"):
        raise PreviewFailed("pdftoppm produced no image")
    return png
