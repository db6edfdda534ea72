"""What the format checks raise, and the zip container limits shared by .docx and .odt.

Pure module (no Flask). The format checks (``office``, ``pdf``, ``images``) read documents
with the parsers made for them (zipfile + defusedxml, olefile, qpdf through pikepdf,
Pillow); this module holds what they have in common:

- ``StructureError``: the content is not a genuine document of the expected kind (its
  ``reason`` completes "“name” cannot be accepted because <reason>."), answered 415;
- ``PasswordProtected`` and ``DamagedFile``: the content is of the expected kind but cannot
  be used (api.md: 422 ``password_protected`` / ``damaged_file``); their ``advice`` says
  what the customer can do;
- ``open_safe_zip``: a zip opened only after its central directory passed the bomb limits.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

# Zip limits are checked on the central directory BEFORE any entry is decompressed
# (security.md: a 1000:1 zip bomb is easy to make).
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ZIP_RATIO = 100  # overall uncompressed : compressed; real documents are far below this

DAMAGED = "it is damaged or is not a real document"
# For a file that is a zip or OLE container (it starts like one) but does not open or
# decompress completely: an upload cut short, a flipped byte (api.md: 422 damaged_file).
DAMAGED_PROBLEM = "is damaged or incomplete: it does not open as a whole document"
DAMAGED_ADVICE = (
    "Please check that it opens on your device, then save or download it again and upload "
    "the new copy."
)
# A zip starts with a local file header (APPNOTE 4.3.7); the checks read the central
# directory at its end, so a file cut short starts like a zip and has none.
ZIP_SIGNATURE = b"PK\x03\x04"


class StructureError(ValueError):
    """The content is not a safe, genuine document of the expected kind."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnusableFile(ValueError):
    """A document of the expected kind that cannot be used; see the subclasses."""

    code: str = ""

    def __init__(self, problem: str, advice: str) -> None:
        super().__init__(problem)
        self.problem = problem  # completes "“name” <problem>."
        self.advice = advice  # one or more sentences: what to do instead


class PasswordProtected(UnusableFile):
    """It needs a password to open (api.md: 422 password_protected)."""

    code = "password_protected"


class DamagedFile(UnusableFile):
    """It does not open or decode completely, or is too large to decode (422 damaged_file)."""

    code = "damaged_file"


def _is_unsafe_path(name: str) -> bool:
    # Absolute paths (POSIX, Windows root or drive letter) and ".." components would escape
    # any directory the archive is ever extracted to; no real document has them.
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        return True
    return ".." in re.split(r"[/\\]", name)


def damaged() -> DamagedFile:
    """The 422 damaged_file answer for a container that does not open completely."""
    return DamagedFile(DAMAGED_PROBLEM, DAMAGED_ADVICE)


def open_safe_zip(data: bytes) -> zipfile.ZipFile:
    """Open a zip after checking its central directory; the caller must close it.

    Raises ``DamagedFile`` for a file that starts as a zip but whose central directory is
    missing or broken (cut short), ``StructureError`` for anything else that is not a zip,
    more than ``MAX_ZIP_ENTRIES`` entries,
    a declared uncompressed total over ``MAX_ZIP_UNCOMPRESSED_BYTES`` or ``MAX_ZIP_RATIO``
    times the compressed total, an absolute or ``..`` entry path, or two entries with one name.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        if data.startswith(ZIP_SIGNATURE):
            raise damaged() from exc
        raise StructureError(DAMAGED) from exc
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
            raise StructureError(DAMAGED)
    except BaseException:
        archive.close()
        raise
    return archive


def read_zip_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """Read one entry, never more than ``cap`` bytes whatever its header declares.

    Raises ``DamagedFile`` if its data does not decompress or fails its CRC (zipfile checks
    it at the end of the entry), ``StructureError`` if it is encrypted, of an unknown
    compression or longer than ``cap``.
    """
    try:
        with archive.open(info) as handle:
            content = handle.read(cap + 1)
    except (NotImplementedError, RuntimeError) as exc:
        raise StructureError(DAMAGED) from exc
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error) as exc:
        raise damaged() from exc
    if len(content) > cap:
        raise StructureError(DAMAGED)
    return content


def check_xml_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Decompress one XML entry as a stream and parse it with defusedxml, keeping no tree.

    The whole entry is read (``open_safe_zip`` bounded its size), so zipfile checks its
    CRC. Raises ``DamagedFile`` if it does not decompress, fails its CRC or is not
    well-formed XML, ``StructureError`` for a DTD or entity, an encrypted entry or an
    unknown compression.
    """
    try:
        with archive.open(info) as handle:
            for _event, element in iterparse(handle, events=("end",), forbid_dtd=True):
                element.clear()  # only well-formedness matters: keep memory flat
    except (DefusedXmlException, NotImplementedError, RuntimeError) as exc:
        raise StructureError(DAMAGED) from exc
    except (ParseError, zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error) as exc:
        raise damaged() from exc
