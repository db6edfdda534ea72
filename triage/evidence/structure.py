"""Structure checks for uploaded office documents and PDFs.

Pure functions over bytes. libmagic only tells us what a file claims to be; these checks look
inside office files (zip / OLE containers) and scan PDFs for active content, so a renamed
archive, a macro document or a zip bomb cannot pass as an ordinary document.

Every refusal is a ``StructureError`` whose ``reason`` completes the customer-facing sentence
"“name” cannot be accepted because <reason>."
"""

from __future__ import annotations

import bisect
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
#
# Every pattern here runs over up to 5 MiB of attacker-chosen bytes, so none may backtrack
# badly: names are matched literally (no open-ended runs before a fixed token) and the
# destination pattern uses possessive quantifiers.

FLAGGED_PDF_NAMES = ("JavaScript", "JS", "Launch", "EmbeddedFile", "OpenAction")
# The catalogue's attachment list is /EmbeddedFiles; the /Type /EmbeddedFile on the attached
# stream itself is optional, so the list alone must be enough to flag an attachment.
_PDF_NAME_ALIASES = {"EmbeddedFiles": "EmbeddedFile"}
_PDF_DELIMITERS = rb"\x00\t\n\x0c\r ()<>\[\]{}/%"


def _pdf_name_pattern(*names: str) -> re.Pattern[bytes]:
    """Match "/Name" as a whole PDF name, each character literal or #xx-escaped."""

    def hex_digit(digit: str) -> str:
        return digit if digit.isdigit() else f"[{digit.lower()}{digit.upper()}]"

    def spellings(char: str) -> str:
        high, low = f"{ord(char):02x}"
        return f"(?:{re.escape(char)}|#{hex_digit(high)}{hex_digit(low)})"

    alternatives = "|".join(
        "".join(spellings(char) for char in name) for name in sorted(names, key=len, reverse=True)
    )
    # The look-ahead makes it the whole name: "/JSomething" is not "/JS".
    return re.compile(rb"/(?:" + alternatives.encode() + rb")(?![^" + _PDF_DELIMITERS + rb"])")


_FLAGGED_PATTERNS = {
    name: _pdf_name_pattern(name, *(alias for alias, to in _PDF_NAME_ALIASES.items() if to == name))
    for name in FLAGGED_PDF_NAMES
}
_OBJECT_STREAM_NAME = _pdf_name_pattern("ObjStm")
# "/OpenAction [page /XYZ left top zoom]" only opens the document at a page and view.
# LibreOffice writes one into every PDF; anything else (an action dictionary, an indirect
# reference to one) is flagged.
_PLAIN_DESTINATION = re.compile(
    rb"\s*+\[\s*+\d++(?:\s++\d++\s++R)?+\s*+"
    rb"/(?:XYZ|FitBH|FitBV|FitB|FitH|FitV|FitR|Fit)"
    rb"(?:\s++(?:null|[-+]?+(?:\d++(?:\.\d*+)?+|\.\d++)))*+\s*+\]"
)
_MAX_OPEN_ACTIONS = 100  # a real PDF has one; thousands of "harmless" ones are a smoke screen
# Object streams (PDF 1.5+) hold whole dictionaries compressed, out of sight of a raw scan.
# (Literal first, look-behind after: a leading look-behind makes re test every byte.)
_STREAM_KEYWORD = re.compile(rb"stream(?<![A-Za-z]stream)\r?\n")
_DICTIONARY_REACH = 4096  # from /Type /ObjStm to the stream keyword of the same object
_MAX_OBJECT_STREAM_BYTES = 16 * 1024 * 1024  # total inflated, against deflate bombs
_INFLATE_CHUNK = 16 * 1024  # input fed per call, so zlib never copies the rest of the file


def _names_in(data: bytes) -> set[str]:
    found: set[str] = set()
    for name, pattern in _FLAGGED_PATTERNS.items():
        if name != "OpenAction":
            if pattern.search(data):
                found.add(name)
            continue
        for count, match in enumerate(pattern.finditer(data)):
            if count >= _MAX_OPEN_ACTIONS or not _PLAIN_DESTINATION.match(data, match.end()):
                found.add(name)
                break
    return found


def _looks_like_zlib(header: bytes) -> bool:
    # RFC 1950: deflate method and a header checksum; rules out most bytes without zlib.
    return len(header) == 2 and header[0] & 0x0F == 8 and int.from_bytes(header) % 31 == 0


def _inflate(view: memoryview, start: int, budget: int) -> bytes:
    inflater = zlib.decompressobj()
    pieces: list[bytes] = []
    position = start
    while budget > 0 and not inflater.eof and position < len(view):
        chunk = view[position : position + _INFLATE_CHUNK]
        position += len(chunk)
        try:
            piece = inflater.decompress(chunk, budget)
        except zlib.error:
            break  # keep what came out before the damage: lenient readers do too
        pieces.append(piece)
        budget -= len(piece)
        if inflater.unconsumed_tail:  # budget spent mid-chunk
            break
    return b"".join(pieces)


def _object_streams(data: bytes) -> bytes:
    """The inflated content of every Flate object stream, newline-separated."""
    if not _OBJECT_STREAM_NAME.search(data):
        return b""  # most PDFs: skip listing their stream keywords
    stream_starts = [match.end() for match in _STREAM_KEYWORD.finditer(data)]
    inflated: list[bytes] = []
    budget = _MAX_OBJECT_STREAM_BYTES
    seen: set[int] = set()
    view = memoryview(data)
    for name in _OBJECT_STREAM_NAME.finditer(data):
        # The object's own stream keyword is the first one after its /Type /ObjStm.
        index = bisect.bisect_left(stream_starts, name.end())
        if index == len(stream_starts):
            break
        start = stream_starts[index]
        if start in seen or start - name.end() > _DICTIONARY_REACH:
            continue
        seen.add(start)
        if not _looks_like_zlib(data[start : start + 2]):
            continue
        chunk = _inflate(view, start, budget)
        inflated.append(chunk)
        budget -= len(chunk)
        if budget <= 0:
            break
    return b"\n".join(inflated)


def pdf_flagged_names(data: bytes) -> tuple[str, ...]:
    """Names of active-content features in a PDF, e.g. ("/JavaScript", "/JS").

    Like pdfid this scans the raw bytes (stream data included: an xref entry may point into
    any byte range), plus the inflated object streams. It flags for a reviewer; it does not
    prove a PDF safe or unsafe.
    """
    found = _names_in(data) | _names_in(_object_streams(data))
    return tuple(f"/{name}" for name in FLAGGED_PDF_NAMES if name in found)
