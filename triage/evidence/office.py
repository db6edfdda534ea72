"""Office documents read with the parsers made for them: .docx, .odt and .doc.

Pure module (no Flask). Sources of the rules: security.md, "Accepting a file"; ECMA-376
part 2 (Open Packaging Conventions: the main part is the target of the package's
``officeDocument`` relationship, content types come from ``[Content_Types].xml``);
OpenDocument 1.3 part 2 (the ``mimetype`` entry, ``manifest:encryption-data``); [MS-DOC]
2.5.2 (FibBase: wIdent, fEncrypted) and [MS-OFFCRYPTO] 2.3.4 (an encrypted OOXML package is
an OLE file with ``EncryptionInfo`` and ``EncryptedPackage`` streams); [MS-OVBA] 2.2 (a VBA
project is a storage holding a ``VBA`` storage: ``Macros`` in Word 97-2003,
``_VBA_PROJECT_CUR`` in Excel and PowerPoint).

Each check returns None for a genuine document, or raises ``StructureError`` (not this kind
of document, or one we refuse: macros, unsafe parts), ``PasswordProtected`` or
``DamagedFile``. XML is parsed only with defusedxml, which refuses DTDs and entities.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from xml.etree.ElementTree import Element

import olefile
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as parse_xml

from triage.evidence.structure import (
    DAMAGED,
    DamagedFile,
    PasswordProtected,
    StructureError,
    check_xml_entry,
    damaged,
    open_safe_zip,
    read_zip_entry,
)

WORD_PASSWORD_ADVICE = (
    "Please save a copy without a password and upload that: open it in Word with the "
    "password, choose File > Info > Protect Document > Encrypt with Password, clear the "
    "password, select OK and save."
)
ODT_PASSWORD_ADVICE = (
    "Please save a copy without a password and upload that: open it with the password, "
    "choose File > Save As, clear “Save with password” and save."
)
_MACROS = (
    "it contains macros (it is a macro-enabled .docm document), which we cannot accept "
    "for security reasons"
)
_DOC_MACROS = (
    "it contains macros (a Visual Basic project), which we cannot accept for security reasons"
)
_NO_WORD_IN_ZIP = "it is a compressed archive (ZIP) with no Word document inside"
_NOT_WORD = (
    "it is an Office file without a Word document inside (it may be a spreadsheet or "
    "a presentation)"
)

# The XML parts read here are a few KB in real documents; a lying size header cannot make
# us decompress more than this.
_XML_PART_CAP = 1024 * 1024
_MIMETYPE_CAP = 256
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"

_CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_RELATIONSHIPS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MANIFEST_NS = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
# Transitional and Strict spellings of the relationship to the main part.
_OFFICE_DOCUMENT_RELATIONSHIPS = frozenset(
    {
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
        "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
    }
)
# Main-part content types Word opens as a document (.docx, and a .dotx template renamed).
_WORD_MAIN_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    }
)


# --- helpers ----------------------------------------------------------------------------------


def _xml(content: bytes) -> Element:
    try:
        return parse_xml(content, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise StructureError(DAMAGED) from exc


def _declares_macros(content_type: str) -> bool:
    lowered = content_type.lower()
    return "macroenabled" in lowered or "vbaproject" in lowered


def _ole(data: bytes) -> olefile.OleFileIO | None:
    """The OLE compound file in ``data``, or None if it is not one; the caller closes it.

    Raises ``DamagedFile`` when ``data`` has the OLE header but does not open (cut short).
    """
    if not olefile.isOleFile(data=data):
        # The OLE signature on a file too short to hold a header: cut short.
        if data.startswith(olefile.MAGIC):
            raise damaged()
        return None
    try:
        return olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # olefile raises many exception types on hostile input
        raise damaged() from exc


def _is_encrypted_package(ole: olefile.OleFileIO) -> bool:
    # [MS-OFFCRYPTO] 2.3.4.1: Word, Excel and PowerPoint 2007+ encrypt the whole package
    # into this OLE stream, whatever the file's extension.
    return ole.exists("EncryptedPackage") and ole.exists("EncryptionInfo")


def _cut_short(ole: olefile.OleFileIO, size: int) -> bool:
    """True if the file ends before the last sector its FAT says is in use.

    [MS-CFB] 2.2-2.3: sector n starts at (n + 1) x sector size (the header takes the first);
    olefile reads a file cut short as if the missing sectors were zeros.
    """
    used = [index for index, entry in enumerate(ole.fat) if entry != olefile.FREESECT]
    return bool(used) and size < (max(used) + 2) * ole.sector_size


def _has_vba_project(ole: olefile.OleFileIO) -> bool:
    for path in ole.listdir(streams=True, storages=True):
        lowered = [part.lower() for part in path]
        if "_vba_project_cur" in lowered or "_vba_project" in lowered:
            return True
        if lowered[0] == "macros" or "vba" in lowered[:-1]:
            return True
    return False


# --- .docx ------------------------------------------------------------------------------------


def _part_name(target: str, source_dir: str = "") -> str:
    """A relationship target as a lower-case part name without the leading slash."""
    path = target if target.startswith("/") else posixpath.join("/", source_dir, target)
    path = posixpath.normpath(path)
    if not path.startswith("/") or path.startswith("//") or "/../" in f"{path}/":
        raise StructureError(DAMAGED)
    return path.lstrip("/").lower()


def _relationships(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> list[Element]:
    root = _xml(read_zip_entry(archive, info, _XML_PART_CAP))
    return list(root.iter(f"{_RELATIONSHIPS_NS}Relationship"))


def check_docx(data: bytes) -> None:
    """A .docx is a safe zip whose ``officeDocument`` relationship leads to a Word main part,
    which decompresses completely into well-formed XML.

    Raises ``PasswordProtected`` for an encrypted package (an OLE file, see the module
    docstring), ``DamagedFile`` for a zip or OLE file cut short or a main part that does not
    decompress or parse, ``StructureError`` for anything that is not a macro-free Word
    document.
    """
    ole = _ole(data)
    if ole is not None:
        with ole:
            if _is_encrypted_package(ole):
                raise PasswordProtected("is protected with a password", WORD_PASSWORD_ADVICE)
        raise StructureError("it is a Word 97-2003 or other older Office file, not a .docx")
    with open_safe_zip(data) as archive:
        # OPC part names are case-insensitive, so compare in lower case.
        parts = {info.filename.lower(): info for info in archive.infolist()}
        if "_rels/.rels" not in parts and "[content_types].xml" not in parts:
            raise StructureError(_NO_WORD_IN_ZIP)
        if any(name.rsplit("/", 1)[-1] == "vbaproject.bin" for name in parts):
            raise StructureError(_MACROS)
        if "_rels/.rels" not in parts or "[content_types].xml" not in parts:
            raise StructureError(DAMAGED)

        types = _xml(read_zip_entry(archive, parts["[content_types].xml"], _XML_PART_CAP))
        defaults: dict[str, str] = {}
        overrides: dict[str, str] = {}
        for element in types.iter():
            content_type = element.get("ContentType", "")
            if _declares_macros(content_type):
                raise StructureError(_MACROS)
            if element.tag == f"{_CONTENT_TYPES_NS}Default":
                defaults[element.get("Extension", "").lower()] = content_type.lower()
            elif element.tag == f"{_CONTENT_TYPES_NS}Override":
                overrides[element.get("PartName", "").lstrip("/").lower()] = content_type.lower()

        main = [
            rel
            for rel in _relationships(archive, parts["_rels/.rels"])
            if rel.get("Type") in _OFFICE_DOCUMENT_RELATIONSHIPS
        ]
        if not main:
            raise StructureError(_NO_WORD_IN_ZIP)
        if len(main) > 1 or main[0].get("TargetMode", "Internal") != "Internal":
            raise StructureError(DAMAGED)
        name = _part_name(main[0].get("Target", ""))
        if name not in parts:
            raise StructureError(_NO_WORD_IN_ZIP)
        extension = name.rpartition(".")[2] if "." in name.rsplit("/", 1)[-1] else ""
        main_type = overrides.get(name) or defaults.get(extension, "")
        if main_type not in _WORD_MAIN_TYPES:
            raise StructureError(_NOT_WORD)

        # The main part's own relationships: a VBA project is attached there (any part
        # name will do), so its relationship type gives it away too.
        directory, _, filename = name.rpartition("/")
        rels = parts.get(posixpath.join(directory, "_rels", f"{filename}.rels"))
        if rels is not None:
            for rel in _relationships(archive, rels):
                if "vbaproject" in rel.get("Type", "").lower():
                    raise StructureError(_MACROS)
        # The document itself: decompressed whole (its CRC checked) and well-formed XML, or
        # the text the reviewer needs is not all there.
        check_xml_entry(archive, parts[name])


# --- .odt -------------------------------------------------------------------------------------

# Where LibreOffice stores a document's macros (OpenDocument 1.3 part 3, 3.15 "Scripts": the
# office:scripts element; LibreOffice keeps StarBasic libraries under Basic/ and Python,
# BeanShell and JavaScript macros under Scripts/<language>/).
_ODF_SCRIPT_FOLDERS = ("basic/", "scripts/")
_ODT_MACROS = (
    "it contains macros (Basic or script modules), which we cannot accept for security reasons"
)


def _is_odf_script(path: str) -> bool:
    return path.lstrip("/").lower().startswith(_ODF_SCRIPT_FOLDERS)


def check_odt(data: bytes) -> None:
    """An .odt is a safe zip whose ``mimetype`` entry names OpenDocument text, with no
    macros, and whose ``content.xml`` decompresses completely into well-formed XML.

    Raises ``PasswordProtected`` when its manifest lists encrypted entries, ``DamagedFile``
    for a zip cut short or a ``content.xml`` that does not decompress or parse,
    ``StructureError`` when it is not an OpenDocument text or holds macros (StarBasic
    modules under ``Basic/``, scripts under ``Scripts/``, or manifest entries of a script
    type).
    """
    with open_safe_zip(data) as archive:
        try:
            info = archive.getinfo("mimetype")
        except KeyError:
            raise StructureError(
                "it is a compressed archive (ZIP) with no OpenDocument text inside"
            ) from None
        if read_zip_entry(archive, info, _MIMETYPE_CAP) != ODT_MIMETYPE:
            raise StructureError(
                "it is not an OpenDocument text (it may be a spreadsheet or another kind of file)"
            )
        if any(_is_odf_script(info.filename) for info in archive.infolist()):
            raise StructureError(_ODT_MACROS)
        try:
            manifest = archive.getinfo("META-INF/manifest.xml")
        except KeyError:
            manifest = None  # optional for readers; LibreOffice always writes one
        if manifest is not None:
            root = _xml(read_zip_entry(archive, manifest, _XML_PART_CAP))
            if next(root.iter(f"{_MANIFEST_NS}encryption-data"), None) is not None:
                raise PasswordProtected("is protected with a password", ODT_PASSWORD_ADVICE)
            for entry in root.iter(f"{_MANIFEST_NS}file-entry"):
                path = entry.get(f"{_MANIFEST_NS}full-path", "")
                media_type = entry.get(f"{_MANIFEST_NS}media-type", "").lower()
                if _is_odf_script(path) or "script" in media_type or "basic" in media_type:
                    raise StructureError(_ODT_MACROS)
        try:
            content = archive.getinfo("content.xml")
        except KeyError:
            raise StructureError(DAMAGED) from None
        check_xml_entry(archive, content)


# --- .doc -------------------------------------------------------------------------------------

_FIB_IDENT = 0xA5EC  # wIdent of a Word 97+ FibBase
_F_ENCRYPTED = 0x0100  # FibBase bit F: encrypted (RC4 or XOR obfuscation, flag M)


def check_doc(data: bytes) -> None:
    """A .doc is an OLE compound file with a WordDocument stream, no VBA project and no
    password.

    Raises ``PasswordProtected`` for an encrypted package or a FIB with fEncrypted set,
    ``DamagedFile`` for an OLE file cut short, ``StructureError`` for anything else that is
    not a macro-free Word 97-2003 document.
    """
    ole = _ole(data)
    if ole is None:
        raise StructureError(DAMAGED)
    with ole:
        try:
            if _is_encrypted_package(ole):
                raise PasswordProtected("is protected with a password", WORD_PASSWORD_ADVICE)
            if not (
                ole.exists("WordDocument") and ole.get_type("WordDocument") == olefile.STGTY_STREAM
            ):
                raise StructureError(_NOT_WORD)
            if _has_vba_project(ole):
                raise StructureError(_DOC_MACROS)
            if _cut_short(ole, len(data)):
                raise damaged()
            with ole.openstream("WordDocument") as stream:
                fib = stream.read(12)
        except (StructureError, PasswordProtected, DamagedFile):
            raise
        except Exception as exc:  # olefile raises many exception types on hostile input
            raise damaged() from exc
    if len(fib) < 12:
        raise damaged()
    ident = int.from_bytes(fib[0:2], "little")
    flags = int.from_bytes(fib[10:12], "little")
    if ident == _FIB_IDENT and flags & _F_ENCRYPTED:
        raise PasswordProtected("is protected with a password", WORD_PASSWORD_ADVICE)
