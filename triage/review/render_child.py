"""The preview renderer's child process: `python -I render_child.py KIND OUT LIMITS < file`.

Started by preview.py under CPU, memory and time limits; reads the file on stdin, writes
`OUT/page-<n>.<png|jpg>` and prints one JSON line: `{"pages": n, "extension": "png"}`, or
`{"refused": reason, "too_large": bool}` for a file it will not render. Standalone (no
import from the app): it runs in isolated mode with only the venv's packages.
"""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

FORM_DEPTH = 8  # nested form XObjects followed this deep; deeper ones count as too costly


class Refused(Exception):
    def __init__(self, reason: str, too_large: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_large = too_large


def _number(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


# --- PDF -------------------------------------------------------------------------------------


def _resources(page: Any) -> Any:
    # /Resources may be inherited from the page tree (PDF 1.7, 7.7.3.4).
    node, hops = page.obj, 0
    while node is not None and hops < 64:
        if "/Resources" in node:
            return node.Resources
        node, hops = node.get("/Parent"), hops + 1
    return None


def _image_pixels(resources: Any, seen: set[tuple[int, int]], depth: int) -> int:
    """Pixels of every image the resources name, through forms and patterns."""
    import pikepdf

    if resources is None or depth > FORM_DEPTH:
        return 0 if resources is None else 10**12
    total = 0
    for group in ("/XObject", "/Pattern"):
        entries = resources.get(group)
        if not isinstance(entries, pikepdf.Dictionary):
            continue
        for _, obj in entries.items():
            if not isinstance(obj, (pikepdf.Stream, pikepdf.Dictionary)):
                continue
            if obj.is_indirect:
                if obj.objgen in seen:
                    continue
                seen.add(obj.objgen)
            if obj.get("/Subtype") == "/Image":
                total += int(_number(obj.get("/Width"), 0)) * int(_number(obj.get("/Height"), 0))
                mask = obj.get("/SMask")
                if isinstance(mask, pikepdf.Stream):
                    w, h = _number(mask.get("/Width"), 0), _number(mask.get("/Height"), 0)
                    total += int(w) * int(h)
            elif "/Resources" in obj:  # a form XObject or a tiling pattern
                total += _image_pixels(obj.Resources, seen, depth + 1)
    return total


def _inline_image_pixels(page: Any) -> int:
    import pikepdf

    total = 0
    for operands, operator in pikepdf.parse_content_stream(page):
        if str(operator) == "INLINE IMAGE":
            image = operands[0]
            total += int(image.width) * int(image.height)
    return total


def _check_pdf(data: bytes, limits: dict[str, Any]) -> tuple[int, list[float]]:
    """Pages to render and each one's resolution in dpi; Refused if one is over the cap."""
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))  # the empty user password, if any
    except pikepdf.PasswordError:
        raise Refused("the PDF needs a password") from None
    except pikepdf.PdfError as exc:
        raise Refused(f"the PDF cannot be read: {str(exc)[:120]}") from None
    with pdf:
        count = min(len(pdf.pages), limits["max_pages"])
        if count == 0:
            raise Refused("the PDF has no pages")
        cap, resolutions = limits["pixels"], []
        for number, page in enumerate(pdf.pages[:count], start=1):
            box = [_number(v, 0) for v in page.cropbox]
            unit = _number(page.obj.get("/UserUnit"), 1.0)
            width = abs(box[2] - box[0]) * unit / 72  # inches
            height = abs(box[3] - box[1]) * unit / 72
            if not (width > 0 and height > 0):
                raise Refused(f"page {number} has no size")
            dpi = min(150.0, limits["longest_side"] / max(width, height))
            page_pixels = (width * dpi) * (height * dpi)
            drawn = _image_pixels(_resources(page), set(), 0) + _inline_image_pixels(page)
            if page_pixels > cap or drawn > cap:
                raise Refused(
                    f"page {number} draws {max(drawn, int(page_pixels)):,} pixels of images; "
                    f"the limit is {cap:,}",
                    too_large=True,
                )
            resolutions.append(dpi)
        return count, resolutions


def _render_pdf(data: bytes, out: Path, limits: dict[str, Any]) -> dict[str, Any]:
    count, _ = _check_pdf(data, limits)
    source = out / "in.pdf"
    source.write_bytes(data)
    # One pdftoppm run for all pages (the file is parsed once); it inherits our limits.
    done = subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-f",
            "1",
            "-l",
            str(count),
            "-scale-to",
            str(limits["longest_side"]),
            str(source),
            str(out / "p"),
        ],
        capture_output=True,
        check=False,
    )
    source.unlink()
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise Refused(f"rendering needed more than {limits['cpu_seconds']} s of CPU", True)
    if done.returncode != 0:
        error = done.stderr.decode(errors="replace")
        if "alloc" in error.lower() or "memory" in error.lower():
            raise Refused("rendering needed more memory than allowed", True)
        raise Refused(f"poppler could not render the PDF: {error[:120]}")
    # pdftoppm names pages p-1.png or p-01.png (padded to the page count's digits).
    made = sorted(out.glob("p-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    if len(made) != count or not all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in made):
        raise Refused("poppler produced no image")
    for number, path in enumerate(made, start=1):
        path.rename(out / f"page-{number}.png")
    return {"pages": count, "extension": "png"}


# --- images ----------------------------------------------------------------------------------


def _render_image(data: bytes, out: Path, limits: dict[str, Any]) -> dict[str, Any]:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = None  # checked just below, from the header, before decoding
    side = limits["longest_side"]
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > limits["pixels"]:
                raise Refused(
                    f"the image has {image.width * image.height:,} pixels; "
                    f"the limit is {limits['pixels']:,}",
                    too_large=True,
                )
            source_format = image.format
            if source_format == "JPEG":
                image.draft("RGB", (side, side))  # decode at 1/2, 1/4, 1/8 scale: cheaper
            upright = ImageOps.exif_transpose(image)  # a phone's rotation, applied
    except Refused:
        raise
    except Exception as exc:  # Pillow raises many kinds for a broken file
        raise Refused(f"the image cannot be decoded: {type(exc).__name__}") from None
    if upright.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit greyscale PNG
        upright = upright.convert("I").point(lambda v: v / 256).convert("L")
    upright.thumbnail((side, side), Image.Resampling.LANCZOS)
    if source_format == "JPEG":
        upright.convert("RGB").save(out / "page-1.jpg", "JPEG", quality=85, optimize=True)
        return {"pages": 1, "extension": "jpg"}
    if upright.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        upright = upright.convert("RGBA")
    upright.save(out / "page-1.png", "PNG", optimize=True)
    return {"pages": 1, "extension": "png"}


def main(argv: list[str]) -> int:
    kind, out, limits = argv[1], Path(argv[2]), json.loads(argv[3])
    data = sys.stdin.buffer.read()
    try:
        answer = (
            _render_pdf(data, out, limits) if kind == "pdf" else _render_image(data, out, limits)
        )
    except Refused as exc:
        answer = {"refused": exc.reason, "too_large": exc.too_large}
    except MemoryError:
        answer = {"refused": "rendering needed more memory than allowed", "too_large": True}
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
