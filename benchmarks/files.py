"""Evidence files of an exact size that pass the upload checks, made without extra packages.

Real evidence is a scan or a photo: a PDF around one big compressed image stream, or a
PNG/JPEG of camera noise. So the filler here is incompressible random bytes (a fixed seed,
so every run sends the same files), not a run of spaces that libmagic and the PDF scan
would skip over cheaply.
"""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

from triage.evidence.checks import check_upload

FIXTURE_PDF = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "statement.pdf"


def scan_pdf(size: int, seed: int) -> bytes:
    """tests/fixtures/statement.pdf followed by an image XObject of random bytes.

    The object is appended as an incremental update, with its own cross-reference section
    and a trailer pointing back at the original one, as a scanner or editor writes it; qpdf
    then opens it without rebuilding the table. Readers still show the statement; libmagic
    and the checks see a 'size'-byte PDF.
    """
    base = FIXTURE_PDF.read_bytes()
    previous = int(base[base.rindex(b"startxref") + 9 :].split()[0])
    root = base[base.rindex(b"/Root") + 5 :].split()[0]
    object_at = len(base) + 1
    length = size  # refined below once the header's and the tail's lengths are known
    for _ in range(6):
        head = (
            base + b"\n99 0 obj\n<< /Type /XObject /Subtype /Image /Width 1240 /Height 1754"
            b" /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode"
            + f" /Length {length} >>\nstream\n".encode()
        )
        end_object = b"\nendstream\nendobj\n"
        xref_at = len(head) + max(length, 0) + len(end_object)
        tail = end_object + (
            b"xref\n0 1\n0000000000 65535 f \n99 1\n%010d 00000 n \n"
            b"trailer\n<</Size 100/Root %s 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n"
            % (object_at, root, previous, xref_at)
        )
        length = size - len(head) - len(tail)
    if length <= 0:
        raise ValueError(f"{size} bytes is too small for a scan PDF")
    data = head + random.Random(seed).randbytes(length) + tail
    assert len(data) == size, (len(data), size)
    return data


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def noise_png(size: int, seed: int) -> bytes:
    """An RGB PNG of random pixels, padded to exactly `size` bytes with a private chunk."""
    rng = random.Random(seed)
    width = 512
    row = 1 + 3 * width
    height = max(1, (size - 1024) // row)  # random pixels do not compress: ~1 byte each
    raw = b"".join(b"\x00" + rng.randbytes(row - 1) for _ in range(height))
    head = b"\x89PNG\r\n\x1a\n" + _chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    )
    idat = _chunk(b"IDAT", zlib.compress(raw, 1))
    end = _chunk(b"IEND", b"")
    # "prVt": ancillary, private, safe to copy; decoders skip it.
    pad = size - len(head) - len(idat) - len(end) - 12
    if pad < 0:
        raise ValueError(f"{size} bytes is too small for this PNG")
    data = head + idat + _chunk(b"prVt", rng.randbytes(pad)) + end
    assert len(data) == size, (len(data), size)
    return data


def noise_jpeg(size: int, seed: int) -> bytes:
    """A baseline JPEG photo of random pixels, padded to exactly `size` bytes.

    Pillow encodes noise at quality 90 (what a phone's camera writes); the padding is
    comment segments (COM, 0xFFFE) right after SOI, which every decoder skips.
    """
    from io import BytesIO

    from PIL import Image

    rng = random.Random(seed)
    width = 640
    height = max(16, size // (width * 2))  # noise at quality 90: about 2 bytes a pixel
    while True:
        image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
        out = BytesIO()
        image.save(out, "JPEG", quality=90)
        encoded = out.getvalue()
        if len(encoded) <= size - 16:
            break
        height = height * 9 // 10
    pad = size - len(encoded)
    segments = []
    while pad:
        body = min(pad, 65_533 + 4) - 4  # a segment is FF FE, a 2-byte length, the body
        if pad - (body + 4) in (1, 2, 3):  # never leave less than one segment's overhead
            body -= 4
        segments.append(b"\xff\xfe" + struct.pack(">H", body + 2) + rng.randbytes(body))
        pad -= body + 4
    data = encoded[:2] + b"".join(segments) + encoded[2:]
    assert len(data) == size, (len(data), size)
    return data


def checked(filename: str, data: bytes, content_type: str) -> bytes:
    """`data` after making sure the real checks accept it as `content_type`."""
    result = check_upload(filename, data)
    if result.content_type != content_type:
        raise AssertionError(f"{filename}: the checks saw {result.content_type}")
    return data


def peer_files(size: int) -> list[tuple[str, str, bytes]]:
    """One scan PDF and two JPEG photos: files both this product and django-helpdesk take."""
    return _made(
        size,
        ("passport", "passport-scan.pdf", scan_pdf, "application/pdf"),
        ("card_front", "card-front.jpg", noise_jpeg, "image/jpeg"),
        ("card_transactions", "card-statement.jpg", noise_jpeg, "image/jpeg"),
    )


def ticket_files(size: int) -> list[tuple[str, str, bytes]]:
    """The three files of an unfreeze ticket with a card: (material, filename, bytes)."""
    return _made(
        size,
        ("passport", "passport-scan.pdf", scan_pdf, "application/pdf"),
        ("card_front", "card-front.png", noise_png, "image/png"),
        ("card_transactions", "card-statement.pdf", scan_pdf, "application/pdf"),
    )


def _made(size: int, *specs: tuple) -> list[tuple[str, str, bytes]]:
    """(material, filename, bytes) for each (material, filename, maker, content type): the
    n-th file is made from seed n and checked by the real intake checks (`checked`)."""
    return [
        (material, filename, checked(filename, make(size, seed), content_type))
        for seed, (material, filename, make, content_type) in enumerate(specs, start=1)
    ]
