"""Upload checks: names, sizes, sniffed types, office structure and PDF flags.

The kinds of tests/fixtures/hunt (real-world shapes) are in the test_intake_*.py files."""

from __future__ import annotations

import hashlib
import inspect
import io
import struct
import time
import zipfile
import zlib
from collections.abc import Callable

import magic
import pikepdf
import pytest

from triage.evidence import structure
from triage.evidence.checks import (
    ACCEPT_ATTRIBUTE,
    ALLOWED_EXTENSIONS,
    MAX_FILE_BYTES,
    CheckedFile,
    FileRefused,
    check_upload,
    read_limited,
    sanitise_filename,
)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_TYPE = "application/vnd.oasis.opendocument.text"
ACCEPT_ATTRIBUTE_ORDER = ["doc", "docx", "jpg", "jpeg", "png", "pdf", "odt"]
PHOTO_HELP = "Please upload a photo or scan saved as .jpg, .png or .pdf."

FixtureBytes = Callable[[str], bytes]


# --- generated inputs -----------------------------------------------------------------------


def make_jpeg() -> bytes:
    """A 1x1 grey baseline JPEG: one 8x8 block whose DC and AC codes are a single bit each."""

    def segment(marker: int, body: bytes) -> bytes:
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body

    one_symbol_table = b"\x01" + b"\x00" * 15 + b"\x00"  # one code of length 1, symbol 0
    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xDB, b"\x00" + b"\x01" * 64)
        + segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")
        + segment(0xC4, b"\x00" + one_symbol_table)  # DC table 0
        + segment(0xC4, b"\x10" + one_symbol_table)  # AC table 0
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + b"\x3f"  # DC difference 0, end of block, padding ones
        + b"\xff\xd9"
    )


def make_png() -> bytes:
    """A 1x1 red RGB PNG with correct CRCs."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + checksum

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 100
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
HTML = (
    b"<!DOCTYPE html>\n"
    b"<html><head><title>x</title></head><body><script>alert(1)</script></body></html>\n"
)
SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1">'
    b"<script>alert(1)</script></svg>\n"
)


def make_zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_entries(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def make_pdf(catalog_extra: bytes, *more: bytes) -> bytes:
    """A one-page PDF with a correct cross-reference table; ``more`` are objects 4, 5, …"""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R" + catalog_extra + b">>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>",
        *more,
    ]
    data = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(data))
        data += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    data += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    data += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return data


def refused(name: str, data: bytes, **kwargs: int) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        check_upload(name, data, **kwargs)
    return caught.value


# --- accepted files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "content_type"),
    [
        ("statement.doc", "application/msword"),
        ("statement.docx", DOCX_TYPE),
        ("statement.odt", ODT_TYPE),
        ("statement.pdf", "application/pdf"),
    ],
)
def test_real_office_and_pdf_files_are_accepted(
    fixture_bytes: FixtureBytes, fixture: str, content_type: str
) -> None:
    data = fixture_bytes(fixture)
    checked = check_upload(fixture, data)
    assert checked == CheckedFile(
        data=data,
        filename=fixture,
        extension=fixture.rsplit(".", 1)[1],
        content_type=content_type,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        warnings=(),
    )


def test_sha256_and_size_match_hashlib(fixture_bytes: FixtureBytes) -> None:
    data = fixture_bytes("statement.odt")
    checked = check_upload("statement.odt", data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert len(checked.sha256) == 64
    assert checked.size == len(data) == 9161


def test_generated_images_really_are_images() -> None:
    # Guard for the tests below: libmagic must recognise the hand-made bytes.
    assert magic.from_buffer(make_jpeg(), mime=True) == "image/jpeg"
    assert magic.from_buffer(make_png(), mime=True) == "image/png"


@pytest.mark.parametrize("name", ["photo.jpg", "photo.jpeg", "PHOTO.JPG"])
def test_jpeg_is_accepted_with_its_extension_as_given(name: str) -> None:
    checked = check_upload(name, make_jpeg())
    assert checked.content_type == "image/jpeg"
    assert checked.extension == name.rsplit(".", 1)[1].lower()
    assert checked.filename == name
    assert checked.warnings == ()


def test_png_is_accepted() -> None:
    checked = check_upload("scan.png", make_png())
    assert (checked.extension, checked.content_type, checked.size) == ("png", "image/png", 69)


def test_upper_case_pdf_extension_is_accepted(fixture_bytes: FixtureBytes) -> None:
    checked = check_upload("STATEMENT.PDF", fixture_bytes("statement.pdf"))
    assert checked.extension == "pdf"
    assert checked.content_type == "application/pdf"
    assert checked.filename == "STATEMENT.PDF"


def test_whole_file_sniff_is_what_recognises_a_real_doc(fixture_bytes: FixtureBytes) -> None:
    data = fixture_bytes("statement.doc")
    assert magic.from_buffer(data[:2048], mime=True) == "application/x-ole-storage"
    assert magic.from_buffer(data, mime=True) == "application/msword"
    checked = check_upload("statement.doc", data)
    assert checked.content_type == "application/msword"


def test_client_content_type_is_not_an_input() -> None:
    assert list(inspect.signature(check_upload).parameters) == [
        "original_name",
        "data",
        "max_bytes",
    ]


def test_public_constants() -> None:
    assert MAX_FILE_BYTES == 5_242_880
    assert sorted(ALLOWED_EXTENSIONS) == ["doc", "docx", "jpeg", "jpg", "odt", "pdf", "png"]
    assert isinstance(ALLOWED_EXTENSIONS, frozenset)
    assert ACCEPT_ATTRIBUTE.split(",") == [f".{ext}" for ext in ACCEPT_ATTRIBUTE_ORDER]
    assert ACCEPT_ATTRIBUTE == ".doc,.docx,.jpg,.jpeg,.png,.pdf,.odt"


# --- content that is not an accepted kind (415 unsupported_file_type) -----------------------


def test_elf_executable_named_jpg_is_refused() -> None:
    error = refused("photo.jpg", ELF)
    assert (error.code, error.status) == ("unsupported_file_type", 415)
    assert error.message == (
        "“photo.jpg” is not a JPEG image: its content looks like a program (executable file). "
        + PHOTO_HELP
    )


def test_windows_executable_named_pdf_is_refused() -> None:
    error = refused("invoice.pdf", MZ)
    assert error.code == "unsupported_file_type"
    assert "“invoice.pdf” is not a PDF document" in error.message
    assert "program (executable file)" in error.message


def test_html_named_jpg_is_refused() -> None:
    error = refused("holiday.jpg", HTML)
    assert (error.code, error.status) == ("unsupported_file_type", 415)
    assert error.message == (
        "“holiday.jpg” is not a JPEG image: its content looks like a web page (HTML). "
        "Please upload a photo or scan saved as .jpg, .png or .pdf."
    )


def test_html_named_pdf_is_refused() -> None:
    error = refused("statement.pdf", HTML)
    assert error.code == "unsupported_file_type"
    assert "“statement.pdf” is not a PDF document" in error.message
    assert "web page (HTML)" in error.message


def test_svg_named_png_is_refused() -> None:
    assert magic.from_buffer(SVG, mime=True) == "image/svg+xml"
    error = refused("id.png", SVG)
    assert error.code == "unsupported_file_type"
    assert "“id.png” is not a PNG image: its content looks like an SVG drawing" in error.message


def test_octet_stream_is_refused() -> None:
    data = b"\x00\x01\x02\x03" * 500
    assert magic.from_buffer(data, mime=True) == "application/octet-stream"
    error = refused("scan.jpg", data)
    assert error.code == "unsupported_file_type"
    assert "data we cannot recognise" in error.message


def test_plain_zip_named_docx_is_refused() -> None:
    data = make_zip([("notes.txt", b"hello")])
    error = refused("contract.docx", data)
    assert (error.code, error.status) == ("unsupported_file_type", 415)
    assert "“contract.docx” cannot be accepted" in error.message
    assert "no Word document inside" in error.message


def test_plain_zip_named_odt_is_refused() -> None:
    error = refused("contract.odt", make_zip([("notes.txt", b"hello")]))
    assert error.code == "unsupported_file_type"
    assert "no OpenDocument text inside" in error.message


def test_odt_with_another_mimetype_is_refused(fixture_bytes: FixtureBytes) -> None:
    entries = [
        (name, b"application/vnd.oasis.opendocument.spreadsheet" if name == "mimetype" else body)
        for name, body in zip_entries(fixture_bytes("statement.odt"))
    ]
    error = refused("statement.odt", make_zip(entries))
    assert error.code == "unsupported_file_type"
    assert "not an OpenDocument text" in error.message


def test_ole_file_without_word_stream_is_refused(fixture_bytes: FixtureBytes) -> None:
    # Rename the WordDocument directory entry (UTF-16 name in the OLE directory) so the
    # container stays valid but holds no Word document.
    data = fixture_bytes("statement.doc")
    old, new = "WordDocument".encode("utf-16-le"), "WordDocumenX".encode("utf-16-le")
    assert data.count(old) == 1
    error = refused("statement.doc", data.replace(old, new))
    assert error.code == "unsupported_file_type"
    assert "without a Word document inside" in error.message


def test_zip_bomb_named_docx_is_refused() -> None:
    data = make_zip(
        [("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"\0" * 10_000_000)]
    )
    assert 10_000_000 / len(data) > 900  # really a ~1000:1 bomb
    error = refused("statement.docx", data)
    assert error.code == "unsupported_file_type"
    assert "“statement.docx” cannot be accepted" in error.message
    assert "expand to far more data" in error.message


def test_zip_over_total_uncompressed_limit_is_refused(
    fixture_bytes: FixtureBytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = fixture_bytes("statement.docx")
    # The real document unpacks to ~9.7 KB; lower the 50 MiB limit below that.
    monkeypatch.setattr(structure, "MAX_ZIP_UNCOMPRESSED_BYTES", 8000)
    error = refused("statement.docx", data)
    assert error.code == "unsupported_file_type"
    assert "expand to far more data" in error.message


def test_zip_with_too_many_entries_is_refused(fixture_bytes: FixtureBytes) -> None:
    entries = zip_entries(fixture_bytes("statement.docx"))
    entries += [(f"word/media/{i}.xml", b"") for i in range(1000)]
    error = refused("statement.docx", make_zip(entries))
    assert error.code == "unsupported_file_type"
    assert "far more parts" in error.message


def _lie_about_size(data: bytes, name: bytes, fake_size: int) -> bytes:
    """Patch the declared uncompressed size of one entry in both zip headers."""
    patched = bytearray(data)
    for signature, name_len_at, name_at, size_at in (
        (b"PK\x03\x04", 26, 30, 22),  # local file header
        (b"PK\x01\x02", 28, 46, 24),  # central directory entry
    ):
        start = patched.find(signature)
        while start != -1:
            (name_len,) = struct.unpack_from("<H", patched, start + name_len_at)
            if patched[start + name_at : start + name_at + name_len] == name:
                struct.pack_into("<I", patched, start + size_at, fake_size)
            start = patched.find(signature, start + 4)
    return bytes(patched)


def test_entry_with_lying_size_header_is_refused(fixture_bytes: FixtureBytes) -> None:
    entries = zip_entries(fixture_bytes("statement.docx"))
    # 3 MiB of content types that say they are 1 KB: read with a cap, never in full.
    entries = [
        (name, body + b" " * (3 * 1024 * 1024) if name == "[Content_Types].xml" else body)
        for name, body in entries
    ]
    data = _lie_about_size(make_zip(entries), b"[Content_Types].xml", 1024)
    error = refused("statement.docx", data)
    # zipfile stops at the declared size, whose CRC then does not match: a damaged entry.
    assert (error.code, error.status) == ("damaged_file", 422)
    assert "damaged" in error.message


def test_docx_with_vba_project_is_refused(fixture_bytes: FixtureBytes) -> None:
    entries = zip_entries(fixture_bytes("statement.docx"))
    entries.append(("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504))
    error = refused("statement.docx", make_zip(entries))
    assert (error.code, error.status) == ("unsupported_file_type", 415)
    assert "“statement.docx” cannot be accepted because it contains macros" in error.message


@pytest.mark.parametrize(
    "declared",
    [
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
        # A character reference spells the same type for an XML parser.
        b"application/vnd.ms-word.document.macroEnable&#100;.main+xml",
    ],
)
def test_docm_renamed_to_docx_is_refused(fixture_bytes: FixtureBytes, declared: bytes) -> None:
    main = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    entries = []
    for name, body in zip_entries(fixture_bytes("statement.docx")):
        if name == "[Content_Types].xml":
            assert main in body
            body = body.replace(main, declared)
        entries.append((name, body))
    error = refused("statement.docx", make_zip(entries))
    assert error.code == "unsupported_file_type"
    assert "contains macros" in error.message
    assert ".docm" in error.message


@pytest.mark.parametrize("entry", ["../evil", "word/../../evil", "/etc/evil", "C:/evil", "\\evil"])
def test_zip_with_unsafe_entry_path_is_refused(fixture_bytes: FixtureBytes, entry: str) -> None:
    entries = [*zip_entries(fixture_bytes("statement.docx")), (entry, b"x")]
    error = refused("statement.docx", make_zip(entries))
    assert error.code == "unsupported_file_type"
    assert "unsafe folder names" in error.message


def test_plain_zip_with_dotdot_entry_named_odt_is_refused() -> None:
    error = refused("notes.odt", make_zip([("../evil", b"x")]))
    assert error.code == "unsupported_file_type"
    assert "“notes.odt” cannot be accepted because it contains parts with unsafe" in error.message


# --- accepted kinds under the wrong extension (415 file_type_mismatch) ----------------------


def test_pdf_named_jpg_is_a_mismatch(fixture_bytes: FixtureBytes) -> None:
    error = refused("passport.jpg", fixture_bytes("statement.pdf"))
    assert (error.code, error.status) == ("file_type_mismatch", 415)
    assert error.message == (
        "“passport.jpg” is a PDF document, not a JPEG image. "
        "Please rename it so that it ends in .pdf and upload it again."
    )


def test_png_named_jpg_is_a_mismatch() -> None:
    error = refused("selfie.jpg", make_png())
    assert error.code == "file_type_mismatch"
    assert "is a PNG image, not a JPEG image" in error.message
    assert "ends in .png" in error.message


def test_jpeg_named_png_suggests_jpg() -> None:
    error = refused("selfie.png", make_jpeg())
    assert error.code == "file_type_mismatch"
    assert "ends in .jpg" in error.message


@pytest.mark.parametrize(
    ("fixture", "name", "really"),
    [
        ("statement.doc", "statement.docx", "ends in .doc "),
        ("statement.odt", "statement.docx", "ends in .odt "),
        ("statement.docx", "statement.odt", "ends in .docx "),
        ("statement.docx", "statement.pdf", "ends in .docx "),
        ("statement.pdf", "statement.doc", "ends in .pdf "),
    ],
)
def test_real_document_under_another_extension_is_a_mismatch(
    fixture_bytes: FixtureBytes, fixture: str, name: str, really: str
) -> None:
    error = refused(name, fixture_bytes(fixture))
    assert error.code == "file_type_mismatch"
    assert error.message.startswith(f"“{name}” is ")
    assert really in error.message


# --- names ----------------------------------------------------------------------------------


def test_txt_extension_is_refused() -> None:
    error = refused("notes.txt", b"hello")
    assert (error.code, error.status) == ("unsupported_file_type", 415)
    assert error.message == (
        "“notes.txt” is a .txt file, which we cannot accept. "
        "Please upload a .doc, .docx, .jpg, .jpeg, .png, .pdf or .odt file."
    )


def test_name_without_extension_is_refused(fixture_bytes: FixtureBytes) -> None:
    error = refused("passport", fixture_bytes("statement.pdf"))
    assert error.code == "unsupported_file_type"
    assert "“passport” has no file extension" in error.message


def test_double_extension_uses_the_last_one(fixture_bytes: FixtureBytes) -> None:
    error = refused("x.pdf.exe", fixture_bytes("statement.pdf"))
    assert error.code == "unsupported_file_type"
    assert error.message.startswith("“x.pdf.exe” is a .exe file, which we cannot accept.")


@pytest.mark.parametrize("name", [".pdf", "../", "..", "   ", ""])
def test_name_that_is_empty_after_sanitising_is_refused(
    fixture_bytes: FixtureBytes, name: str
) -> None:
    assert sanitise_filename(name) == ""
    error = refused(name, fixture_bytes("statement.pdf"))
    assert error.code == "unsupported_file_type"
    assert "has no usable file name" in error.message


@pytest.mark.parametrize(
    "name",
    [
        "scan\x00.pdf",
        "scan.pdf\x00.jpg",
        "sc\x1ban.pdf",
        "scan\n.pdf",
        "sc\x7fan.pdf",
        "sc\x85an.pdf",
    ],
)
def test_control_characters_in_name_are_an_invalid_request(
    fixture_bytes: FixtureBytes, name: str
) -> None:
    error = refused(name, fixture_bytes("statement.pdf"))
    assert (error.code, error.status) == ("invalid_request", 400)
    assert "hidden control characters" in error.message
    assert "“scan" in error.message


def test_directory_part_is_dropped(fixture_bytes: FixtureBytes) -> None:
    data = fixture_bytes("statement.pdf")
    assert check_upload("../../etc/passwd.pdf", data).filename == "passwd.pdf"
    assert check_upload("C:\\Users\\me\\Scans\\bank.pdf", data).filename == "bank.pdf"
    assert sanitise_filename("../../etc/passwd.pdf") == "passwd.pdf"


@pytest.mark.parametrize("name", ["护照.jpg", "паспорт.jpg", "جواز سفر.jpg", "Ausweis_Größe.jpg"])
def test_non_latin_names_stay_readable(name: str) -> None:
    checked = check_upload(name, make_jpeg())
    assert checked.filename == name
    assert checked.extension == "jpg"


def test_name_is_nfc_normalised() -> None:
    decomposed = "Pa\u0301ssport.pdf"  # "a" + combining acute
    assert sanitise_filename(decomposed) == "P\u00e1ssport.pdf"


def test_whitespace_is_collapsed_and_leading_dots_dropped() -> None:
    assert sanitise_filename("  my \u00a0 bank\u3000statement .pdf  ") == "my bank statement.pdf"
    assert sanitise_filename("..hidden.pdf") == "hidden.pdf"


def test_bidi_override_is_removed_from_display_name() -> None:
    assert sanitise_filename("photo\u202egpj.pdf") == "photogpj.pdf"


def test_very_long_name_is_truncated_keeping_extension(fixture_bytes: FixtureBytes) -> None:
    name = "паспорт-" * 60 + ".pdf"
    checked = check_upload(name, fixture_bytes("statement.pdf"))
    assert len(name) == 484
    # The first 116 characters of the name, then the extension: 120 in all.
    assert checked.filename == ("паспорт-" * 15)[:116] + ".pdf"
    assert len(checked.filename) == 120
    assert sanitise_filename("a" * 500 + ".jpeg", max_length=20) == "a" * 15 + ".jpeg"


def test_truncation_does_not_split_an_accent() -> None:
    # "ẛ̣" stays two code points under NFC; the cut at 116 falls between them.
    name = "x" * 115 + "\u1e9b\u0323" * 5 + ".pdf"
    assert sanitise_filename(name) == "x" * 115 + ".pdf"


# --- size -----------------------------------------------------------------------------------


def test_empty_file_is_refused() -> None:
    error = refused("passport.pdf", b"")
    assert (error.code, error.status) == ("empty_file", 400)
    assert error.message == (
        "“passport.pdf” is empty (0 bytes). Please check the file and upload it again."
    )


def test_one_byte_over_the_limit_is_refused(fixture_bytes: FixtureBytes) -> None:
    pdf = fixture_bytes("statement.pdf")
    data = pdf + b"\n%" + b"0" * (MAX_FILE_BYTES - len(pdf) - 2) + b"\n"
    assert len(data) == MAX_FILE_BYTES + 1
    error = refused("statement.pdf", data)
    assert (error.code, error.status) == ("file_too_large", 413)
    assert "“statement.pdf” is larger than the 5 MB limit" in error.message


def test_exactly_the_limit_is_accepted(fixture_bytes: FixtureBytes) -> None:
    pdf = fixture_bytes("statement.pdf")
    # A trailing comment: readers ignore it, libmagic still sees a PDF.
    data = pdf + b"%" + b"0" * (MAX_FILE_BYTES - len(pdf) - 2) + b"\n"
    assert len(data) == MAX_FILE_BYTES == 5 * 1024 * 1024
    assert magic.from_buffer(data, mime=True) == "application/pdf"
    checked = check_upload("statement.pdf", data)
    assert checked.size == MAX_FILE_BYTES
    assert checked.content_type == "application/pdf"
    assert checked.warnings == ()


def test_custom_limit_is_honoured() -> None:
    jpeg = make_jpeg()
    assert check_upload("a.jpg", jpeg, max_bytes=len(jpeg)).size == len(jpeg)
    error = refused("a.jpg", jpeg, max_bytes=len(jpeg) - 1)
    assert error.code == "file_too_large"
    assert "158 bytes" in error.message


def test_name_checks_come_before_size_and_emptiness() -> None:
    assert refused("tool.exe", b"").code == "unsupported_file_type"
    assert refused("tool.exe", b"x" * (MAX_FILE_BYTES + 1)).code == "unsupported_file_type"
    assert refused("a\x00.pdf", b"").code == "invalid_request"
    assert refused("a.pdf", b"").code == "empty_file"


class EndlessStream(io.RawIOBase):
    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        size = min(len(buffer), 1000)  # short reads, like a socket
        buffer[:size] = b"\0" * size
        self.served += size
        return size


def test_read_limited_stops_one_byte_past_the_limit() -> None:
    stream = EndlessStream()
    data = read_limited(stream, max_bytes=10_000)  # type: ignore[arg-type]
    assert len(data) == 10_001
    assert stream.served == 10_001


def test_read_limited_returns_short_streams_whole() -> None:
    assert read_limited(io.BytesIO(b"abc")) == b"abc"
    assert read_limited(io.BytesIO(b"x" * 100), max_bytes=100) == b"x" * 100


def test_read_limited_then_check_refuses_oversized_upload() -> None:
    stream = io.BytesIO(make_jpeg() + b"\0" * MAX_FILE_BYTES)
    data = read_limited(stream)
    assert len(data) == MAX_FILE_BYTES + 1
    assert refused("big.jpg", data).code == "file_too_large"


# --- PDF flags ------------------------------------------------------------------------------


def test_libreoffice_pdf_open_action_is_only_a_page_destination(
    fixture_bytes: FixtureBytes,
) -> None:
    data = fixture_bytes("statement.pdf")
    # The sample has exactly one flagged name: an /OpenAction that opens page 1.
    assert data.count(b"/OpenAction") == 1
    assert b"/OpenAction[1 0 R /XYZ null null 0]" in data
    for name in (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile"):
        assert name not in data
    # No object streams either, so every dictionary is visible to the raw scan.
    assert b"/ObjStm" not in data
    assert check_upload("statement.pdf", data).warnings == ()


def test_hex_escaped_javascript_is_flagged() -> None:
    data = make_pdf(b"/OpenAction<</S/J#61vaScript/JS(app.alert(1))>>")
    checked = check_upload("form.pdf", data)
    assert checked.content_type == "application/pdf"
    assert checked.warnings == ("/JavaScript", "/JS", "/OpenAction")


# Changed on purpose with the move to qpdf: /AA (additional actions) is flagged too, and a
# plain destination must name a page: [3 0 R /Fit] (object 3 is the page), where the old
# byte scan also let [2 0 R /Fit] (the page tree's root) pass.
@pytest.mark.parametrize(
    ("extra", "warnings"),
    [
        (b"/Names<</JavaScript 3 0 R>>", ("/JavaScript",)),
        (b"/AA<</O<</S/Launch/F(cmd.exe)>>>>", ("/Launch", "/AA")),
        (b"/Names<</EmbeddedFiles 4 0 R>>", ("/EmbeddedFile",)),
        (b"/X<</Type/Emb#65ddedFile>>", ("/EmbeddedFile",)),
        (b"/OpenAction 5 0 R", ("/OpenAction",)),
        (b"/OpenAction [3 0 R /Fit]", ()),
        (b"/OpenAction [2 0 R /Fit]", ("/OpenAction",)),
        (b"/JSomething 1 /JS2 2 /XJS 3", ()),
        (b"/JS(x)", ("/JS",)),
    ],
)
def test_pdf_flags_whole_decoded_names(extra: bytes, warnings: tuple[str, ...]) -> None:
    assert check_upload("form.pdf", make_pdf(extra)).warnings == warnings


def test_javascript_hidden_in_an_object_stream_is_flagged() -> None:
    # qpdf writes the catalogue and the action compressed inside an object stream.
    with pikepdf.open(io.BytesIO(make_pdf(b""))) as pdf:
        pdf.Root.OpenAction = pdf.make_indirect(
            pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
        )
        out = io.BytesIO()
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    data = out.getvalue()
    assert b"JavaScript" not in data and b"/ObjStm" in data
    assert check_upload("form.pdf", data).warnings == ("/JavaScript", "/JS", "/OpenAction")


# Changed on purpose: these are not PDFs a reader can open, so qpdf refuses them as
# damaged (422) instead of the byte scan passing them; they must still be refused quickly.
@pytest.mark.parametrize(
    "body",
    [
        b"/OpenAction[1 0 R /XYZ " + b"0" * MAX_FILE_BYTES,  # one endless number
        b"1 0 obj " + b"0 " * (MAX_FILE_BYTES // 2),  # endless object numbers
        b"/Type/ObjStm " * (MAX_FILE_BYTES // 13),  # object streams without a stream
    ],
)
def test_pdf_scan_stays_fast_on_hostile_input(body: bytes) -> None:
    data = (b"%PDF-1.4\n" + body)[:MAX_FILE_BYTES]
    started = time.perf_counter()
    assert refused("hostile.pdf", data).code == "damaged_file"
    assert time.perf_counter() - started < 5


def test_only_pdfs_get_warnings(fixture_bytes: FixtureBytes) -> None:
    # The string "/JavaScript" inside a Word document means nothing to a PDF reader.
    assert check_upload("statement.doc", fixture_bytes("statement.doc")).warnings == ()


# --- the exception itself -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("empty_file", 400),
        ("file_too_large", 413),
        ("unsupported_file_type", 415),
        ("file_type_mismatch", 415),
        ("invalid_request", 400),
        ("password_protected", 422),
        ("damaged_file", 422),
    ],
)
def test_file_refused_derives_status_from_code(code: str, status: int) -> None:
    error = FileRefused(code, "“a.pdf” is not good.")
    assert (error.code, error.status, error.message, str(error)) == (
        code,
        status,
        "“a.pdf” is not good.",
        "“a.pdf” is not good.",
    )


def test_file_refused_rejects_unknown_codes() -> None:
    with pytest.raises(ValueError, match="unknown refusal code"):
        FileRefused("nope", "x")
