"""Checks on one uploaded evidence file: name, size, sniffed type and document structure.

Pure module (no Flask): callers pass the client's file name and the bytes, and get back a
``CheckedFile`` or a ``FileRefused`` whose message can be shown to the customer as it is.
The Content-Type sent by the client is deliberately not an input: only the content counts.
"""

from __future__ import annotations

import hashlib
import re
import typing
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import magic

from triage.evidence.structure import (
    StructureError,
    check_doc,
    check_docx,
    check_odt,
    pdf_flagged_names,
)

MAX_FILE_BYTES: int = 5 * 1024 * 1024
ALLOWED_EXTENSIONS: frozenset[str] = frozenset({"doc", "docx", "jpg", "jpeg", "png", "pdf", "odt"})
ACCEPT_ATTRIBUTE: str = ".doc,.docx,.jpg,.jpeg,.png,.pdf,.odt"

_STATUS_BY_CODE = {
    "empty_file": 400,
    "file_too_large": 413,
    "unsupported_file_type": 415,
    "file_type_mismatch": 415,
    "invalid_request": 400,
}


class FileRefused(Exception):
    """An upload we will not store; ``message`` is a sentence for the customer."""

    def __init__(self, code: str, message: str) -> None:
        if code not in _STATUS_BY_CODE:
            raise ValueError(f"unknown refusal code: {code!r}")
        super().__init__(message)
        self.code = code
        self.status = _STATUS_BY_CODE[code]
        self.message = message


@dataclass(frozen=True)
class CheckedFile:
    data: bytes = field(repr=False)
    filename: str
    extension: str
    content_type: str
    sha256: str
    size: int
    warnings: tuple[str, ...] = ()


# --- what each extension may contain --------------------------------------------------------

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_TYPE = "application/vnd.oasis.opendocument.text"

# The explicit table: sniffed types (lower case) each extension may have. The generic answers
# (zip, OLE storage) say nothing about what is inside, so office files always get the
# structure check below as well.
_ACCEPTED_SNIFFS: dict[str, frozenset[str]] = {
    "jpg": frozenset({"image/jpeg"}),
    "jpeg": frozenset({"image/jpeg"}),
    "png": frozenset({"image/png"}),
    "pdf": frozenset({"application/pdf"}),
    "doc": frozenset(
        {
            "application/msword",
            "application/x-ole-storage",
            "application/vnd.ms-office",
            "application/cdfv2",
        }
    ),
    "docx": frozenset({DOCX_TYPE, "application/zip"}),
    "odt": frozenset({ODT_TYPE, "application/zip"}),
}
_STRUCTURE_CHECKS: dict[str, Callable[[bytes], None]] = {
    "doc": check_doc,
    "docx": check_docx,
    "odt": check_odt,
}
# Whatever the extension: these can carry script or cannot be told apart from anything.
_NEVER_ACCEPTED = frozenset({"text/html", "image/svg+xml", "application/octet-stream"})

_PHOTO_HELP = "Please upload a photo or scan saved as .jpg, .png or .pdf."
_DOCUMENT_HELP = "Please upload the document saved as .pdf, .docx, .doc or .odt."
_ALLOWED_LIST = ".doc, .docx, .jpg, .jpeg, .png, .pdf or .odt"


@dataclass(frozen=True)
class _Kind:
    label: str  # completes "… is not <label>"
    extension: str  # the extension we suggest for this content
    content_type: str  # canonical type stored for it
    help: str


_JPEG = _Kind("a JPEG image", ".jpg", "image/jpeg", _PHOTO_HELP)
_PNG = _Kind("a PNG image", ".png", "image/png", _PHOTO_HELP)
_PDF = _Kind("a PDF document", ".pdf", "application/pdf", _PHOTO_HELP)
_DOC = _Kind("a Word 97-2003 document (.doc)", ".doc", "application/msword", _DOCUMENT_HELP)
_DOCX = _Kind("a Word document (.docx)", ".docx", DOCX_TYPE, _DOCUMENT_HELP)
_ODT = _Kind("an OpenDocument text (.odt)", ".odt", ODT_TYPE, _DOCUMENT_HELP)
_KINDS: dict[str, _Kind] = {
    "jpg": _JPEG,
    "jpeg": _JPEG,
    "png": _PNG,
    "pdf": _PDF,
    "doc": _DOC,
    "docx": _DOCX,
    "odt": _ODT,
}

_EXECUTABLE = "a program (executable file)"
_DESCRIPTIONS: dict[str, str] = {
    "text/html": "a web page (HTML)",
    "image/svg+xml": "an SVG drawing",
    "application/octet-stream": "data we cannot recognise",
    "application/zip": "a compressed archive (ZIP)",
    "application/x-ole-storage": "an Office file of an unknown kind",
    "application/vnd.ms-word.document.macroenabled.12": "a Word document with macros (.docm)",
    "text/plain": "plain text",
    "application/x-executable": _EXECUTABLE,
    "application/x-pie-executable": _EXECUTABLE,
    "application/x-sharedlib": _EXECUTABLE,
    "application/x-dosexec": _EXECUTABLE,
    "application/x-msdownload": _EXECUTABLE,
    "application/vnd.microsoft.portable-executable": _EXECUTABLE,
    "application/x-mach-binary": _EXECUTABLE,
    "image/gif": "a GIF image",
    "image/webp": "a WebP image",
    "image/heic": "a HEIC photo",
    "image/tiff": "a TIFF image",
    "image/bmp": "a BMP image",
    **{kind.content_type: kind.label for kind in _KINDS.values()},
}


def _describe(sniffed: str) -> str:
    if sniffed in _DESCRIPTIONS:
        return _DESCRIPTIONS[sniffed]
    if sniffed.startswith("image/"):
        return "an image in a format we cannot accept"
    if sniffed.startswith("text/"):
        return "a text file"
    if sniffed.startswith(("audio/", "video/")):
        return "a sound or video recording"
    return "a kind of file we cannot accept"


# --- names ----------------------------------------------------------------------------------

# Bidi overrides and isolates can make "photo\u202egpj.exe" display as "photoexe.jpg".
_BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)
_PATH_SEPARATORS = re.compile(r"[/\\]")
_MAX_KEPT_EXTENSION = 16  # longer "extensions" are just part of the name when truncating


def _is_control(char: str) -> bool:
    # Cc: C0/C1 controls, NUL and DEL; Cs: lone surrogates, which cannot be stored as UTF-8.
    return unicodedata.category(char) in ("Cc", "Cs")


def _basename(name: str) -> str:
    # Browsers may send a full Windows or POSIX path; only the last part is the name.
    return _PATH_SEPARATORS.split(name)[-1]


def sanitise_filename(name: str, max_length: int = 120) -> str:
    """The display form of a client file name, or "" if nothing usable is left.

    NFC, no directory part, no control or bidi characters, whitespace collapsed, no leading
    dots, at most ``max_length`` characters with the extension kept. Letters of any script
    are kept as they are.
    """
    name = unicodedata.normalize("NFC", name)
    name = "".join(char for char in name if not _is_control(char)).translate(_BIDI_CONTROLS)
    name = " ".join(_basename(name).split())
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > _MAX_KEPT_EXTENSION:
        stem, suffix = name, ""
    else:
        suffix = f".{extension}"
    # ".pdf", ".." or "...": no name is left once the hidden-file dots are gone.
    stem = stem.lstrip(". ").rstrip()
    if not stem:
        return ""
    room = max(max_length - len(suffix), 1)
    if len(stem) > room:
        cut = room
        # Do not leave a base letter whose accents were cut off.
        while cut > 1 and unicodedata.category(stem[cut])[0] == "M":
            cut -= 1
        stem = stem[:cut].rstrip(". ")
    return f"{stem}{suffix}"[:max_length]


def _shown(name: str) -> str:
    """A short, printable form of a name for messages, even of one we refuse."""
    clean = sanitise_filename(name)
    if clean:
        return clean
    raw = unicodedata.normalize("NFC", name)
    return "".join("\ufffd" if _is_control(char) else char for char in raw)[:120].strip()


def _check_name(original_name: str) -> tuple[str, str]:
    """Return (display name, lower-case extension) or refuse."""
    if any(_is_control(char) for char in original_name):
        raise FileRefused(
            "invalid_request",
            f"The file name “{_shown(original_name)}” contains hidden control characters. "
            "Please rename the file and upload it again.",
        )
    name = unicodedata.normalize("NFC", original_name)
    display = sanitise_filename(name)
    if not display:
        shown = _shown(name)
        subject = f"“{shown}”" if shown else "The file you chose"
        raise FileRefused(
            "unsupported_file_type",
            f"{subject} has no usable file name. Please rename it, for example to "
            "passport.pdf, and upload it again.",
        )
    _, dot, extension = _basename(name).rpartition(".")
    if not dot or not extension:
        raise FileRefused(
            "unsupported_file_type",
            f"“{display}” has no file extension, so we cannot tell what kind of file it is. "
            f"Please upload a {_ALLOWED_LIST} file.",
        )
    extension = extension.lower()
    if extension not in ALLOWED_EXTENSIONS:
        what = f"a .{extension} file" if len(extension) <= 10 else "a type of file"
        raise FileRefused(
            "unsupported_file_type",
            f"“{display}” is {what}, which we cannot accept. Please upload a {_ALLOWED_LIST} file.",
        )
    return display, extension


# --- content --------------------------------------------------------------------------------


def _sniff(data: bytes) -> str:
    # libmagic looks at the whole buffer up to MAGIC_PARAM_BYTES_MAX (7 MiB in 5.44), so the
    # whole 5 MiB upload is seen. On the first 2 KB a .doc is only "x-ole-storage".
    try:
        return magic.from_buffer(data, mime=True).lower()
    except magic.MagicException:
        return "application/octet-stream"


def _passes(extension: str, data: bytes) -> bool:
    check = _STRUCTURE_CHECKS.get(extension)
    if check is None:
        return True
    try:
        check(data)
    except StructureError:
        return False
    return True


def _real_kind(sniffed: str, data: bytes, expected: _Kind) -> _Kind | None:
    """The accepted kind the content genuinely is, when that is not the expected one."""
    for extension, sniffs in _ACCEPTED_SNIFFS.items():
        kind = _KINDS[extension]
        if kind is not expected and sniffed in sniffs and _passes(extension, data):
            return kind
    return None


def _check_content(name: str, extension: str, data: bytes) -> None:
    expected = _KINDS[extension]
    sniffed = _sniff(data)
    problem: StructureError | None = None
    if sniffed not in _NEVER_ACCEPTED and sniffed in _ACCEPTED_SNIFFS[extension]:
        check = _STRUCTURE_CHECKS.get(extension)
        try:
            if check is not None:
                check(data)
            return
        except StructureError as error:
            problem = error
    if sniffed not in _NEVER_ACCEPTED:
        actual = _real_kind(sniffed, data, expected)
        if actual is not None:
            raise FileRefused(
                "file_type_mismatch",
                f"“{name}” is {actual.label}, not {expected.label}. Please rename it so that "
                f"it ends in {actual.extension} and upload it again.",
            )
    if problem is not None:
        raise FileRefused(
            "unsupported_file_type",
            f"“{name}” cannot be accepted because {problem.reason}. {expected.help}",
        )
    raise FileRefused(
        "unsupported_file_type",
        f"“{name}” is not {expected.label}: its content looks like {_describe(sniffed)}. "
        f"{expected.help}",
    )


def _format_size(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


# --- public API -----------------------------------------------------------------------------


def read_limited(stream: typing.BinaryIO, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """Read at most ``max_bytes + 1`` bytes: enough to tell "over the limit" without
    pulling a huge (or endless) upload into memory."""
    if max_bytes < 0:
        raise ValueError("max_bytes must not be negative")
    # One read usually returns everything; joining chunks would hold the file twice.
    first = stream.read(max_bytes + 1)
    if len(first) > max_bytes or not first:
        return first
    chunks: list[bytes] = [first]
    remaining = max_bytes + 1 - len(first)
    while remaining > 0:
        chunk = stream.read(min(remaining, 64 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def check_upload(original_name: str, data: bytes, max_bytes: int = MAX_FILE_BYTES) -> CheckedFile:
    """Check one upload; raise ``FileRefused`` or return what may be stored."""
    name, extension = _check_name(original_name)
    if not data:
        raise FileRefused(
            "empty_file", f"“{name}” is empty (0 bytes). Please check the file and upload it again."
        )
    if len(data) > max_bytes:
        raise FileRefused(
            "file_too_large",
            f"“{name}” is larger than the {_format_size(max_bytes)} limit for one file. "
            "Please upload a smaller file, for example a scan at a lower resolution.",
        )
    data = bytes(data)
    _check_content(name, extension, data)
    return CheckedFile(
        data=data,
        filename=name,
        extension=extension,
        content_type=_KINDS[extension].content_type,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        warnings=pdf_flagged_names(data) if extension == "pdf" else (),
    )
