"""PDFs judged by qpdf (security.md "Accepting a file"; hunt kinds: scanned_id_3_pages,
statement_userpw_aes256, invoice_js_pseudo_encrypted, truncated_half, costly_render)."""

from __future__ import annotations

import time
import zlib

import pikepdf
import pytest

from tests.evidence import shapes
from triage.evidence import pdf as pdf_module
from triage.evidence.checks import FileRefused, check_upload


def E(user: str, owner: str, R: int, aes: bool | None = None, **more) -> pikepdf.Encryption:
    """pikepdf's Encryption with what each revision allows: RC4 only below R4."""
    aes = R >= 4 if aes is None else aes
    return pikepdf.Encryption(user=user, owner=owner, R=R, aes=aes, metadata=aes, **more)


def refused(name: str, data: bytes) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        check_upload(name, data)
    return caught.value


# --- names in stream data are data ----------------------------------------------------------


@pytest.mark.parametrize(
    "comment",
    [
        b"/JS>",
        b"<</S/JavaScript/JS(app.alert(1))>>",
        b"/OpenAction 9 0 R /Launch /AA",
        b"/EmbeddedFiles /XFA /RichMedia",
    ],
)
def test_a_scan_whose_image_bytes_spell_pdf_names_has_no_warning(comment: bytes) -> None:
    data = shapes.scanned_pdf(pages=3, comment=comment)
    assert comment in data  # the bytes are there, inside the JPEG streams
    checked = check_upload("scanned_id.pdf", data)
    assert checked.warnings == ()


def test_names_inside_a_font_program_or_compressed_content_are_not_flagged() -> None:
    data = shapes.with_font_bytes(shapes.statement_pdf(1), b"\x00\x01/JavaScript/JS/Launch\xff")
    assert b"/JavaScript/JS/Launch" in data
    assert check_upload("statement.pdf", data).warnings == ()
    # Compressed content streams: the same names only after inflating, still only data.
    compressed = shapes.statement_pdf(1, compress_streams=True)
    assert check_upload("statement.pdf", compressed).warnings == ()


def test_the_hunt_scan_shape_from_the_file(fixture_bytes) -> None:
    # scanned_id_3_pages.pdf is 3.9 MB, so the shape is built above; its hallmark (a JPEG
    # stream holding "/JS>") is checked here on a scan made the same way.
    data = shapes.scanned_pdf(pages=3, comment=b"\xff/JS>\x00", size=(640, 480))
    assert data.count(b"/JS>") == 3
    assert check_upload("scanned_id_3_pages.pdf", data).warnings == ()


# --- passwords ------------------------------------------------------------------------------

USER_PASSWORD_SHAPES = {
    "RC4 40-bit (R2)": E(user="1234", owner="owner", R=2),
    "RC4 128-bit (R3)": E(user="1234", owner="owner", R=3),
    "AES-128 (R4)": E(user="1234", owner="owner", R=4, aes=True),
    "RC4 128-bit (R4)": E(user="1234", owner="owner", R=4, aes=False),
    "AES-256 (R6)": E(user="1234", owner="owner", R=6),
}


@pytest.mark.parametrize("shape", list(USER_PASSWORD_SHAPES))
def test_a_pdf_that_needs_a_password_is_422_password_protected(shape: str) -> None:
    data = shapes.statement_pdf(2, encryption=USER_PASSWORD_SHAPES[shape])
    error = refused("statement.pdf", data)
    assert (error.code, error.status) == ("password_protected", 422)
    assert error.message.startswith("“statement.pdf” is protected with a password.")
    assert "save a copy without a password" in error.message
    assert "print it to a new PDF" in error.message and "Remove security" in error.message


def test_the_hunt_aes256_statement_is_password_protected(fixture_bytes) -> None:
    error = refused("statement.pdf", fixture_bytes("hunt/statement_userpw_aes256.pdf"))
    assert error.code == "password_protected"


@pytest.mark.parametrize("revision", [2, 3, 4, 6])
def test_an_owner_password_only_pdf_is_accepted(revision: int) -> None:
    # Printing and copying restricted; anyone can open it, so a reviewer can.
    encryption = E(
        user="",
        owner="bank-owner",
        R=revision,
        allow=pikepdf.Permissions(print_highres=False, extract=False),
    )
    checked = check_upload("statement.pdf", shapes.statement_pdf(2, encryption=encryption))
    assert checked.content_type == "application/pdf"
    assert checked.warnings == ()


# --- active content, decrypted and inside object streams -----------------------------------


@pytest.mark.parametrize("revision", [3, 4, 6])
@pytest.mark.parametrize("object_streams", [True, False])
def test_page_open_script_is_flagged_when_the_pdf_opens_without_a_password(
    revision: int, object_streams: bool
) -> None:
    mode = pikepdf.ObjectStreamMode.generate if object_streams else pikepdf.ObjectStreamMode.disable
    data = shapes.with_page_open_script(
        encryption=E(user="", owner="x", R=revision),
        object_stream_mode=mode,
    )
    # Encrypted strings and compressed object streams: no byte search sees the action.
    assert b"app.alert" not in data
    if object_streams:
        assert b"JavaScript" not in data
    checked = check_upload("invoice.pdf", data)
    assert checked.warnings == ("/JavaScript", "/JS", "/AA")


def test_the_hunt_pseudo_encrypted_invoice_is_flagged(fixture_bytes) -> None:
    checked = check_upload("invoice.pdf", fixture_bytes("hunt/invoice_js_pseudo_encrypted.pdf"))
    assert {"/JavaScript", "/JS"} <= set(checked.warnings)


@pytest.mark.parametrize(
    ("extra", "warnings"),
    [
        (b"/AcroForm<</Fields[]/XFA 2 0 R>>", ("/XFA",)),
        (b"/X<</Subtype/RichMedia/RichMediaContent<<>>>>", ("/RichMedia",)),
        (b"/OpenAction<</S/Launch/F(cmd.exe)>>", ("/Launch", "/OpenAction")),
        (b"/OpenAction[3 0 R/XYZ null null 0]", ()),
        (b"/OpenAction[3 0 R/FitH 800]", ()),
        (b"/OpenAction[0/Fit]", ()),
        (b"/OpenAction[3 0 R/XYZ(evil)]", ("/OpenAction",)),
        (b"/OpenAction[3 0 R/Launch]", ("/Launch", "/OpenAction")),
        (b"/Names<</EmbeddedFiles<</Names[(a.exe)<</Type/Filespec>>]>>>>", ("/EmbeddedFile",)),
    ],
)
def test_active_content_names_as_keys_and_values(extra: bytes, warnings: tuple) -> None:
    data = shapes.raw_pdf(
        b"<</Type/Catalog/Pages 2 0 R" + extra + b">>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Resources<<>>>>",
    )
    assert check_upload("form.pdf", data).warnings == warnings


def test_libreoffice_open_at_page_one_is_not_flagged(fixture_bytes) -> None:
    data = fixture_bytes("statement.pdf")
    assert b"/OpenAction[1 0 R /XYZ null null 0]" in data
    assert check_upload("statement.pdf", data).warnings == ()


# --- damaged and truncated ------------------------------------------------------------------

FRACTIONS = (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.97)


@pytest.mark.parametrize(
    ("shape", "options"),
    [
        ("scan", {}),
        ("scan", {"linearize": True}),
        ("scan", {"object_stream_mode": pikepdf.ObjectStreamMode.generate}),
        ("text", {"encryption": E(user="", owner="o", R=6)}),
    ],
)
def test_a_truncated_pdf_is_422_damaged_file_wherever_it_is_cut(shape: str, options) -> None:
    data = (
        shapes.scanned_pdf(3, **options) if shape == "scan" else shapes.statement_pdf(6, **options)
    )
    assert check_upload("scan.pdf", data).warnings == ()
    for part in shapes.cut_points(data, FRACTIONS):
        error = refused("scan.pdf", part)
        assert (error.code, error.status) == ("damaged_file", 422), len(part)
        assert "damaged or incomplete" in error.message
        assert "save or download it again" in error.message


def test_a_cut_that_takes_only_the_end_markers_loses_nothing() -> None:
    # Every object and the trailer are there; only "startxref … %%EOF" is missing. qpdf
    # rebuilds the table from the objects, as viewers do, and nothing is lost: accepted.
    data = shapes.statement_pdf(3)
    end = data.rindex(b"startxref")
    assert check_upload("statement.pdf", data[:end]).warnings == ()
    # One byte into the trailer is too far: then the trailer is gone.
    trailer = data.rindex(b"trailer")
    assert refused("statement.pdf", data[: trailer + 10]).code == "damaged_file"


def test_the_hunt_half_pdf_is_damaged(fixture_bytes) -> None:
    assert refused("statement.pdf", fixture_bytes("hunt/truncated_half.pdf")).code == (
        "damaged_file"
    )


@pytest.mark.parametrize(
    "padding", [b" " * 5000, b"\0" * 3000, b"\n%" + b"0" * 100_000 + b"\n", b"\r\n" * 800]
)
def test_bytes_after_the_end_of_a_whole_pdf_are_harmless(fixture_bytes, padding: bytes) -> None:
    # Padded downloads: qpdf rebuilds its table (startxref is far from the end) and loses
    # nothing, so this repair alone is not damage.
    data = shapes.scanned_pdf(2) + padding
    assert check_upload("scan.pdf", data).warnings == ()


@pytest.mark.parametrize(
    "pages",
    [
        b"<</Type/Pages/Kids[3 0 R 2 0 R]/Count 2>>",  # the root is its own kid
        b"<</Type/Pages/Kids[4 0 R]/Count 1>>",  # 2 -> 4 -> 2
    ],
)
def test_a_looping_page_tree_is_damaged(pages: bytes) -> None:
    data = shapes.raw_pdf(
        b"<</Type/Catalog/Pages 2 0 R>>",
        pages,
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 9 9]/Resources<<>>>>",
        b"<</Type/Pages/Parent 2 0 R/Kids[2 0 R 3 0 R]/Count 1>>",
    )
    assert refused("loop.pdf", data).code == "damaged_file"


def test_a_pdf_without_pages_is_damaged() -> None:
    data = shapes.raw_pdf(b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[]/Count 0>>")
    assert refused("empty.pdf", data).code == "damaged_file"


def test_a_pdf_header_with_nothing_behind_it_is_damaged() -> None:
    assert refused("x.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n").code == "damaged_file"


# --- cost -----------------------------------------------------------------------------------


def test_a_costly_to_render_pdf_is_checked_without_rendering() -> None:
    # The costly_render_30_pages shape: each page one flat 30,000 x 30,000 image. Intake
    # never decodes image streams, so it is quick; rendering is the previews' business.
    side = 30_000
    flat = zlib.compress(bytes(side * side // 8), 1)
    with pikepdf.new() as pdf:
        for _ in range(3):
            image = pikepdf.Stream(pdf, flat)
            image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
            image.Width = image.Height = side
            image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceGray, 1
            image.Filter = pikepdf.Name.FlateDecode
            page = pdf.add_blank_page(page_size=(595, 842))
            page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
            page.Contents = pdf.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
        data = shapes.save(pdf)
    started = time.perf_counter()
    assert check_upload("costly.pdf", data).warnings == ()
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("trailer", [True, False])
def test_a_pdf_of_too_many_objects_is_refused_before_it_is_walked(trailer: bool) -> None:
    # Walking costs per object; like an image's pixels, the count is bounded first.
    assert pdf_module.MAX_PDF_OBJECTS == 50_000
    objects = [b"<</A %d>>" % i for i in range(60_000)]
    catalog = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 9 9]/Resources<<>>>>",
    ]
    data = shapes.raw_pdf(*catalog, *objects)
    if not trailer:  # qpdf would rebuild the table by parsing every object
        data = data[: data.index(b"xref")]
    started = time.perf_counter()
    error = refused("big.pdf", data)
    assert (error.code, error.status) == ("damaged_file", 422)
    assert "too many parts" in error.message and "smaller PDF" in error.message
    assert time.perf_counter() - started < 1
