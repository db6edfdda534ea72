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
# JPEGs are decoded at 1/8 scale (libjpeg's DCT scaling): every byte of the compressed
# data is still read and Huffman-decoded, so a truncated file fails the same way, at a
# fraction of the time and memory of a full-size decode.
_JPEG_DRAFT_SCALE = 8


class ImageDamaged(Exception):
    """The image does not open or decode completely; ``str()`` is a technical reason."""


class ImageTooLarge(Exception):
    """The image's header declares more than ``MAX_IMAGE_PIXELS`` pixels."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__(f"{width} x {height} pixels")
        self.width = width
        self.height = height


def inspect_image(data: bytes, image_format: str) -> None:
    """Check that ``data`` is a complete ``image_format`` ("JPEG" or "PNG") image.

    Reads the header, refuses more than ``MAX_IMAGE_PIXELS`` before decoding anything, then
    decodes the whole image. Raises ``ImageTooLarge`` or ``ImageDamaged``; returns None
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
        try:
            if image_format == "JPEG":
                scaled = (max(width // _JPEG_DRAFT_SCALE, 1), max(height // _JPEG_DRAFT_SCALE, 1))
                image.draft(image.mode, scaled)
            image.load()
        except (OSError, ValueError, SyntaxError, EOFError, ZeroDivisionError) as exc:
            raise ImageDamaged(f"Pillow cannot decode it: {exc}") from exc
