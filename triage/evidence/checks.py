"""Checks on one uploaded evidence file: name, size, sniffed type and document structure.

Pure module (no Flask): callers pass the client's file name and the bytes, and get back a
``CheckedFile`` or a ``FileRefused`` whose message can be shown to the customer as it is.
The Content-Type sent by the client is deliberately not an input: only the content counts.

Rules: security.md "Accepting a file" and api.md's error table. The name is cleaned in
``names``; libmagic's sniff is checked against an explicit table; then each document is
opened by the parser made for it (``office``: zipfile + defusedxml, olefile; ``pdf``: qpdf
through pikepdf; ``images``: Pillow), never judged by searching its bytes.
"""

from __future__ import annotations

import hashlib
import typing
from collections.abc import Callable
from dataclasses import dataclass, field

import magic

from triage.errors import FileRefused, Msg
from triage.evidence import images, names, office, pdf
from triage.evidence.names import sanitise_filename
from triage.evidence.policy import (
    ACCEPT_ATTRIBUTE,
    ALLOWED_EXTENSIONS,
    MAX_FILE_BYTES,
    extension_words,
)
from triage.evidence.policy import format_size as _format_size
from triage.evidence.structure import (
    DamagedFile,
    PasswordProtected,
    StructureError,
    UnusableFile,
)

__all__ = [
    "ACCEPT_ATTRIBUTE",
    "ALLOWED_EXTENSIONS",
    "DOCX_TYPE",
    "MAX_FILE_BYTES",
    "ODT_TYPE",
    "CheckedFile",
    "FileRefused",
    "check_upload",
    "read_limited",
    "sanitise_filename",
]


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
# structure check below as well. libmagic 5.44 names some genuine .docx files "Microsoft
# OOXML" (application/octet-stream) from the order of their zip entries, and an encrypted
# Office package "CDFV2 Encrypted" (application/encrypted): those loose answers are handed
# to the structure check too, which decides.
_LOOSE_ZIP = "application/octet-stream"
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
            "application/encrypted",
        }
    ),
    "docx": frozenset({DOCX_TYPE, "application/zip", "application/encrypted", _LOOSE_ZIP}),
    "odt": frozenset({ODT_TYPE, "application/zip", _LOOSE_ZIP}),
}
_STRUCTURE_CHECKS: dict[str, Callable[[bytes], None]] = {
    "doc": office.check_doc,
    "docx": office.check_docx,
    "odt": office.check_odt,
}
# Whatever the extension: these can carry script. (application/octet-stream is accepted
# only under .docx and .odt, and only when the structure check finds the document.)
_NEVER_ACCEPTED = frozenset({"text/html", "image/svg+xml"})

_PHOTO_HELP = Msg("Please upload a photo or scan saved as .jpg, .png or .pdf.")
_DOCUMENT_HELP = Msg("Please upload the document saved as .pdf, .docx, .doc or .odt.")
# ".jpg, .png, … or .odt", with the "or" translatable (the policy's own words in English).
_ALLOWED_LIST = Msg(
    "%(some)s or %(last)s",
    some=extension_words()[: extension_words().rindex(" or ")],
    last=extension_words()[extension_words().rindex(" or ") + 4 :],
)


@dataclass(frozen=True)
class _Kind:
    label: Msg  # completes "… is not <label>"
    extension: str  # the extension we suggest for this content
    content_type: str  # canonical type stored for it
    help: Msg


_JPEG = _Kind(Msg("a JPEG image"), ".jpg", "image/jpeg", _PHOTO_HELP)
_PNG = _Kind(Msg("a PNG image"), ".png", "image/png", _PHOTO_HELP)
_PDF = _Kind(Msg("a PDF document"), ".pdf", "application/pdf", _PHOTO_HELP)
_DOC = _Kind(Msg("a Word 97-2003 document (.doc)"), ".doc", "application/msword", _DOCUMENT_HELP)
_DOCX = _Kind(Msg("a Word document (.docx)"), ".docx", DOCX_TYPE, _DOCUMENT_HELP)
_ODT = _Kind(Msg("an OpenDocument text (.odt)"), ".odt", ODT_TYPE, _DOCUMENT_HELP)
_KINDS: dict[str, _Kind] = {
    "jpg": _JPEG,
    "jpeg": _JPEG,
    "png": _PNG,
    "pdf": _PDF,
    "doc": _DOC,
    "docx": _DOCX,
    "odt": _ODT,
}

_EXECUTABLE = Msg("a program (executable file)")
_DESCRIPTIONS: dict[str, Msg] = {
    "text/html": Msg("a web page (HTML)"),
    "image/svg+xml": Msg("an SVG drawing"),
    "application/octet-stream": Msg("data we cannot recognise"),
    "application/zip": Msg("a compressed archive (ZIP)"),
    "application/x-ole-storage": Msg("an Office file of an unknown kind"),
    "application/vnd.ms-word.document.macroenabled.12": Msg("a Word document with macros (.docm)"),
    "text/plain": Msg("plain text"),
    "application/x-executable": _EXECUTABLE,
    "application/x-pie-executable": _EXECUTABLE,
    "application/x-sharedlib": _EXECUTABLE,
    "application/x-dosexec": _EXECUTABLE,
    "application/x-msdownload": _EXECUTABLE,
    "application/vnd.microsoft.portable-executable": _EXECUTABLE,
    "application/x-mach-binary": _EXECUTABLE,
    "image/gif": Msg("a GIF image"),
    "image/webp": Msg("a WebP image"),
    "image/heic": Msg("a HEIC photo"),
    "image/tiff": Msg("a TIFF image"),
    "image/bmp": Msg("a BMP image"),
    **{kind.content_type: kind.label for kind in _KINDS.values()},
}


def _describe(sniffed: str) -> Msg:
    if sniffed in _DESCRIPTIONS:
        return _DESCRIPTIONS[sniffed]
    if sniffed.startswith("image/"):
        return Msg("an image in a format we cannot accept")
    if sniffed.startswith("text/"):
        return Msg("a text file")
    if sniffed.startswith(("audio/", "video/")):
        return Msg("a sound or video recording")
    return Msg("a kind of file we cannot accept")


def _msg(text: str) -> Msg:
    """A problem or advice of the structure checks as a catalog entry (it may be one)."""
    return text if isinstance(text, Msg) else Msg(text)


# --- names ----------------------------------------------------------------------------------


def _check_name(original_name: str) -> tuple[str, str]:
    """Return (display name, lower-case extension) or refuse (see ``names``)."""
    if names.has_control(original_name):
        raise FileRefused(
            "invalid_request",
            Msg(
                "The file name “%(name)s” contains hidden control characters. Please rename "
                "the file and upload it again.",
                name=names.shown(original_name),
            ),
        )
    display = sanitise_filename(original_name)
    if not display:
        shown = names.shown(original_name)
        raise FileRefused(
            "unsupported_file_type",
            Msg(
                "“%(name)s” has no usable file name. Please rename it, for example to "
                "passport.pdf, and upload it again.",
                name=shown,
            )
            if shown
            else Msg(
                "The file you chose has no usable file name. Please rename it, for example "
                "to passport.pdf, and upload it again."
            ),
        )
    extension = names.extension_of(original_name)
    if not extension:
        raise FileRefused(
            "unsupported_file_type",
            Msg(
                "“%(name)s” has no file extension, so we cannot tell what kind of file it is. "
                "Please upload a %(allowed)s file.",
                name=display,
                allowed=_ALLOWED_LIST,
            ),
        )
    if extension not in ALLOWED_EXTENSIONS:
        what = (
            Msg("a .%(extension)s file", extension=extension)
            if len(extension) <= 10
            else Msg("a type of file")
        )
        raise FileRefused(
            "unsupported_file_type",
            Msg(
                "“%(name)s” is %(what)s, which we cannot accept. Please upload a %(allowed)s file.",
                name=display,
                what=what,
                allowed=_ALLOWED_LIST,
            ),
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
    """True if ``data`` passes the structure check of ``extension`` (an unusable file of
    that kind, a password-protected one say, raises its ``UnusableFile``)."""
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


def _inspect(extension: str, data: bytes) -> tuple[str, ...]:
    """Open the document of a confirmed type with its own parser; return its warnings."""
    if extension == "pdf":
        try:
            return pdf.inspect_pdf(data)
        except pdf.PdfPasswordProtected as exc:
            if exc.certificate:
                raise PasswordProtected(
                    "is protected with a certificate or digital rights management (DRM), "
                    "so we cannot open it",
                    pdf.PDF_PROTECTED_ADVICE,
                ) from None
            raise PasswordProtected(
                "is protected with a password", pdf.PDF_PASSWORD_ADVICE
            ) from None
        except pdf.PdfDamaged as exc:
            raise DamagedFile(
                "is damaged or incomplete: it does not open as a whole PDF document",
                pdf.PDF_DAMAGED_ADVICE,
            ) from exc
        except pdf.PdfTooComplex as exc:
            problem = (
                Msg(
                    "has too many parts for us to check (over %(objects)s objects): it is too "
                    "costly to open",
                    objects=f"{pdf.MAX_PDF_OBJECTS:,}",
                )
                if exc.objects
                else Msg("has too many parts for us to check: it is too costly to open")
            )
            raise DamagedFile(problem, pdf.PDF_TOO_COMPLEX_ADVICE) from exc
    if extension in ("jpg", "jpeg", "png"):
        try:
            images.inspect_image(data, "PNG" if extension == "png" else "JPEG")
        except images.ImageTooLarge as exc:
            limit = images.MAX_IMAGE_PIXELS // 1_000_000
            problem = (
                Msg(
                    "has too many pixels for us to check (%(width)s x %(height)s pixels): the "
                    "limit is %(limit)s megapixels",
                    width=f"{exc.width:,}",
                    height=f"{exc.height:,}",
                    limit=limit,
                )
                if exc.width
                else Msg(
                    "has too many pixels for us to check: the limit is %(limit)s megapixels",
                    limit=limit,
                )
            )
            raise DamagedFile(problem, images.IMAGE_TOO_LARGE_ADVICE) from exc
        except images.ImageTooCostly as exc:
            problem = (
                Msg(
                    "is a progressive JPEG of more than %(scans)s scans, too many for us to "
                    "check at its size",
                    scans=images.MAX_JPEG_SCANS,
                )
                if exc.scans > images.MAX_JPEG_SCANS
                else Msg(
                    "is a progressive JPEG of %(scans)s scans, too many for us to check at its "
                    "size",
                    scans=exc.scans,
                )
            )
            raise DamagedFile(problem, images.IMAGE_TOO_COSTLY_ADVICE) from exc
        except images.ImageDamaged as exc:
            raise DamagedFile(
                "is damaged or incomplete: the image does not load completely",
                images.IMAGE_DAMAGED_ADVICE,
            ) from exc
    return ()


def _check_content(name: str, extension: str, data: bytes) -> tuple[str, ...]:
    """Sniff, check the structure, open the document; return its warnings or refuse."""
    expected = _KINDS[extension]
    sniffed = _sniff(data)
    problem: StructureError | None = None
    if sniffed not in _NEVER_ACCEPTED and sniffed in _ACCEPTED_SNIFFS[extension]:
        check = _STRUCTURE_CHECKS.get(extension)
        try:
            if check is not None:
                check(data)
        except StructureError as error:
            problem = error
        else:
            return _inspect(extension, data)
    if sniffed not in _NEVER_ACCEPTED:
        actual = _real_kind(sniffed, data, expected)
        if actual is not None:
            raise FileRefused(
                "file_type_mismatch",
                Msg(
                    "“%(name)s” is %(actual)s, not %(expected)s. Please rename it so that it "
                    "ends in %(extension)s and upload it again.",
                    name=name,
                    actual=actual.label,
                    expected=expected.label,
                    extension=actual.extension,
                ),
            )
    if problem is not None:
        raise FileRefused(
            "unsupported_file_type",
            Msg(
                "“%(name)s” cannot be accepted because %(reason)s. %(help)s",
                name=name,
                reason=_msg(problem.reason),
                help=expected.help,
            ),
        )
    raise FileRefused(
        "unsupported_file_type",
        Msg(
            "“%(name)s” is not %(expected)s: its content looks like %(actual)s. %(help)s",
            name=name,
            expected=expected.label,
            actual=_describe(sniffed),
            help=expected.help,
        ),
    )


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
    """Check one upload; raise ``FileRefused`` or return what may be stored.

    In order: the name (400 invalid_request, 415 unsupported_file_type), emptiness (400
    empty_file) and size (413 file_too_large), the libmagic sniff against the extension's
    table (415 unsupported_file_type / file_type_mismatch), the office structure check, then
    the document opened by its own parser: 422 password_protected or damaged_file. A PDF's
    active-content names come back in ``warnings`` (flagged for the reviewer, not refused).
    """
    name, extension = _check_name(original_name)
    if not data:
        raise FileRefused(
            "empty_file",
            Msg(
                "“%(name)s” is empty (0 bytes). Please check the file and upload it again.",
                name=name,
            ),
        )
    if len(data) > max_bytes:
        raise FileRefused(
            "file_too_large",
            Msg(
                "“%(name)s” is larger than the %(limit)s limit for one file. Please upload a "
                "smaller file, for example a scan at a lower resolution.",
                name=name,
                limit=_format_size(max_bytes),
            ),
        )
    data = bytes(data)
    try:
        warnings = _check_content(name, extension, data)
    except UnusableFile as unusable:
        message = Msg(
            "“%(name)s” %(problem)s. %(advice)s",
            name=name,
            problem=_msg(unusable.problem),
            advice=_msg(unusable.advice),
        )
        raise FileRefused(unusable.code, message) from None
    return CheckedFile(
        data=data,
        filename=name,
        extension=extension,
        content_type=_KINDS[extension].content_type,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        warnings=warnings,
    )
