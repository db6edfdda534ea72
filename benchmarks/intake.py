"""`check_upload` today against the byte-scanning implementation it replaced, in one process.

The old implementation is `git show dd92dc4:triage/evidence/checks.py` and
`dd92dc4:triage/evidence/structure.py` (the hand-written zip/OLE/PDF scanners), loaded from
those source strings into temporary modules at run time, so both run on the same machine
in the same minutes on the same bytes. Set `INTAKE_BASELINE_REF` to compare with another
commit that still has the old scanners (HEAD stops having them once the change is
committed; the commit before it, `dd92dc4`, always has them).

Files, each checked by both (rounds interleaved, old then new, median of each):
- a 1 MiB scanned PDF as pikepdf writes it (one JPEG page image, proper cross-reference
  table): the target, ≤ 1.2x of the old check;
- the upload benchmark's 1 MiB PDF (`benchmarks.files.scan_pdf`: an image object of random
  bytes appended as an incremental update with its own xref section): context;
- a 1 MiB camera-like JPEG: the old check only sniffed it, the new one decodes it;
- the LibreOffice .docx of tests/fixtures.

The ratio column is the ratio of the two medians; in brackets, the quartiles of the
per-round ratios (each round times old and new back to back, so both see the same load).
"CPU" is the calling thread's CPU time (median), which a loaded machine inflates far less
than wall time; a check handed to a checker process spends its CPU time there, unseen.

The "of which" rows split the new PDF check: pikepdf's open alone (qpdf reads the
cross-reference table and trailer), open + object walk as the web process does it for an
ordinary PDF (`inspect_pdf`), the same check done in a checker process
(`inspect_pdf_in_checker`, the path of every PDF the web process does not answer for: it
is context, not part of the new check's time), libmagic's sniff and the SHA-256 the check
computes for every file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

from benchmarks.files import scan_pdf
from benchmarks.report import MiB, Row, ms, progress, times
from triage.evidence import checks, images, pdf

ROOT = Path(__file__).resolve().parent.parent
TARGET_PDF_RATIO = 1.2
# The last commit with the hand-written byte scanners.
BASELINE_REF = "dd92dc4"


def _git_show(ref: str, path: str) -> str:
    return subprocess.run(
        ["git", "show", f"{ref}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def old_check_upload(ref: str | None = None) -> Callable[[str, bytes], object]:
    """`check_upload` of ``ref`` (default BASELINE_REF), from its source, without touching the
    installed package: structure.py becomes a private module the old checks.py imports."""
    ref = ref or os.environ.get("INTAKE_BASELINE_REF", BASELINE_REF)
    structure_source = _git_show(ref, "triage/evidence/structure.py")
    if "pdf_flagged_names" not in structure_source:
        raise SystemExit(
            f"{ref}:triage/evidence/structure.py has no byte scanners; set "
            "INTAKE_BASELINE_REF to a commit before the parser-based intake (e.g. dd92dc4)"
        )
    structure = types.ModuleType("_intake_baseline_structure")
    exec(compile(structure_source, f"{ref}:structure.py", "exec"), structure.__dict__)
    sys.modules[structure.__name__] = structure
    checks_source = _git_show(ref, "triage/evidence/checks.py").replace(
        "from triage.evidence.structure import", f"from {structure.__name__} import"
    )
    spec = importlib.util.spec_from_loader("_intake_baseline_checks", loader=None)
    assert spec is not None
    old = importlib.util.module_from_spec(spec)
    sys.modules[old.__name__] = old
    exec(compile(checks_source, f"{ref}:checks.py", "exec"), old.__dict__)
    return old.check_upload


def pikepdf_scan(size: int = MiB) -> bytes:
    """A one-page scan of about ``size`` bytes: a camera-noise JPEG on a page, via pikepdf."""
    import pikepdf

    data = camera_jpeg(size - 2000)
    with pikepdf.new() as document:
        image = pikepdf.Stream(document, data)
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height = 1600, 1200
        image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
        image.Filter = pikepdf.Name.DCTDecode
        page = document.add_blank_page(page_size=(595, 842))
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.Contents = document.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()


def camera_jpeg(size: int = MiB) -> bytes:
    """A 1600 x 1200 JPEG of noise with its quality chosen to come close to ``size`` bytes."""
    from PIL import Image

    picture = Image.merge(
        "RGB", [Image.effect_noise((1600, 1200), 30 + i).convert("L") for i in range(3)]
    )
    best = b""
    for quality in range(40, 100, 3):
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=quality)
        if out.tell() > size:
            break
        best = out.getvalue()
    return best


def _time(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _time_and_cpu(call: Callable[[], object]) -> tuple[float, float]:
    cpu, started = time.thread_time(), time.perf_counter()
    call()
    return time.perf_counter() - started, time.thread_time() - cpu


def _compare(
    name: str, data: bytes, old: Callable, rounds: int
) -> tuple[float, float, list[float], float, float]:
    """(old median, new median) seconds, the quartiles of the per-round new/old ratios and
    the (old, new) median CPU seconds of the calling thread; rounds alternate old and new."""
    new_times: list[float] = []
    old_times: list[float] = []
    new_cpu: list[float] = []
    old_cpu: list[float] = []
    for _ in range(3):  # warm-up: imports, libmagic's database, caches
        checks.check_upload(name, data)
        old(name, data)
    for _ in range(rounds):
        wall, cpu = _time_and_cpu(lambda: old(name, data))
        old_times.append(wall)
        old_cpu.append(cpu)
        wall, cpu = _time_and_cpu(lambda: checks.check_upload(name, data))
        new_times.append(wall)
        new_cpu.append(cpu)
    ratios = [after / before for before, after in zip(old_times, new_times, strict=True)]
    quartiles = statistics.quantiles(ratios, n=4)
    return (
        statistics.median(old_times),
        statistics.median(new_times),
        quartiles,
        statistics.median(old_cpu),
        statistics.median(new_cpu),
    )


def _pikepdf_open(data: bytes) -> None:
    import pikepdf

    pikepdf.open(io.BytesIO(data), inherit_page_attributes=False, attempt_recovery=False).close()


def _median(call: Callable[[], object], rounds: int) -> float:
    call()
    return statistics.median(_time(call) for _ in range(rounds))


def run(rounds: int = 60) -> list[Row]:
    """The intake rows of the benchmark table."""
    progress("intake: loading the old checks from git")
    old = old_check_upload()
    files = [
        ("PDF 1 MiB, pikepdf scan", "scan.pdf", pikepdf_scan(), True),
        ("PDF 1 MiB, upload benchmark's scan_pdf", "scan.pdf", scan_pdf(MiB, 1), None),
        ("JPEG 1 MiB, 1600 x 1200", "photo.jpg", camera_jpeg(), None),
        (
            "DOCX, LibreOffice (4 KB)",
            "statement.docx",
            (ROOT / "tests/fixtures/statement.docx").read_bytes(),
            None,
        ),
    ]
    rows: list[Row] = []
    for label, name, data, targeted in files:
        progress(f"intake: {label} ({len(data):,} bytes), {rounds} rounds")
        before, after, quartiles, before_cpu, after_cpu = _compare(name, data, old, rounds)
        ratio = after / before
        rows.append(
            Row(
                f"check_upload, {label}",
                f"median {ms(after)} (CPU {ms(after_cpu)})",
                f"old byte scan median {ms(before)} (CPU {ms(before_cpu)})",
                f"{times(ratio)} ({quartiles[0]:.2f}-{quartiles[2]:.2f})",
                f"≤ {TARGET_PDF_RATIO:.2f}x" if targeted else "context",
                ratio <= TARGET_PDF_RATIO if targeted else None,
            )
        )
        if name.endswith(".pdf"):
            parts = (
                ("pikepdf.open (xref and trailer)", lambda d=data: _pikepdf_open(d)),
                ("pikepdf open + object walk (inspect_pdf)", lambda d=data: pdf.inspect_pdf(d)),
                (
                    "context: same check in a checker (inspect_pdf_in_checker)",
                    lambda d=data: pdf.inspect_pdf_in_checker(d),
                ),
                ("libmagic sniff", lambda d=data: checks._sniff(d)),
                ("sha256", lambda d=data: hashlib.sha256(d).hexdigest()),
            )
        elif name.endswith(".jpg"):
            parts = (
                (
                    "Pillow header + 1/8-scale decode (inspect_image)",
                    lambda d=data: images.inspect_image(d, "JPEG"),
                ),
                ("libmagic sniff", lambda d=data: checks._sniff(d)),
            )
        else:
            parts = ()
        for part, call in parts:
            rows.append(
                Row(
                    f"  of which {part}",
                    f"median {_median(call, rounds) * 1000:.2f} ms",
                    "-",
                    "-",
                    "context",
                    None,
                )
            )
    return rows


if __name__ == "__main__":
    from benchmarks.report import table

    print(table(run(int(sys.argv[1]) if len(sys.argv) > 1 else 60)))
