"""Photos and scans (JPEG, PNG) read by Pillow: the header first, then a full decode.

Pure module (no Flask). Source of the rules: security.md, "Accepting a file" — an image
over the pixel limit is refused before it is decoded, whatever its byte size (a 76 KB PNG
can declare 20,000 x 20,000 pixels: 400 megapixels, over a gigabyte once decoded), and an
image that does not decode completely (a photo cut off during upload) is refused as
damaged (api.md: 422 damaged_file).

Pillow's ``LOAD_TRUNCATED_IMAGES`` must stay False (its default): with it, a cut-off JPEG
decodes "successfully" with a grey lower half. It is a process-wide setting, so it is
checked here rather than set.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageFile, UnidentifiedImageError

# 50 megapixels: a phone's full-resolution photo (48-50 MP sensors, 8160 x 6120 = 49.9 MP)
# passes; a scan at 600 dpi of an A4 page is 35 MP. One constant, used for every format.
MAX_IMAGE_PIXELS: int = 50_000_000

IMAGE_DAMAGED_ADVICE = "Please take the photo again or upload the original file from your device."
IMAGE_TOO_LARGE_ADVICE = (
    "Please take a normal photo instead, or scan the document at a lower resolution "
    "(300 dpi is plenty)."
)
# A progressive JPEG is decoded once per scan (SOS segment), whatever the file's size: 2,000
# repeated scans of a 50 MP picture are 346 KB and take ~23 s. libjpeg writes 10 scans for
# a colour progressive JPEG (6 for grey), mozjpeg and phone cameras a few more; decoders
# that guard against this refuse past a few hundred (nvImageCodec: 256, after Cure53's
# audit of libjpeg-turbo; libjpeg-turbo's djpeg has -maxscans). The decode cost is
# pixels x scans, so both are bounded: 100 scans, and at most 25 full passes of 50 MP.
MAX_JPEG_SCANS: int = 100
MAX_JPEG_PIXEL_SCANS: int = 25 * MAX_IMAGE_PIXELS
IMAGE_TOO_COSTLY_ADVICE = (
    "Please upload the original photo from your device, or save it again as an ordinary "
    "JPEG or PNG."
)
# JPEGs are decoded at 1/8 scale (libjpeg's DCT scaling): every byte of the compressed
# data is still read and Huffman-decoded, so a truncated file fails the same way, at a
# fraction of the time and memory of a full-size decode.
_JPEG_DRAFT_SCALE = 8


class ImageDamaged(Exception):
    """The image does not open or decode completely; ``str()`` is a technical reason."""


class ImageTooCostly(Exception):
    """A progressive JPEG of more scans than ``MAX_JPEG_SCANS`` (or pixels x scans over
    ``MAX_JPEG_PIXEL_SCANS``); ``scans`` is the count."""

    def __init__(self, scans: int) -> None:
        super().__init__(f"{scans} scans")
        self.scans = scans


def jpeg_scans(data: bytes, stop_after: int = MAX_JPEG_SCANS) -> int:
    """The number of scans (SOS segments) of a JPEG, counted up to ``stop_after + 1``.

    Walks the marker segments (ITU-T T.81 B.1.1): each marker is 0xFF and a code; all but
    SOI, EOI, TEM and RSTn carry a two-byte big-endian length. After an SOS segment comes
    entropy-coded data, in which 0xFF is followed by 0x00 (a stuffed byte) or an RSTn
    marker. Stops at EOI or at anything malformed (Pillow then judges the file).
    """
    scans, position, size = 0, 2, len(data)
    while position + 4 <= size and scans <= stop_after:
        if data[position] != 0xFF:
            return scans
        code = data[position + 1]
        if code == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if code == 0xD9:  # EOI
            return scans
        if code == 0x01 or 0xD0 <= code <= 0xD8:
            position += 2
            continue
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
        if code != 0xDA:
            continue
        scans += 1
        # Skip the entropy-coded data: up to the next 0xFF that is a real marker.
        while True:
            position = data.find(b"\xff", position)
            if position < 0 or position + 1 >= size:
                return scans
            follower = data[position + 1]
            if follower == 0x00 or 0xD0 <= follower <= 0xD7:
                position += 2
                continue
            break
    return scans


class ImageTooLarge(Exception):
    """The image's header declares more than ``MAX_IMAGE_PIXELS`` pixels."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__(f"{width} x {height} pixels")
        self.width = width
        self.height = height


def inspect_image(data: bytes, image_format: str) -> None:
    """Check that ``data`` is a complete ``image_format`` ("JPEG" or "PNG") image.

    Reads the header, refuses more than ``MAX_IMAGE_PIXELS`` before decoding anything, then
    decodes the whole image. Raises ``ImageTooLarge``, ``ImageTooCostly`` (a progressive
    JPEG of too many scans, counted before decoding) or ``ImageDamaged``; returns None
    for a genuine image (EXIF-rotated, CMYK, progressive JPEG; 16-bit, palette, interlaced
    PNG all decode).
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must be False for upload checks")
    try:
        # Pillow's own bomb check runs inside open() (warning over 89 MP, error over
        # 179 MP); both are our "too many pixels".
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[image_format])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(0, 0) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageDamaged(f"Pillow cannot open it: {exc}") from exc
    with image:
        width, height = image.size
        if width * height > MAX_IMAGE_PIXELS:
            raise ImageTooLarge(width, height)
        if width == 0 or height == 0:
            raise ImageDamaged("zero-sized image")
        if image_format == "JPEG":
            scans = jpeg_scans(data)
            if scans > MAX_JPEG_SCANS or width * height * scans > MAX_JPEG_PIXEL_SCANS:
                raise ImageTooCostly(scans)
        try:
            if image_format == "JPEG":
                scaled = (max(width // _JPEG_DRAFT_SCALE, 1), max(height // _JPEG_DRAFT_SCALE, 1))
                image.draft(image.mode, scaled)
            image.load()
        except (OSError, ValueError, SyntaxError, EOFError, ZeroDivisionError) as exc:
            raise ImageDamaged(f"Pillow cannot decode it: {exc}") from exc
