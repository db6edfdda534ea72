"""Office files judged by zipfile + defusedxml and olefile (security.md "Accepting a file";
hunt kinds: word_online_document2, ct_rels_then_sorted, contract_password_1234,
invoice_with_macros)."""

from __future__ import annotations

import itertools
from random import Random

import magic
import pytest

from tests.evidence import shapes
from triage.evidence.checks import DOCX_TYPE, FileRefused, check_upload

WORD_ADVICE = "File > Info > Protect Document > Encrypt with Password"


def refused(name: str, data: bytes) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        check_upload(name, data)
    return caught.value


def accepted_docx(name: str, data: bytes) -> None:
    checked = check_upload(name, data)
    assert (checked.extension, checked.content_type, checked.warnings) == ("docx", DOCX_TYPE, ())


# --- genuine packages in every layout ---------------------------------------------------------


def test_a_python_docx_style_package_is_accepted() -> None:
    accepted_docx("letter.docx", shapes.package(shapes.docx_parts()))


@pytest.mark.parametrize(
    ("main", "target"),
    [
        ("word/document2.xml", None),  # Word Online
        ("word/document2.xml", "/word/document2.xml"),  # absolute target
        ("word/main.xml", "./word/main.xml"),
        ("Word/Document.XML", "word/document.xml"),  # part names are case-insensitive
    ],
)
def test_the_main_part_is_found_through_the_package_relationships(main: str, target) -> None:
    parts = shapes.docx_parts(main=main, target=target)
    assert "word/document.xml" not in parts or main.lower() == "word/document.xml"
    accepted_docx("online.docx", shapes.package(parts))


def test_a_strict_ooxml_package_is_accepted() -> None:
    parts = shapes.docx_parts(relationship=shapes.STRICT_OFFICE_DOCUMENT)
    accepted_docx("strict.docx", shapes.package(parts))


ORDERS = {
    "content types, rels, then sorted": lambda names: [
        "[Content_Types].xml",
        "_rels/.rels",
        *sorted(n for n in names if n not in ("[Content_Types].xml", "_rels/.rels")),
    ],
    "sorted": sorted,
    "reversed": lambda names: list(reversed(names)),
    "main part first": lambda names: sorted(names, key=lambda n: not n.startswith("word/doc")),
    "rels last": lambda names: sorted(names, key=lambda n: n.endswith(".rels")),
}


@pytest.mark.parametrize("order", list(ORDERS))
@pytest.mark.parametrize("main", ["word/document.xml", "word/document2.xml"])
def test_zip_entries_in_any_order_are_accepted_whatever_libmagic_says(
    order: str, main: str
) -> None:
    parts = shapes.docx_parts(main=main)
    data = shapes.package(parts, ORDERS[order](list(parts)))
    # libmagic's first guess depends on the order ("Microsoft OOXML", plain zip, ...).
    assert magic.from_buffer(data, mime=True) in {
        DOCX_TYPE,
        "application/zip",
        "application/octet-stream",
    }
    accepted_docx("statement.docx", data)


def test_the_hunt_word_online_and_reordered_files_are_accepted(fixture_bytes) -> None:
    online = fixture_bytes("hunt/word_online_document2.docx")
    reordered = fixture_bytes("hunt/ct_rels_then_sorted.docx")
    assert magic.from_buffer(reordered, mime=True) == "application/octet-stream"
    accepted_docx("word_online_document2.docx", online)
    accepted_docx("ct_rels_then_sorted.docx", reordered)


@pytest.mark.parametrize("fixture", ["statement.doc", "statement.docx", "statement.odt"])
def test_libreoffice_files_are_accepted(fixture_bytes, fixture: str) -> None:
    assert check_upload(fixture, fixture_bytes(fixture)).warnings == ()


def test_loose_libmagic_answers_do_not_pass_other_extensions(fixture_bytes) -> None:
    # Under .docx the structure check decides; under .jpg octet-stream is still refused.
    reordered = fixture_bytes("hunt/ct_rels_then_sorted.docx")
    error = refused("photo.jpg", reordered)
    assert error.code == "file_type_mismatch" and "ends in .docx" in error.message
    random = Random(0).randbytes(10_000)
    assert magic.from_buffer(random, mime=True) == "application/octet-stream"
    for name in ("scan.docx", "scan.odt"):
        error = refused(name, random)
        assert error.code == "unsupported_file_type" and "damaged" in error.message


# --- packages that are not a Word document, or carry macros ----------------------------------


def test_relationships_pointing_at_a_missing_part_are_refused() -> None:
    parts = shapes.docx_parts(main="word/document2.xml")
    del parts["word/document2.xml"]
    error = refused("x.docx", shapes.package(parts))
    assert error.code == "unsupported_file_type"
    assert "no Word document inside" in error.message


def test_a_spreadsheet_main_part_is_not_a_word_document() -> None:
    parts = shapes.docx_parts(main="xl/workbook.xml")
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    parts["[Content_Types].xml"] = shapes.content_types({"xl/workbook.xml": sheet})
    error = refused("book.docx", shapes.package(parts))
    assert error.code == "unsupported_file_type"
    assert "not a Word document" in error.message or "without a Word document" in error.message


@pytest.mark.parametrize(
    "how",
    [
        "vbaProject.bin part",
        "vbaProject relationship",
        "vbaProject default type",
        "macro-enabled main type",
    ],
)
def test_macros_are_refused_however_the_package_declares_them(how: str) -> None:
    parts = shapes.docx_parts()
    if how == "vbaProject.bin part":
        parts["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0"
    elif how == "vbaProject relationship":
        parts["word/macros.dat"] = b"\xd0\xcf\x11\xe0"
        parts["word/_rels/document.xml.rels"] = shapes.relationships((shapes.VBA, "macros.dat"))
    elif how == "vbaProject default type":
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>",
            b'<Default Extension="dat" ContentType="application/vnd.ms-office.vbaProject"/>'
            b"</Types>",
        )
    else:
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            shapes.MAIN_TYPE.encode(), b"application/vnd.ms-word.document.macroEnabled.main+xml"
        )
    error = refused("invoice.docx", shapes.package(parts))
    assert (error.code, error.status) == ("unsupported_file_type", 415)
    assert "contains macros" in error.message


@pytest.mark.parametrize(
    "content_types",
    [
        b'<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY a "aaaa">]><Types>&a;</Types>',
        b'<?xml version="1.0"?><!DOCTYPE t SYSTEM "http://example.com/x.dtd"><Types/>',
        b"<Types><unclosed></Types>",
    ],
)
def test_xml_with_a_dtd_or_broken_xml_is_refused(content_types: bytes) -> None:
    parts = shapes.docx_parts()
    parts["[Content_Types].xml"] = content_types
    error = refused("x.docx", shapes.package(parts))
    assert error.code == "unsupported_file_type"
    assert "damaged" in error.message


# --- passwords --------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["python-docx layout", "LibreOffice", "Word Online layout"])
@pytest.mark.parametrize("name", ["contract.docx", "contract.doc"])
def test_an_encrypted_office_package_is_422_password_protected(
    fixture_bytes, source: str, name: str
) -> None:
    plain = {
        "python-docx layout": lambda: shapes.package(shapes.docx_parts()),
        "LibreOffice": lambda: fixture_bytes("statement.docx"),
        "Word Online layout": lambda: fixture_bytes("hunt/word_online_document2.docx"),
    }[source]()
    data = shapes.encrypt_ooxml(plain)
    assert data.startswith(b"\xd0\xcf\x11\xe0")  # an OLE file, not a zip
    error = refused(name, data)
    assert (error.code, error.status) == ("password_protected", 422)
    assert error.message.startswith(f"“{name}” is protected with a password.")
    assert "save a copy without a password" in error.message and WORD_ADVICE in error.message


def test_the_hunt_contract_is_password_protected_not_a_wrong_kind(fixture_bytes) -> None:
    error = refused(
        "contract_password_1234.docx", fixture_bytes("hunt/contract_password_1234.docx")
    )
    assert error.code == "password_protected"
    assert "not a Word document" not in error.message


@pytest.mark.parametrize(("flags", "what"), [(0x0100, "RC4"), (0x0100 | 0x8000, "XOR")])
def test_an_encrypted_doc_is_422_password_protected(fixture_bytes, flags: int, what: str) -> None:
    data = shapes.doc_with_fib_flags(fixture_bytes("statement.doc"), flags)
    error = refused("statement.doc", data)
    assert error.code == "password_protected", what
    assert WORD_ADVICE in error.message


def test_a_doc_with_other_fib_flags_is_accepted(fixture_bytes) -> None:
    # fReadOnlyRecommended (0x0400) is no password.
    data = shapes.doc_with_fib_flags(fixture_bytes("statement.doc"), 0x0400)
    assert check_upload("statement.doc", data).content_type == "application/msword"


def test_an_odt_saved_with_a_password_is_422_password_protected(fixture_bytes) -> None:
    entries = dict(shapes_zip_entries(fixture_bytes("statement.odt")))
    manifest = entries["META-INF/manifest.xml"]
    # What LibreOffice's "Save with password" writes for each encrypted entry.
    entries["META-INF/manifest.xml"] = manifest.replace(
        b'manifest:full-path="content.xml" manifest:media-type="text/xml"/>',
        b'manifest:full-path="content.xml" manifest:media-type="text/xml">'
        b'<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"/>'
        b"</manifest:file-entry>",
    )
    assert entries["META-INF/manifest.xml"] != manifest
    error = refused("statement.odt", shapes.package(entries, compression=0))
    assert error.code == "password_protected"


def shapes_zip_entries(data: bytes) -> list[tuple[str, bytes]]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


# --- VBA in a .doc ----------------------------------------------------------------------------
# olefile cannot add storages, so the VBA shapes start from the hunt file (copied into
# tests/fixtures/hunt/) and vary its directory names in place.


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (None, None),  # as the hunt file has it: Macros/VBA
        ("Macros", "MACROS"),  # names are case-insensitive
        ("Macros", "Mxcros"),  # a VBA storage under another storage is still a project
    ],
)
def test_a_doc_carrying_a_vba_project_is_refused_like_a_macro_docx(fixture_bytes, old, new) -> None:
    data = fixture_bytes("hunt/invoice_with_macros.doc")
    if old:
        data = shapes.rename_ole_entry(data, old, new)
    error = refused("invoice.doc", data)
    assert (error.code, error.status) == ("unsupported_file_type", 415)
    assert "cannot be accepted because it contains macros" in error.message


def test_the_same_doc_without_its_vba_storages_is_accepted(fixture_bytes) -> None:
    data = fixture_bytes("hunt/invoice_with_macros.doc")
    for old, new in (("_VBA_PROJECT", "_XYZ_PROJECT"), ("Macros", "Mxcros"), ("VBA", "XYZ")):
        data = shapes.rename_ole_entry(data, old, new)
    assert check_upload("invoice.doc", data).content_type == "application/msword"


def test_all_orders_of_a_small_package_are_checked_alike() -> None:
    parts = shapes.docx_parts(main="word/document2.xml")
    results = {
        check_upload("p.docx", shapes.package(parts, order)).content_type
        for order in itertools.islice(itertools.permutations(list(parts)), 0, 720, 37)
    }
    assert results == {DOCX_TYPE}


# --- OpenDocument macros (breaker B2) ---------------------------------------------------------

STARBASIC = (
    b'<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" '
    b'script:language="StarBasic">Sub Main\nShell("calc")\nEnd Sub</script:module>'
)


@pytest.mark.parametrize(
    "entries",
    [
        {"Basic/Standard/Module1.xml": STARBASIC},
        {"Basic/script-lc.xml": b"<library:libraries/>"},
        {"Scripts/python/evil.py": b"import os\nos.system('calc')\n"},
        {"scripts/beanshell/Library1/x.bsh": b"print(1);"},
    ],
    ids=["starbasic-module", "basic-library-list", "python-script", "lower-case-folder"],
)
def test_an_odt_with_macros_is_refused_like_a_macro_docx(fixture_bytes, entries) -> None:
    data = shapes.rezip(fixture_bytes("statement.odt"), entries)
    error = refused("statement.odt", data)
    assert (error.code, error.status) == ("unsupported_file_type", 415)
    assert "contains macros" in error.message and "security reasons" in error.message


def test_an_odt_manifest_listing_a_script_is_refused(fixture_bytes) -> None:
    original = fixture_bytes("statement.odt")
    manifest = shapes.zip_part(original, "META-INF/manifest.xml").replace(
        b"</manifest:manifest>",
        b'<manifest:file-entry manifest:full-path="Macros/m.js" '
        b'manifest:media-type="application/javascript+script"/></manifest:manifest>',
    )
    data = shapes.rezip_replacing(original, {"META-INF/manifest.xml": manifest})
    error = refused("statement.odt", data)
    assert (error.code, error.status) == ("unsupported_file_type", 415)
    assert "contains macros" in error.message


# --- damaged containers (breaker B5, B3) ------------------------------------------------------


@pytest.mark.parametrize("fixture", ["statement.docx", "statement.odt", "statement.doc"])
@pytest.mark.parametrize("fraction", [0.5, 0.9, 0.99])
def test_an_office_file_cut_short_is_422_damaged_file(fixture_bytes, fixture, fraction) -> None:
    data = fixture_bytes(fixture)
    error = refused(fixture, data[: int(len(data) * fraction)])
    assert (error.code, error.status) == ("damaged_file", 422)
    assert "damaged or incomplete" in error.message and "upload the new copy" in error.message


@pytest.mark.parametrize("size", [100, 2048])
def test_a_doc_cut_to_its_first_bytes_is_damaged(fixture_bytes, size: int) -> None:
    error = refused("statement.doc", fixture_bytes("statement.doc")[:size])
    assert (error.code, error.status) == ("damaged_file", 422)


def test_bytes_that_are_not_a_container_at_all_stay_unsupported() -> None:
    error = refused("statement.docx", b"Dear Sir, please find my statement attached." * 10)
    assert (error.code, error.status) == ("unsupported_file_type", 415)


@pytest.mark.parametrize(
    ("fixture", "entry"),
    [("statement.docx", "word/document.xml"), ("statement.odt", "content.xml")],
)
def test_a_corrupt_main_part_is_422_damaged_file(fixture_bytes, fixture, entry) -> None:
    # One byte of the compressed document flipped: the zip's directory is intact, the
    # text is not (it fails to inflate or its CRC).
    error = refused(fixture, shapes.flip_data_byte(fixture_bytes(fixture), entry))
    assert (error.code, error.status) == ("damaged_file", 422)


def test_a_main_part_that_is_not_well_formed_xml_is_damaged() -> None:
    parts = shapes.docx_parts()
    parts["word/document.xml"] = parts["word/document.xml"][:-40]
    error = refused("letter.docx", shapes.package(parts))
    assert (error.code, error.status) == ("damaged_file", 422)
