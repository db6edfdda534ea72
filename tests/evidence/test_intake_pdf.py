"""PDFs judged by qpdf (security.md "Accepting a file"; hunt kinds: scanned_id_3_pages,
statement_userpw_aes256, invoice_js_pseudo_encrypted, truncated_half, costly_render)."""

from __future__ import annotations

import io
import resource
import time
import zlib

import pikepdf
import pytest

from tests.evidence import shapes
from triage.evidence import pdf as pdf_module
from triage.evidence.checks import MAX_FILE_BYTES, FileRefused, check_upload


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


def _costly(data: bytes) -> float:
    """Check ``data``, expect the "too many parts" refusal, return the CPU seconds the check
    used in its checker process (wall time on a shared machine says little). The web
    process's own share (a first look within its budget, the hand-over) stays under a
    second of CPU time too."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, web_cpu = time.perf_counter(), time.thread_time()
    error = refused("statement.pdf", data)
    assert time.thread_time() - web_cpu < 1.0
    assert time.perf_counter() - started < 10
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert (error.code, error.status) == ("damaged_file", 422)
    assert "too many parts for us to check" in error.message and "smaller PDF" in error.message
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param([b"[", *[b"/A " * 100_000] * 10, b"]"], id="1M-names-3KB"),
        pytest.param([b"[", *[b"/A " * 100_000] * 50, b"]"], id="5M-names-15KB"),
        pytest.param([b"(", *[b"A" * 1_000_000] * 80, b")"], id="80MB-string"),
        pytest.param([b"[", *[b"[0 0 0 0 0 0 0 0]" * 10_000] * 100, b"]"], id="1M-small-arrays"),
    ],
)
def test_an_object_stream_that_expands_to_millions_of_items_is_too_costly(chunks) -> None:
    # Breaker A1: a few KB of compressed object stream; before the budget 3-35 s and up
    # to 3 GB. The check's CPU and memory budget stops it within a second.
    data = shapes.object_stream_pdf(chunks)
    assert len(data) < 1024 * 1024
    assert _costly(data) < 1.2


def test_an_uncompressed_array_of_millions_of_items_is_too_costly() -> None:
    # 4.8 MB of "[/A/A/A…]": 2.4 million items, ~2 s and ~400 MB for qpdf to parse.
    data = shapes.raw_pdf(
        b"<</Type/Catalog/Pages 2 0 R/Junk 4 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 9 9]/Resources<<>>>>",
        b"[" + b"[0]" * 1_600_000 + b"]",
    )
    assert len(data) <= MAX_FILE_BYTES
    assert _costly(data) < 1.2


def test_a_small_object_stream_is_read_as_a_viewer_reads_it() -> None:
    # The budget is not a judgement: an object stream of ordinary size opens.
    data = shapes.object_stream_pdf([b"[", b"/A " * 1000, b"]"])
    assert check_upload("statement.pdf", data).warnings == ()


# --- content lost behind an intact cross-reference table (breaker B4) ------------------------

CATALOG = b"<</Type/Catalog/Pages 2 0 R>>"
ONE_KID = b"<</Type/Pages/Kids[3 0 R]/Count 1>>"
PAGE = b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Resources<<>>/Contents %s>>"
EMPTY_STREAM = b"<</Length 0>>stream\n\nendstream"


@pytest.mark.parametrize(
    ("pages", "page"),
    [
        (b"<</Type/Pages/Kids[3 0 R 77 0 R]/Count 2>>", PAGE % b"4 0 R"),
        (b"<</Type/Pages/Kids[77 0 R 3 0 R]/Count 2>>", PAGE % b"4 0 R"),
        (ONE_KID, PAGE % b"[4 0 R 40 0 R]"),
        (ONE_KID, PAGE % b"40 0 R"),
        (ONE_KID, PAGE.replace(b"/Contents", b"/Con#74ents") % b"40 0 R"),
        (ONE_KID, PAGE % b"0 0 R"),
    ],
    ids=[
        "missing-second-kid",
        "missing-first-kid",
        "missing-content-stream-in-array",
        "missing-content-stream",
        "missing-content-stream-name-encoded",
        "content-stream-is-the-free-entry",
    ],
)
def test_a_page_tree_reference_to_a_missing_object_is_damaged(pages: bytes, page: bytes) -> None:
    # qpdf drops a /Kids entry that is not a page when it lists the pages on opening; the
    # check reads the tree as written.
    error = refused("statement.pdf", shapes.raw_pdf(CATALOG, pages, page, EMPTY_STREAM))
    assert (error.code, error.status) == ("damaged_file", 422)


def test_a_blank_page_without_contents_is_not_damage() -> None:
    # A page with no /Contents at all is a blank page (ISO 32000-2, 7.7.3.3).
    blank = b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Resources<<>>>>"
    assert check_upload("blank.pdf", shapes.raw_pdf(CATALOG, ONE_KID, blank)).warnings == ()


# --- nesting (breaker B9) ---------------------------------------------------------------------


@pytest.mark.parametrize("depth", [100, 499, 600, 10_000])
def test_objects_nested_deeper_than_64_are_damaged_however_deep(depth: int) -> None:
    # qpdf stops at 499 levels and silently puts null there; the answer does not change.
    nested = b"<</Length 0/X " + b"[" * depth + b"]" * depth + b">>stream\n\nendstream"
    error = refused("deep.pdf", shapes.raw_pdf(CATALOG, ONE_KID, PAGE % b"4 0 R", nested))
    assert (error.code, error.status) == ("damaged_file", 422)


def test_objects_nested_a_little_are_fine() -> None:
    nested = b"<</Length 0/X " + b"[" * 60 + b"]" * 60 + b">>stream\n\nendstream"
    assert check_upload("ok.pdf", shapes.raw_pdf(CATALOG, ONE_KID, PAGE % b"4 0 R", nested))


# --- certificate and DRM security handlers (breaker B10) --------------------------------------


@pytest.mark.parametrize("handler", [b"/Adobe.PubSec", b"/FOPN_foweb"])
def test_a_pdf_encrypted_for_a_certificate_or_drm_is_password_protected(handler: bytes) -> None:
    encrypt = (
        b"<</Filter" + handler + b"/SubFilter/adbe.pkcs7.s5/V 4/R 4/Length 128"
        b"/Recipients[<3082>]/StmF/DefaultCryptFilter/StrF/DefaultCryptFilter"
        b"/CF<</DefaultCryptFilter<</CFM/AESV2/Recipients[<3082>]>>>>>>"
    )
    data = shapes.raw_pdf(CATALOG, ONE_KID, PAGE % b"4 0 R", EMPTY_STREAM, encrypt)
    file_id = b"<00112233445566778899aabbccddeeff>"
    data = data.replace(
        b"/Root 1 0 R>>", b"/Root 1 0 R/Encrypt 5 0 R/ID[%s%s]>>" % (file_id, file_id)
    )
    error = refused("statement.pdf", data)
    assert (error.code, error.status) == ("password_protected", 422)
    assert "certificate or digital rights management" in error.message
    assert "without protection" in error.message


# --- a slightly wrong cross-reference offset (breaker B8) ------------------------------------


def _shift_offset(data: bytes, index: int, shift: int) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        entries = sorted(
            (entry for entry in pdf.get_xref_table().values() if entry.type == 1),
            key=lambda entry: entry.offset,
        )
    offset = entries[index].offset
    return data.replace(b"%010d 00000 n" % offset, b"%010d 00000 n" % (offset + shift), 1)


@pytest.mark.parametrize("shift", [-3, 3, 9])
@pytest.mark.parametrize("index", [0, 2, 4])
def test_a_table_offset_a_few_bytes_off_loses_nothing(index: int, shift: int) -> None:
    # qpdf rebuilds the table ("expected n n obj") and finds that very object a few bytes
    # away: nothing is lost, so it is accepted.
    data = _shift_offset(shapes.statement_pdf(pages=2), index, shift)
    assert check_upload("statement.pdf", data).warnings == ()


@pytest.mark.parametrize("shift", [-40, 200])
def test_a_table_offset_far_off_is_still_damaged(shift: int) -> None:
    data = _shift_offset(shapes.statement_pdf(pages=2), 2, shift)
    assert refused("statement.pdf", data).code == "damaged_file"
