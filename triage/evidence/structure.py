"""Structure checks for uploaded office documents and PDFs.

Pure functions over bytes. libmagic only tells us what a file claims to be; these checks look
inside office files (zip / OLE containers) and scan PDFs for active content, so a renamed
archive, a macro document or a zip bomb cannot pass as an ordinary document.

Every refusal is a ``StructureError`` whose ``reason`` completes the customer-facing sentence
"“name” cannot be accepted because <reason>."
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from xml.etree import ElementTree

import olefile

# Zip limits are checked on the central directory BEFORE any entry is decompressed.
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ZIP_RATIO = 100  # overall uncompressed : compressed; real documents are far below this

# Hard caps for the few entries we actually read: a lying size header cannot make us
# decompress more than this.
_CONTENT_TYPES_CAP = 1024 * 1024
_MIMETYPE_CAP = 256

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"

_DAMAGED = "it is damaged or is not a real document"
_MACROS = (
    "it contains macros (it is a macro-enabled .docm document), which we cannot accept "
    "for security reasons"
)


class StructureError(ValueError):
    """The content is not a safe, genuine document of the expected kind."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- zip containers (.docx, .odt) -------------------------------------------------------------


def _is_unsafe_path(name: str) -> bool:
    # Absolute paths (POSIX, Windows root or drive letter) and ".." components would escape
    # any directory the archive is ever extracted to; no real document has them.
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        return True
    return ".." in re.split(r"[/\\]", name)


def _open_safe_zip(data: bytes) -> zipfile.ZipFile:
    """Open a zip after checking its central directory; the caller must close it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise StructureError(_DAMAGED) from exc
    try:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise StructureError("it contains far more parts than a normal document")
        unpacked = sum(info.file_size for info in infos)
        packed = sum(info.compress_size for info in infos)
        if unpacked > MAX_ZIP_UNCOMPRESSED_BYTES or unpacked > MAX_ZIP_RATIO * max(packed, 1):
            raise StructureError(
                "it is a compressed file that would expand to far more data than a normal document"
            )
        if any(_is_unsafe_path(info.filename) for info in infos):
            raise StructureError("it contains parts with unsafe folder names")
        # Two entries with one name are a classic way to show different content to
        # different readers.
        if len({info.filename for info in infos}) != len(infos):
            raise StructureError(_DAMAGED)
    except BaseException:
        archive.close()
        raise
    return archive


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """Read one entry, never more than ``cap`` bytes whatever its header declares."""
    try:
        with archive.open(info) as handle:
            content = handle.read(cap + 1)
    except (
        zipfile.BadZipFile,
        NotImplementedError,
        RuntimeError,
        ValueError,
        OSError,
        EOFError,
        zlib.error,
    ) as exc:  # damaged, encrypted or unknown compression
        raise StructureError(_DAMAGED) from exc
    if len(content) > cap:
        raise StructureError(_DAMAGED)
    return content


def _declares_macros(content_types: bytes) -> bool:
    lowered = content_types.lower()
    if b"macroenabled" in lowered or b"vbaproject" in lowered:
        return True
    if b"<!doctype" in lowered:  # OOXML forbids DTDs; refusing them also rules out entity tricks
        raise StructureError(_DAMAGED)
    try:
        root = ElementTree.fromstring(content_types)
    except ElementTree.ParseError as exc:
        raise StructureError(_DAMAGED) from exc
    # Parse as well as grep, so character references (macroEnable&#100;) cannot hide it.
    for element in root.iter():
        declared = element.get("ContentType", "").lower()
        if "macroenabled" in declared or "vbaproject" in declared:
            return True
    return False


def check_docx(data: bytes) -> None:
    """A .docx is a safe zip holding word/document.xml and no macros."""
    with _open_safe_zip(data) as archive:
        # OPC part names are case-insensitive, so compare in lower case.
        parts = {info.filename.lower(): info for info in archive.infolist()}
        if "word/document.xml" not in parts:
            raise StructureError("it is a compressed archive (ZIP) with no Word document inside")
        if any(name.rsplit("/", 1)[-1] == "vbaproject.bin" for name in parts):
            raise StructureError(_MACROS)
        content_types = parts.get("[content_types].xml")
        if content_types is None:
            raise StructureError(_DAMAGED)
        if _declares_macros(_read_entry(archive, content_types, _CONTENT_TYPES_CAP)):
            raise StructureError(_MACROS)


def check_odt(data: bytes) -> None:
    """An .odt is a safe zip whose ``mimetype`` entry names OpenDocument text."""
    with _open_safe_zip(data) as archive:
        try:
            info = archive.getinfo("mimetype")
        except KeyError:
            raise StructureError(
                "it is a compressed archive (ZIP) with no OpenDocument text inside"
            ) from None
        if _read_entry(archive, info, _MIMETYPE_CAP) != ODT_MIMETYPE:
            raise StructureError(
                "it is not an OpenDocument text (it may be a spreadsheet or another kind of file)"
            )


# --- OLE containers (.doc) --------------------------------------------------------------------


def check_doc(data: bytes) -> None:
    """A .doc is an OLE compound file with a WordDocument stream."""
    if not olefile.isOleFile(data=data):
        raise StructureError(_DAMAGED)
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            is_word = ole.exists("WordDocument") and (
                ole.get_type("WordDocument") == olefile.STGTY_STREAM
            )
    except Exception as exc:  # olefile raises many exception types on hostile input
        raise StructureError(_DAMAGED) from exc
    if not is_word:
        raise StructureError(
            "it is an Office file without a Word document inside (it may be a spreadsheet or "
            "a presentation)"
        )


# --- PDF active content -----------------------------------------------------------------------

FLAGGED_PDF_NAMES = ("JavaScript", "JS", "Launch", "EmbeddedFile", "OpenAction")
# The catalogue's attachment list is /EmbeddedFiles; the /Type /EmbeddedFile on the attached
# stream itself is optional, so the list alone must be enough to flag an attachment.
_PDF_NAME_ALIASES = {"EmbeddedFiles": "EmbeddedFile"}

# A PDF name runs from "/" to the next whitespace or delimiter, so matching the whole token
# keeps "/JSomething" from counting as "/JS".
_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_PDF_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# "/OpenAction [page /XYZ left top zoom]" only opens the document at a page and view.
# LibreOffice writes one into every PDF; anything else (an action dictionary, an indirect
# reference to one) is flagged.
_PLAIN_DESTINATION = re.compile(
    rb"\s*\[\s*\d+(?:\s+\d+\s+R)?\s*/(?:XYZ|Fit|FitH|FitV|FitR|FitB|FitBH|FitBV)"
    rb"(?:\s+(?:null|[-+]?(?:\d+\.?\d*|\.\d+)))*\s*\]"
)
# Object streams (PDF 1.5+) hold whole dictionaries compressed, out of sight of a raw scan.
_STREAM_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b(.{0,4096}?)stream\r?\n", re.DOTALL)
_MAX_OBJECT_STREAM_BYTES = 16 * 1024 * 1024  # total inflated, against deflate bombs


def _decode_name(raw: bytes) -> str:
    return _PDF_HEX_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), raw).decode("latin-1")


def _names_in(data: bytes) -> set[str]:
    found: set[str] = set()
    for match in _PDF_NAME.finditer(data):
        name = _decode_name(match[1])
        name = _PDF_NAME_ALIASES.get(name, name)
        if name not in FLAGGED_PDF_NAMES:
            continue
        if name == "OpenAction" and _PLAIN_DESTINATION.match(data, match.end()):
            continue
        found.add(name)
    return found


def _object_streams(data: bytes) -> list[bytes]:
    inflated: list[bytes] = []
    budget = _MAX_OBJECT_STREAM_BYTES
    for match in _STREAM_OBJECT.finditer(data):
        dictionary = {_decode_name(raw) for raw in _PDF_NAME.findall(match[1])}
        if "ObjStm" not in dictionary or "FlateDecode" not in dictionary:
            continue
        end = data.find(b"endstream", match.end())
        body = data[match.end() : end if end != -1 else len(data)]
        try:
            chunk = zlib.decompressobj().decompress(body, budget)
        except zlib.error:
            continue  # a broken stream holds nothing a reader could run
        inflated.append(chunk)
        budget -= len(chunk)
        if budget <= 0:
            break
    return inflated


def pdf_flagged_names(data: bytes) -> tuple[str, ...]:
    """Names of active-content features in a PDF, e.g. ("/JavaScript", "/JS").

    Like pdfid this scans the raw bytes (stream data included: an xref entry may point into
    any byte range), plus the inflated object streams. It flags for a reviewer; it does not
    prove a PDF safe or unsafe.
    """
    found = _names_in(data)
    for chunk in _object_streams(data):
        found |= _names_in(chunk)
    return tuple(f"/{name}" for name in FLAGGED_PDF_NAMES if name in found)
