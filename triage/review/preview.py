"""Previews of evidence as pictures, rendered in a bounded child process. No Flask here.

Reviewers see PDFs as pictures of their pages and photos as upright, downscaled copies:
no PDF viewer ever runs a customer's file in a browser, and poppler does not run PDF
JavaScript (PDFs flagged for active content are never rendered at all).

A customer's file decides how much work rendering it costs (a 30-page PDF whose every
page draws a 30,000 x 30,000 image costs poppler about 20 s a page), so the work runs in
a child process (`render_child.py`) under limits (security.md, "Showing it"):

- a pixel cap checked before anything is rendered: the image pixels each page draws
  (image XObjects, nested forms and inline images included) and the page's own size at
  the rendering resolution; an image file's size is read from its header;
- CPU time and address space (`resource.setrlimit` in the child before it runs), and an
  output file size limit;
- a wall-clock limit for the whole job, after which the child's process group (the child
  and its pdftoppm) is killed.

`render` is called off the request path only (triage/review/previews.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

CHILD = Path(__file__).with_name("render_child.py")
LONGEST_SIDE_PIXELS = 1400  # every preview fits a 1400 x 1400 box
MAX_PAGES = 30  # a longer PDF shows its first pages; the download has them all
KINDS = {"application/pdf": "pdf", "image/jpeg": "jpeg", "image/png": "png"}
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg"}
_MEBIBYTE = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one preview job may cost. Units: pixels, seconds, bytes."""

    # Image pixels a page may draw, or an image file may have: the upload limit of 50
    # megapixels (security.md), which a 600 dpi A4 scan (35 Mpx) stays under.
    pixels: int = 50_000_000
    # CPU seconds for the child, and again for its pdftoppm (limits are per process).
    cpu_seconds: int = 20
    # Address space of each process: poppler streams images, so it needs far less.
    memory_bytes: int = 1024 * _MEBIBYTE
    # The whole job, start to finish; then the process group is killed.
    wall_seconds: float = 30.0
    # The largest file the child may write (one page image is well under 5 MiB).
    output_bytes: int = 64 * _MEBIBYTE
    longest_side: int = LONGEST_SIDE_PIXELS
    max_pages: int = MAX_PAGES


LIMITS = Limits()


@dataclass(frozen=True)
class Rendered:
    """The pictures of one file: `pages` image files of `extension` ("png" or "jpg")."""

    pages: list[bytes]
    extension: str

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.extension]


class PreviewFailed(Exception):
    """The file was not rendered. `too_large`: it is over a limit (not merely unreadable)."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_large = too_large


def available() -> bool:
    """Whether PDFs can be rendered here (poppler-utils installed). Images always can."""
    return shutil.which("pdftoppm") is not None


def can_render(content_type: str) -> bool:
    return content_type in KINDS and (KINDS[content_type] != "pdf" or available())


def _limit_child(limits: Limits) -> None:
    # Runs in the child between fork and exec (preexec_fn): only setrlimit calls, which
    # neither allocate much nor take locks that another thread of the parent could hold.
    cpu = limits.cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU, then SIGKILL
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(process.pid, signal.SIGKILL)


def render(data: bytes, content_type: str, limits: Limits = LIMITS) -> Rendered:
    """The preview pictures of a checked file (PDF, JPEG or PNG), made within `limits`.

    Returns at most `limits.max_pages` pictures, each fitting `limits.longest_side`
    pixels. Raises PreviewFailed (`too_large=True` for a file over a limit: pixel cap,
    CPU, memory or wall clock; False for one that cannot be read).
    """
    kind = KINDS.get(content_type)
    if kind is None:
        raise PreviewFailed(f"{content_type} files have no preview")
    if kind == "pdf" and not available():
        raise PreviewFailed("poppler-utils (pdftoppm) is not installed")
    with tempfile.TemporaryDirectory(prefix="preview-") as out:
        command = [sys.executable, "-I", str(CHILD), kind, out, json.dumps(asdict(limits))]
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=out,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"},
            preexec_fn=lambda: _limit_child(limits),  # setrlimit only: see above
            start_new_session=True,  # its own process group, killed as a whole below
            close_fds=True,
        )
        try:
            stdout, stderr = process.communicate(data, timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.communicate()
            raise PreviewFailed(
                f"rendering took longer than {limits.wall_seconds:g} s", too_large=True
            ) from None
        finally:
            _kill_group(process)  # a pdftoppm left behind by a child that died
        return _result(process.returncode, stdout, stderr, Path(out), limits)


def _result(code: int, stdout: bytes, stderr: bytes, out: Path, limits: Limits) -> Rendered:
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        raise PreviewFailed(
            f"rendering needed more than {limits.cpu_seconds} s of CPU", too_large=True
        )
    try:
        answer = json.loads(stdout.decode() or "null")
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        if b"MemoryError" in stderr or b"std::bad_alloc" in stderr:
            raise PreviewFailed(
                f"rendering needed more than {limits.memory_bytes // _MEBIBYTE} MiB of memory",
                too_large=True,
            )
        raise PreviewFailed(f"the renderer failed (exit {code})")
    if "refused" in answer:
        raise PreviewFailed(str(answer["refused"])[:200], too_large=bool(answer.get("too_large")))
    extension, count = answer["extension"], int(answer["pages"])
    pages = [(out / f"page-{n}.{extension}").read_bytes() for n in range(1, count + 1)]
    return Rendered(pages=pages, extension=extension)
