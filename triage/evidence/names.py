"""Client file names: the cleaned name the extension is read from, and its display form.

Pure module (no Flask). Source of the rules: security.md, "Accepting a file" — the extension
is read from the NFC name after invisible characters and trailing spaces and dots are
removed (its letters in their plain, NFKC forms without accents); a
Windows or POSIX path keeps only its last part. Browsers and mail clients add these marks
(a bidi mark after a right-to-left name, a zero-width space from a copied name), Windows
drops trailing spaces and dots when it saves, and old browsers send the full local path.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Protocol

# Zero-width and bidirectional marks (U+200B-U+200F, U+202A-U+202E, U+2066-U+2069), the
# word joiner U+2060, the BOM / zero-width no-break space U+FEFF and the Arabic letter mark
# U+061C. None is visible; bidi overrides can make "photo\u202egpj.exe" display as
# "photoexe.jpg", the others hide after an extension ("passport.jpg\u200e").
INVISIBLE_MARKS: frozenset[str] = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)
# Those marks are a few of Unicode's Default_Ignorable_Code_Point characters
# (DerivedCoreProperties.txt, Unicode 15.1): code points a renderer shows as nothing. All
# of them are removed, with every other format character (category Cf): the soft hyphen
# U+00AD, the Mongolian vowel separator U+180E, variation selectors (U+FE0F after "jpg"),
# tag characters U+E0020-U+E007F, Hangul fillers U+3164 and U+FFA0, the combining grapheme
# joiner U+034F. Otherwise "passport.jpg\u00ad" has the extension "jpg\u00ad", and the
# refusal would read "is a .jpg file, which we cannot accept".
_DEFAULT_IGNORABLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Characters NFKC turns into a full stop: the full-width one typed on an East Asian
# keyboard (U+FF0E), the small one (U+FE52) and the one-dot leader (U+2024).
_DOTS = frozenset(".\uff0e\ufe52\u2024")
_PATH_SEPARATORS = re.compile(r"[/\\]")
_MAX_KEPT_EXTENSION = 16  # longer "extensions" are just part of the name when truncating


def is_invisible(char: str) -> bool:
    """True for a default-ignorable code point or any other format character (Cf)."""
    code = ord(char)
    if any(low <= code <= high for low, high in _DEFAULT_IGNORABLE_RANGES):
        return True
    return unicodedata.category(char) == "Cf"


def _without_invisible(name: str) -> str:
    return "".join(char for char in name if not is_invisible(char))


def _plain_extension(extension: str) -> str:
    """NFKC (full-width letters U+FF41-U+FF5A as ASCII), then without combining marks
    ("jpg" + U+0301 -> "jpg"). No allowed extension has either."""
    decomposed = unicodedata.normalize("NFKD", extension)
    kept = "".join(char for char in decomposed if not unicodedata.category(char).startswith("M"))
    return unicodedata.normalize("NFC", kept)


def _strip_end(name: str) -> str:
    end = len(name)
    # A loop, not a regular expression: "[\s.]+$" is quadratic on a long run of spaces.
    while end and (name[end - 1].isspace() or name[end - 1] in _DOTS):
        end -= 1
    return name[:end]


def is_control(char: str) -> bool:
    """True for C0/C1 controls, NUL, DEL (Cc) and lone surrogates (Cs, not storable)."""
    return unicodedata.category(char) in ("Cc", "Cs")


def has_control(name: str) -> bool:
    """True if the name holds a character that ``is_control``."""
    return any(is_control(char) for char in name)


def basename(name: str) -> str:
    """The last part of a Windows or POSIX path.

    ``C:\\Users\\ana\\passport.jpg`` (an old browser's full path) -> ``passport.jpg``.
    """
    return _PATH_SEPARATORS.split(name)[-1]


def clean_name(name: str) -> str:
    """The name the extension is read from.

    NFC; invisible characters removed (``is_invisible``); the last path part only; trailing
    whitespace and dots removed (Windows cannot even save ``passport.jpg.`` or
    ``passport.jpg ``); the extension's dot a full stop and its letters plain
    (``_plain_extension``: "passport" + full-width ".pdf" -> ``passport.pdf``). The part
    before the extension is kept as typed. Control characters are left in: the caller
    refuses those.
    """
    name = _without_invisible(unicodedata.normalize("NFC", name))
    name = _strip_end(basename(name))
    dot = max((name.rfind(char) for char in _DOTS), default=-1)
    if dot >= 0 and len(name) - dot - 1 <= _MAX_KEPT_EXTENSION:
        name = _strip_end(f"{name[:dot]}.{_plain_extension(name[dot + 1 :])}")
    return name


def extension_of(name: str) -> str:
    """The lower-case last extension of ``clean_name(name)``, or "" if it has none.

    Full-width letters (U+FF41-U+FF5A) and dots, and accents on the letters, read as their
    plain forms, so a refusal never names an extension that looks like an allowed one.
    """
    _, dot, extension = clean_name(name).rpartition(".")
    if not dot:
        return ""
    return _plain_extension(extension).lower()


def sanitise_filename(name: str, max_length: int = 120) -> str:
    """The display form of a client file name, or "" if nothing usable is left.

    ``clean_name``, then no control characters, whitespace collapsed, no leading dots, at
    most ``max_length`` characters with the extension kept. Letters of any script are kept
    as they are.
    """
    name = "".join(char for char in clean_name(name) if not is_control(char))
    name = " ".join(name.split())
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


def shown(name: str) -> str:
    """A short, printable form of a name for messages, even of one we refuse."""
    clean = sanitise_filename(name)
    if clean:
        return clean
    raw = _without_invisible(unicodedata.normalize("NFC", name))
    return "".join("\ufffd" if is_control(char) else char for char in raw)[:120].strip()


# "filename=" (not "filename*=", RFC 5987, which Werkzeug prefers and decodes correctly).
_QUOTED_FILENAME = re.compile(r';\s*filename\s*=\s*"([^"]*)"', re.IGNORECASE)
_BACKSLASH_ESCAPE = re.compile(r"\\(.)")
# What browsers escape in a multipart file name (WHATWG HTML, "multipart/form-data
# encoding algorithm"); backslashes they send as they are.
_BROWSER_ESCAPES = {"%22": '"', "%0D": "\r", "%0A": "\n"}


def multipart_filename(content_disposition: str | None, parsed: str) -> str:
    """The file name a browser sent, with the backslashes of a Windows path kept.

    ``content_disposition`` is the upload part's raw header, ``parsed`` the name Werkzeug
    made of it (``FileStorage.filename``). Werkzeug 3 reads ``filename="C:\\Users\\ana\\
    passport.jpg"`` as an RFC 9110 quoted string and drops every backslash, giving
    ``C:UsersanaDesktoppassport.jpg``; browsers never escape with backslashes (old ones
    send the full path as it is), so the raw value is the name. Returns ``parsed`` when
    the header holds no backslash or is not the one ``parsed`` came from.
    """
    match = _QUOTED_FILENAME.search(content_disposition or "")
    if not match or "\\" not in match.group(1):
        return parsed
    raw = match.group(1)
    for escape, char in _BROWSER_ESCAPES.items():
        raw = raw.replace(escape, char).replace(escape.lower(), char)
    if _BACKSLASH_ESCAPE.sub(r"\1", raw) != parsed:
        return parsed
    return raw


class _UploadedPart(Protocol):
    filename: str | None
    headers: Mapping[str, str]


def uploaded_name(part: _UploadedPart) -> str:
    """The name the browser sent for one uploaded part (a Werkzeug ``FileStorage``).

    ``multipart_filename`` of the part's own ``Content-Disposition``, so a Windows path
    sent by an old browser keeps its backslashes until ``clean_name`` takes its last part.
    """
    return multipart_filename(part.headers.get("Content-Disposition"), part.filename or "")
