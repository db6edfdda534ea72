"""Photos judged by Pillow: pixel limit from the header, then a full decode (security.md
"Accepting a file"; hunt kinds: card_header_only, huge_dimensions_20000px)."""

from __future__ import annotations

import time
import warnings

import pytest
from PIL import Image, ImageFile

from tests.evidence import shapes
from triage.evidence import images
from triage.evidence.checks import FileRefused, check_upload


def refused(name: str, data: bytes) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        check_upload(name, data)
    return caught.value


def exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show, as phones write portraits
    exif[0x010F] = "PhoneMaker"
    return shapes.jpeg(shapes.photo((400, 300)), exif=exif.tobytes(), quality=90)


# --- genuine phone and scanner files ----------------------------------------------------------

PHONE_FILES = {
    "EXIF-rotated JPEG": ("photo.jpg", exif_rotated),
    "CMYK JPEG": ("scan.jpg", lambda: shapes.jpeg(shapes.photo(mode="CMYK"))),
    "progressive JPEG": ("photo.jpeg", lambda: shapes.jpeg(progressive=True, quality=80)),
    "greyscale JPEG": ("scan.jpg", lambda: shapes.jpeg(shapes.photo(mode="L"))),
    "4:4:4 JPEG": ("photo.jpg", lambda: shapes.jpeg(subsampling=0, quality=95)),
    "16-bit greyscale PNG": ("scan.png", lambda: shapes.png(Image.new("I;16", (64, 48), 40000))),
    "16-bit RGB PNG": ("scan.png", shapes.png_16bit_rgb),
    "palette PNG": ("card.png", lambda: shapes.png(shapes.photo().convert("P"))),
    "RGBA PNG": ("screenshot.png", lambda: shapes.png(shapes.photo(mode="RGBA"))),
    "1-bit PNG": ("fax.png", lambda: shapes.png(shapes.photo(mode="1"))),
}


@pytest.mark.parametrize("shape", list(PHONE_FILES))
def test_genuine_phone_and_scanner_images_are_accepted(shape: str) -> None:
    name, build = PHONE_FILES[shape]
    checked = check_upload(name, build())
    assert checked.content_type == ("image/png" if name.endswith(".png") else "image/jpeg")
    assert checked.warnings == ()


# --- incomplete images --------------------------------------------------------------------

FRACTIONS = (0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99)


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("photo.jpg", lambda: shapes.jpeg(quality=90)),
        ("photo.jpg", lambda: shapes.jpeg(progressive=True)),
        ("photo.jpg", exif_rotated),
        ("scan.png", lambda: shapes.png(shapes.photo())),
        ("scan.png", lambda: shapes.png(shapes.photo().convert("P"))),
    ],
)
def test_an_image_cut_anywhere_is_422_damaged_file(name: str, build) -> None:
    data = build()
    check_upload(name, data)  # whole: accepted
    for part in shapes.cut_points(data, FRACTIONS):
        error = refused(name, part)
        assert (error.code, error.status) == ("damaged_file", 422), len(part)
        assert "does not load completely" in error.message
        assert "take the photo again" in error.message


@pytest.mark.parametrize("size", [2048, 1000, 4096])
def test_the_first_kilobytes_of_a_photo_are_damaged(size: int) -> None:
    # card_header_only.jpg: the first 2,048 bytes of a camera JPEG.
    data = shapes.jpeg(shapes.photo((1200, 900)), quality=92, exif=Image.Exif().tobytes())
    assert refused("card.jpg", data[:size]).code == "damaged_file"


def test_the_hunt_header_only_card_is_damaged(fixture_bytes) -> None:
    error = refused("card_header_only.jpg", fixture_bytes("hunt/card_header_only.jpg"))
    assert error.code == "damaged_file"


def test_a_png_with_broken_compressed_data_is_damaged() -> None:
    data = bytearray(shapes.png(shapes.photo()))
    start = data.index(b"IDAT") + 40
    data[start : start + 32] = b"\xff" * 32  # CRC and deflate data both wrong now
    assert refused("scan.png", bytes(data)).code == "damaged_file"


def test_truncated_images_stay_refused_only_because_pillow_is_strict() -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
            images.inspect_image(shapes.jpeg(), "JPEG")
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False


# --- the pixel limit --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (20_000, 20_000),  # 400 MP: Pillow's own bomb error
        (12_000, 8_000),  # 96 MP: Pillow's bomb warning
        (10_000, 6_000),  # 60 MP: our limit only
        (65_535, 800),  # 52 MP: a panorama strip
    ],
)
def test_an_image_over_the_pixel_limit_is_refused_from_its_header(width: int, height: int) -> None:
    for name, data in (
        ("card.png", shapes.png_raw(width, height, 1, 0, None)),  # header only: no pixel data
        ("card.jpg", shapes.jpeg_header_only(width, height)),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no DecompressionBombWarning escapes either
            started = time.perf_counter()
            error = refused(name, data)
        assert (error.code, error.status) == ("damaged_file", 422)
        assert "too many pixels" in error.message and "50 megapixels" in error.message
        assert "take a normal photo instead" in error.message
        assert time.perf_counter() - started < 0.5


def test_the_hunt_20000_pixel_png_is_refused_before_decoding(fixture_bytes) -> None:
    started = time.perf_counter()
    error = refused("huge.png", fixture_bytes("hunt/huge_dimensions_20000px.png"))
    assert error.code == "damaged_file" and "too many pixels" in error.message
    assert time.perf_counter() - started < 0.5


def test_exactly_the_pixel_limit_is_decoded_and_accepted() -> None:
    assert images.MAX_IMAGE_PIXELS == 50_000_000
    width, height = 10_000, 5_000
    row = b"\x00" + b"\x00" * (width // 8)
    data = shapes.png_raw(width, height, 1, 0, row * height)
    assert check_upload("scan.png", data).content_type == "image/png"
    error = refused("scan.png", shapes.png_raw(width + 1, height, 1, 0, None))
    assert "too many pixels" in error.message


# --- progressive scans (breaker A2) ----------------------------------------------------------


def _repeated_scans(size: tuple[int, int], extra_scans: int) -> bytes:
    """A progressive JPEG with one of its AC scans repeated: every scan is decoded again."""
    data = shapes.jpeg(Image.new("L", size, 128), progressive=True)
    starts = [i for i in range(len(data) - 1) if data[i : i + 2] == b"\xff\xda"]
    one_scan = data[starts[1] : starts[2]]
    return data[:-2] + one_scan * extra_scans + b"\xff\xd9"


def test_a_normal_progressive_jpeg_has_a_few_scans() -> None:
    data = shapes.jpeg(shapes.photo((640, 480)), progressive=True)
    assert 1 < images.jpeg_scans(data) <= 12
    assert images.jpeg_scans(shapes.jpeg()) == 1
    assert check_upload("photo.jpg", data).content_type == "image/jpeg"


@pytest.mark.parametrize("extra_scans", [2_000, 10_000])
def test_a_progressive_jpeg_of_thousands_of_scans_is_refused_before_decoding(extra_scans) -> None:
    # 346 KB and 1.7 MB: 23 s and 186 s to decode before the scan count was bounded.
    data = _repeated_scans((8000, 6250), extra_scans)
    started = time.perf_counter()
    with pytest.raises(FileRefused) as caught:
        check_upload("passport.jpg", data)
    assert time.perf_counter() - started < 0.5
    assert (caught.value.code, caught.value.status) == ("damaged_file", 422)
    assert "more than 100 scans" in caught.value.message


def test_scans_are_bounded_with_pixels_so_a_small_photo_may_have_more() -> None:
    # 96 scans of 50 megapixels is ~2.5 s of decoding; of 0.3 megapixels, nothing.
    big = _repeated_scans((8000, 6250), 90)
    with pytest.raises(FileRefused) as caught:
        check_upload("passport.jpg", big)
    assert caught.value.code == "damaged_file" and "96 scans" in caught.value.message
    assert check_upload("passport.jpg", _repeated_scans((640, 480), 90)).size > 0
