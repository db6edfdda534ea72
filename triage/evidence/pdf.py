"""PDFs read by qpdf (through pikepdf): opened, decrypted, walked object by object.

Pure module (no Flask). Source of the rules: security.md, "Accepting a file", and api.md's
422 codes. qpdf parses the file the way a viewer does, so:

- names are decoded (``/J#61vaScript`` is ``/JavaScript``), objects inside object streams
  and strings of a PDF encrypted with the empty user password are seen as a viewer sees
  them, and bytes inside stream data (images, fonts) are never taken for names;
- a PDF that needs a user password raises ``PasswordProtected``; one with only an owner
  password (printing or copying restricted) opens and is accepted;
- a PDF that does not open, whose page tree loops or has no pages, or whose end is missing
  (a truncated upload) raises ``DamagedFile``.

qpdf repairs what it can without a word to the caller; its warnings say what it did. A
truncated file has lost its cross-reference table (it sits at the end), so qpdf rebuilds
the table from the objects it finds. Bytes appended after the end of a complete PDF (a
padded download, a trailing comment) make it rebuild the table too, which loses nothing,
so that repair is accepted, as is a table entry a few bytes off the object it names (the
rebuilt table finds that very object there). Any other warning once the table was
rebuilt — a missing trailer, an object or stream that does not parse — or a page content
stream that is not there means content is lost, and the file is refused as damaged: the
customer can send it again, the reviewer could not trust what is left. A page tree that
loops stops qpdf.

A few KB of compressed object stream can expand to millions of objects for qpdf to parse,
and qpdf cannot be interrupted, so the check is bounded (``inspect_pdf``): an ordinary PDF
is checked in the web process within a small budget enforced on qpdf's reads (about a
millisecond for a 1 MiB scan), and every other PDF — costly, damaged, protected, or over
that budget — in a checker process under a CPU-time and memory limit.
A PDF encrypted for a certificate or DRM handler (not the Standard password handler) is
"password protected"; a reference from the page tree to an object that does not exist (a
missing /Kids node or content stream, which qpdf reads as null) is damage.
"""

from __future__ import annotations

import bisect
import io
import multiprocessing
import os
import re
import resource
import select
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pikepdf
from pikepdf import ObjectType

from triage.evidence.policy import MAX_FILE_BYTES

# Active content a reviewer must be told about (security.md): the canonical name stored in
# the evidence's ``warnings``, in this order.
FLAGGED_PDF_NAMES: tuple[str, ...] = (
    "/JavaScript",
    "/JS",
    "/Launch",
    "/EmbeddedFile",
    "/OpenAction",
    "/AA",
    "/XFA",
    "/RichMedia",
)
# Other spellings of the same feature: the catalogue's attachment list is /EmbeddedFiles
# (the /Type /EmbeddedFile on the attached stream is optional); a rich-media annotation
# carries /RichMediaContent and /RichMediaSettings.
_ALIASES = {
    "/EmbeddedFiles": "/EmbeddedFile",
    "/RichMediaContent": "/RichMedia",
    "/RichMediaSettings": "/RichMedia",
    "/RichMediaExecute": "/RichMedia",
}
_FLAGGED = {name: name for name in FLAGGED_PDF_NAMES} | _ALIASES
# "/OpenAction [page /XYZ left top zoom]" only opens the document at a page and view;
# LibreOffice writes one into every PDF. Anything else (an action dictionary) is flagged.
_VIEWS = frozenset({"/XYZ", "/Fit", "/FitH", "/FitV", "/FitR", "/FitB", "/FitBH", "/FitBV"})
_MAX_DEPTH = 64  # nesting of direct objects; qpdf itself stops parsing deeper than 500
_MAX_PAGE_TREE_NODES = 200_000
# Walking costs ~30 µs per object (pikepdf wraps each one), so the count is bounded like
# an image's pixels: 50,000 objects is ~1.5 s. A 300-page statement has a few thousand.
MAX_PDF_OBJECTS: int = 50_000

# qpdf's words (11-12) when the cross-reference table had to be rebuilt from the objects, and
# the warnings of the one harmless reason for it: bytes after the end of a complete file.
_REBUILT = ("file is damaged", "Attempting to reconstruct cross-reference table")
_HARMLESS_WHEN_REBUILT = (
    *_REBUILT,
    "can't find startxref",
    "startxref was more than 1024 bytes before end of file",
)

# qpdf's words (12.4) when an object or an object stream could not be read.
_OVER_BUDGET = ("std::bad_alloc", "memory limit exceeded")
_TOO_DEEP = ("limits error(parser-max-nesting)",)
_OBJECT_LOST = ("error reading object", "error decoding stream data", "unfilterable stream")

PDF_PASSWORD_ADVICE = (
    "Please save a copy without a password and upload that: open the PDF with its "
    "password and print it to a new PDF (choose “Save as PDF” or “Microsoft Print to PDF” "
    "as the printer), or in Adobe Acrobat choose File > Properties > Security > "
    "“No Security” (Remove security) and save."
)
PDF_PROTECTED_ADVICE = (
    "Please save a copy without protection and upload that: open the PDF on the device "
    "that can open it and print it to a new PDF (choose “Save as PDF” or “Microsoft Print "
    "to PDF” as the printer), or ask the sender for an unprotected copy."
)
PDF_TOO_COMPLEX_ADVICE = (
    "Please send only the pages we asked for, as a smaller PDF or as photos of the pages."
)
PDF_DAMAGED_ADVICE = (
    "Please check that it opens on your device, then save or download it again and upload "
    "the new copy."
)


class PdfPasswordProtected(Exception):
    """The PDF needs a user password to open, or (``certificate`` True) is encrypted for a
    security handler other than the Standard (password) one: a certificate (Adobe.PubSec)
    or a DRM plug-in, which only the intended recipients' software can open."""

    def __init__(self, certificate: bool = False) -> None:
        super().__init__("certificate or DRM" if certificate else "user password")
        self.certificate = certificate


class PdfDamaged(Exception):
    """The PDF does not open completely; ``str()`` is a short technical reason for logs."""


class PdfTooComplex(Exception):
    """The PDF is too costly to check: more than ``MAX_PDF_OBJECTS`` objects (``objects`` is
    True), or its parts expand past ``CHECK_CPU_SECONDS`` / ``CHECK_MEMORY_BYTES``."""

    def __init__(self, objects: bool = True) -> None:
        super().__init__("too many objects" if objects else "over the check's budget")
        self.objects = objects


# The check's budget (security.md: bound the work before the content). A few KB of
# compressed object stream can expand to millions of array items or one string of hundreds
# of megabytes, and qpdf parses a whole object (an uncompressed 5 MB array is 2.4 million
# items, ~2 s and ~400 MB) before anything can be counted. So the check runs in a checker
# process under a CPU-time and an address-space limit, and a PDF that exceeds them is "too
# costly to check". A 300-page statement takes 0.1 s; 50,000 small objects about 2 s.
CHECK_CPU_SECONDS: float = 0.9
CHECK_MEMORY_BYTES: int = 192 * 1024 * 1024
_CHECK_WALL_SECONDS = 10.0  # CPU time is what is limited; wall time only guards a stuck child
# Decoded size of any one Flate stream qpdf itself decodes (object and xref streams; the
# check never decodes page content or images).
_FLATE_MAX_MEMORY = 32 * 1024 * 1024


# qpdf's warning when a cross-reference entry does not point at "n g obj".
_EXPECTED_OBJ = re.compile(r"\(object (\d+) (\d+), offset (\d+)\): expected n n obj$")
_SLIP_BYTES = 16  # how far a found object may be from where the table said


def _offset_slips(pdf: pikepdf.Pdf, said: list[str]) -> set[str]:
    """The "expected n n obj" warnings that are only a slightly wrong table offset: the
    rebuilt table found that very object within ``_SLIP_BYTES`` of where the old one said,
    so nothing was lost (an editor that miscounted line endings writes such tables)."""
    xref = pdf.get_xref_table()
    slips = set()
    for warning in said:
        match = _EXPECTED_OBJ.search(warning)
        if not match:
            continue
        number, generation, offset = map(int, match.groups())
        entry = xref.get((number, generation))
        if entry is not None and entry.type == 1 and abs(entry.offset - offset) <= _SLIP_BYTES:
            slips.add(warning)
    return slips


def _said_anywhere(warning: str, texts: tuple[str, ...]) -> bool:
    return any(text in warning for text in texts)


def _said(warning: str, texts: tuple[str, ...]) -> bool:
    return any(warning.endswith(text) for text in texts)


def _page_nodes(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Every node of the page tree, checking it is a tree: no loop, no missing node."""
    stack: list[object] = [pdf.Root.get("/Pages")]
    seen: set[tuple[int, int]] = set()
    while stack:
        node = stack.pop()
        # pikepdf gives a missing object (a reference to nothing) as None.
        if not isinstance(node, pikepdf.Dictionary):
            raise PdfDamaged("a page tree node is missing or not a dictionary")
        if node.is_indirect:
            if node.objgen in seen:
                raise PdfDamaged("the page tree loops")
            seen.add(node.objgen)
        if len(seen) > _MAX_PAGE_TREE_NODES:
            raise PdfDamaged("the page tree is too large")
        yield node
        kids = node.get("/Kids")
        if kids is not None:
            if not isinstance(kids, pikepdf.Array):
                raise PdfDamaged("page tree /Kids is not an array")
            stack.extend(kids)


class _Tokens(pikepdf.TokenFilter):
    """Collects qpdf's tokens of a piece of PDF syntax (names come decoded)."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[tuple[pikepdf.TokenType, str]] = []

    def handle_token(self, token: pikepdf.Token) -> None:
        if token.type_ not in (pikepdf.TokenType.space, pikepdf.TokenType.comment):
            self.tokens.append((token.type_, token.value))


def _written_contents_reference(data: bytes, offset: int, end: int) -> tuple[int, int] | None:
    """The ``N G R`` written as a page object's top-level ``/Contents``, read with qpdf's
    tokenizer from the object's bytes (``offset`` to ``end``), or None.

    qpdf treats a reference to a missing object as null and a null dictionary value as no
    key at all (ISO 32000-2, 7.3.10), so the parsed page cannot tell a lost content stream
    from a blank page.
    """
    scratch = pikepdf.new()
    holder = scratch.add_blank_page()
    holder.Contents = scratch.make_stream(data[offset:end])
    collector = _Tokens()
    holder.get_filtered_contents(collector)
    tokens, depth = collector.tokens, 0
    for index, (kind, value) in enumerate(tokens):
        if kind in (pikepdf.TokenType.dict_open, pikepdf.TokenType.array_open):
            depth += 1
        elif kind in (pikepdf.TokenType.dict_close, pikepdf.TokenType.array_close):
            depth -= 1
            if depth <= 0:
                return None
        elif depth == 1 and kind == pikepdf.TokenType.name_ and value == "/Contents":
            ref = tokens[index + 1 : index + 4]
            kinds = [token_kind for token_kind, _ in ref]
            integer = pikepdf.TokenType.integer
            if kinds == [integer, integer, pikepdf.TokenType.word] and ref[2][1] == "R":
                return int(ref[0][1]), int(ref[1][1])
            return None
    return None


_PAGE_OBJECT_BYTES = 64 * 1024  # a page dictionary is a few hundred bytes


def _check_pages(pdf: pikepdf.Pdf, data: bytes, inline: bool = False) -> None:
    """At least one page, and each page's content streams are there. ``inline`` (the check
    in the web process) hands a page without /Contents to the checker: reading how its
    dictionary was written tokenises up to 64 KB per page in Python."""
    xref = pdf.get_xref_table()
    offsets = sorted(entry.offset for entry in xref.values() if entry.type == 1)
    pages = 0
    for node in _page_nodes(pdf):
        if "/Kids" in node:
            continue
        pages += 1
        contents = node.get("/Contents")
        streams = contents if isinstance(contents, pikepdf.Array) else [contents]
        if "/Contents" in node and not all(isinstance(s, pikepdf.Stream) for s in streams):
            raise PdfDamaged("a page's content stream is missing")
        entry = xref.get(node.objgen) if node.is_indirect else None
        if "/Contents" not in node and entry is not None and entry.type == 1:
            if inline:
                raise _HandOver("a page without /Contents")
            # Only a page written as its own object can be read this way; one inside an
            # object stream is not checked for this.
            following = bisect.bisect_right(offsets, entry.offset)
            end = offsets[following] if following < len(offsets) else len(data)
            end = min(end, entry.offset + _PAGE_OBJECT_BYTES)
            written = _written_contents_reference(data, entry.offset, end)
            if written is not None and getattr(xref.get(written), "type", 0) == 0:
                raise PdfDamaged("a page's content stream is missing")
    if pages == 0:
        raise PdfDamaged("it has no pages")


def _is_plain_destination(action: object) -> bool:
    """True for ``[page /View numbers-or-null...]``: opening at a page, nothing more."""
    if not isinstance(action, pikepdf.Array) or len(action) < 2:
        return False
    page, view, *numbers = action
    # The page is a page object, or a page number (as in remote destinations).
    if not isinstance(page, int) and not (
        isinstance(page, pikepdf.Dictionary) and page.get("/Type") == "/Page"
    ):
        return False
    if not isinstance(view, pikepdf.Name) or str(view) not in _VIEWS:
        return False
    return all(n is None or isinstance(n, (int, Decimal)) for n in numbers)


class _Walk:
    """One pass over every object, collecting the flagged names; with a ``budget`` (the
    check in the web process), its time and memory are looked at every few thousand items."""

    def __init__(self, budget: _Budget | None = None) -> None:
        self.found: set[str] = set()
        self.budget = budget
        self.items = 0

    def visit(self, obj: object, depth: int = 0) -> None:
        # pikepdf hands integers, reals, booleans and nulls over as Python values.
        if not isinstance(obj, pikepdf.Object):
            return
        if self.budget is not None:
            self.items += 1
            if not self.items % _ITEMS_PER_LOOK:
                self.budget.spend()
        code = obj._type_code
        if code == ObjectType.name_:
            flagged = _FLAGGED.get(str(obj))
            if flagged:
                self.found.add(flagged)
            return
        if code == ObjectType.stream:
            self.visit(obj.stream_dict, depth)
            return
        if code not in (ObjectType.dictionary, ObjectType.array):
            return
        if depth > _MAX_DEPTH:
            raise PdfDamaged("objects nested too deeply")
        if code == ObjectType.array:
            for item in obj:
                self._child(item, depth)
            return
        for key, value in obj.items():
            if key == "/OpenAction":
                if not _is_plain_destination(value):
                    self.found.add("/OpenAction")
            else:
                flagged = _FLAGGED.get(key)
                if flagged:
                    self.found.add(flagged)
            self._child(value, depth)

    def _child(self, value: object, depth: int) -> None:
        # An indirect object is visited on its own, as one of pdf.objects.
        if isinstance(value, pikepdf.Object) and value.is_indirect:
            return
        self.visit(value, depth + 1)


def _inspect_here(data: bytes) -> tuple[str, ...]:
    """``inspect_pdf``'s work, done in a checker process; same answers and exceptions."""
    # Cost bounds, not judgements: qpdf rebuilding a table parses every "obj" it finds, and
    # the walk touches every object the table lists; both are counted before either runs.
    if data.count(b"endobj") > MAX_PDF_OBJECTS:
        raise PdfTooComplex()
    try:
        # Without inherit_page_attributes qpdf does not build its page list on opening,
        # which drops page tree entries that are not pages (a /Kids reference to a missing
        # object) before _page_nodes could see them.
        pdf = pikepdf.open(io.BytesIO(data), inherit_page_attributes=False)
    except pikepdf.PasswordError as exc:
        raise PdfPasswordProtected() from exc
    except (pikepdf.PdfError, pikepdf.DataDecodingError, ValueError, RuntimeError) as exc:
        # qpdf 12 opens only the Standard security handler (ISO 32000-2, 7.6.4); any other
        # /Filter in /Encrypt is a certificate or DRM handler, not damage.
        if "unsupported encryption filter" in str(exc):
            raise PdfPasswordProtected(certificate=True) from exc
        raise PdfDamaged(f"qpdf cannot open it: {exc}") from exc
    with pdf:
        size = pdf.trailer.get("/Size")
        if not isinstance(size, int) or size > MAX_PDF_OBJECTS + 1:
            raise PdfTooComplex() if isinstance(size, int) else PdfDamaged("no /Size")
        try:
            walk = _Walk()
            for obj in pdf.objects:
                walk.visit(obj)
                if isinstance(obj, pikepdf.Stream):
                    obj.read_raw_bytes()  # no decoding: qpdf warns if the data is cut short
            _check_pages(pdf, data)
        except (pikepdf.PdfError, pikepdf.DataDecodingError, RuntimeError, ValueError) as exc:
            raise PdfDamaged(f"qpdf cannot read it: {exc}") from exc
        said = pdf.get_warnings()
        slips = _offset_slips(pdf, said)
    # qpdf reads an object it cannot parse or decode as null, with a warning: over the
    # memory limits (the check's budget) that is "too costly"; otherwise content is lost.
    if any(_said_anywhere(warning, _OVER_BUDGET) for warning in said):
        raise PdfTooComplex(objects=False)
    # qpdf replaces what is nested deeper than its limit (499) with null: the walk refuses
    # past _MAX_DEPTH, so deeper still is refused the same way.
    if any(_said_anywhere(warning, _TOO_DEEP) for warning in said):
        raise PdfDamaged("objects nested too deeply")
    if any(_said_anywhere(warning, _OBJECT_LOST) for warning in said):
        raise PdfDamaged(f"qpdf could not read an object: {said}")
    # With its own cross-reference table intact, a file was written whole: qpdf's warnings
    # are about small slips it mends (a page without /Resources, a page listed twice). Once
    # the table had to be rebuilt, only the harmless reason for it may show.
    if any(_said(warning, _REBUILT) for warning in said) and not all(
        _said(warning, _HARMLESS_WHEN_REBUILT) or warning in slips for warning in said
    ):
        raise PdfDamaged(f"qpdf had to rebuild it and lost content: {said}")
    return tuple(name for name in FLAGGED_PDF_NAMES if name in walk.found)


# --- the check in the web process -------------------------------------------------------------
# qpdf cannot be interrupted from Python, but it reads the file through Python (``_Metered``,
# in pieces of ~128 bytes while it parses) and can be refused its next piece. So what the
# web process may spend is bounded:
# - while qpdf parses the file (the trailer and /Encrypt on opening, each object), every
#   few pieces are a look at the budget (``_Budget``: CPU time of this thread, memory of
#   the process), and it may read the file about twice, no more (one object of nothing but
#   "[]" costs qpdf ~0.5 s and ~70 MB per MiB here; objects nested in one another's
#   strings would make it read the file again and again);
# - what qpdf does without reading (inflating and parsing one object stream) is bounded by
#   _INLINE_FLATE_MAX_MEMORY of inflated data; a table that needs rebuilding (qpdf would
#   parse the whole file) is not rebuilt here (attempt_recovery=False);
# - the walk in Python looks at the budget between objects and every few thousand items;
# - the shapes that would spend the budget for nothing go to the checker straight away
#   (``_costly_shape``): too many objects, a large object that is not a stream.
# Whatever stops here is checked again, fully, in a checker: stopping is never a verdict.
INLINE_MAX_BYTES: int = MAX_FILE_BYTES  # the upload limit: the budget bounds the rest
INLINE_CPU_SECONDS: float = 0.25
INLINE_MEMORY_BYTES: int = 64 * 1024 * 1024
INLINE_MAX_OBJECTS: int = 10_000  # ~0.3 s of walking: more goes to the checker at once
# Real object streams hold ~100 small objects (tens of KB decoded). qpdf's limits are
# process-wide, so they are set for the check and put back, under _inline_lock.
_INLINE_FLATE_MAX_MEMORY = 256 * 1024
# An object spanning more than this must be a stream (an image, a font): its dictionary is
# parsed, its data only copied. Stream dictionaries are a few hundred bytes.
_INLINE_SPAN_BYTES = 64 * 1024
_STREAM_KEYWORD_WITHIN = 4096
_ITEMS_PER_LOOK = 4096  # items walked between two looks at the budget
_READS_PER_LOOK = 32  # pieces qpdf reads between two looks: ~4 KB of syntax, ~2 ms
_READ_SLACK = 256 * 1024  # re-reads of qpdf's own (headers, the trailer, stream ends)
_OBJECTS_PER_MEMORY_LOOK = 16  # reading /proc/self/statm costs ~10 µs
_inline_lock = threading.Lock()


class _HandOver(Exception):
    """The check in the web process stopped without a verdict: a checker decides."""


def _resident_bytes() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _Budget:
    """The CPU time (of this thread) and memory (of this process) the check may spend."""

    def __init__(self) -> None:
        self.started = time.thread_time()
        self.resident = _resident_bytes()
        self.looks = 0

    def spend(self) -> None:
        """Raise ``_HandOver`` once the check has used its budget."""
        if time.thread_time() - self.started > INLINE_CPU_SECONDS:
            raise _HandOver("over the CPU budget")
        self.looks += 1
        looked = not self.looks % _OBJECTS_PER_MEMORY_LOOK
        if looked and _resident_bytes() - self.resident > INLINE_MEMORY_BYTES:
            raise _HandOver("over the memory budget")


class _Metered(io.BytesIO):
    """The PDF's bytes as qpdf reads them, with a look at the budget every few reads and at
    most about twice the file read in all. Once over, every read raises ``_HandOver``:
    qpdf takes that as a read error (the object it was parsing becomes null, with a
    warning) and parses nothing more; ``stopped`` says why. (Seeking and telling, which
    qpdf does far more often than reading, stay BytesIO's own C methods.)"""

    def __init__(self, data: bytes, budget: _Budget) -> None:
        super().__init__(data)
        self._budget = budget
        self._allowance = 2 * len(data) + _READ_SLACK
        self._reads = 0
        self.stopped: str | None = None

    def read(self, size: int | None = -1) -> bytes:
        self._look()
        piece = super().read(size)
        self._allowance -= len(piece)
        return piece

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        self._look()
        count = super().readinto(buffer)
        self._allowance -= count
        return count

    def _look(self) -> None:
        if self.stopped is None:
            self._reads += 1
            if self._allowance < 0:
                self.stopped = "read the file more than twice"
            elif not self._reads % _READS_PER_LOOK:
                try:
                    self._budget.spend()
                except _HandOver as exc:
                    self.stopped = str(exc)
        if self.stopped is not None:
            raise _HandOver(self.stopped)


def _costly_shape(
    pdf: pikepdf.Pdf, xref: dict[tuple[int, int], pikepdf.XrefEntry], data: bytes
) -> None:
    """Raise ``_HandOver`` for a PDF that would spend the budget for nothing: a cheap look
    at the trailer and the cross-reference table, never a judgement (a stream keyword
    inside a string fools it, and then the budget stops the walk)."""
    size = pdf.trailer.get("/Size")
    if not isinstance(size, int) or max(size - 1, len(xref)) > INLINE_MAX_OBJECTS:
        # The checker refuses a /Size over MAX_PDF_OBJECTS: that answer stays its own.
        raise _HandOver("too many objects for the web process")
    offsets = sorted(entry.offset for entry in xref.values() if entry.type == 1)
    for offset, end in zip(offsets, [*offsets[1:], len(data)], strict=True):
        if end - offset > _INLINE_SPAN_BYTES and (
            data.find(b"stream", offset, offset + _STREAM_KEYWORD_WITHIN) < 0
        ):
            raise _HandOver("a large object that is not a stream")


def _inspect_inline(data: bytes) -> tuple[str, ...]:
    """``inspect_pdf``'s answer for a PDF that opens cleanly within the web process's
    budget; ``_HandOver`` for anything else (the checker gives the verdict: a password,
    damage, repairs, a page without /Contents, more than the budget)."""
    if len(data) > INLINE_MAX_BYTES:
        raise _HandOver("larger than INLINE_MAX_BYTES")
    with _inline_lock:
        previous = pikepdf.settings.set_qpdf_limits(flate_max_memory=_INLINE_FLATE_MAX_MEMORY)
        limit_errors = pikepdf.settings.qpdf_limit_errors()
        try:
            found = _walk_inline(data)
        except (
            pikepdf.PdfError,
            pikepdf.PasswordError,
            pikepdf.DataDecodingError,
            PdfDamaged,
            PdfTooComplex,
            ValueError,
            RuntimeError,
            MemoryError,
        ) as exc:
            raise _HandOver(f"{type(exc).__name__}: {exc}") from exc
        finally:
            pikepdf.settings.set_qpdf_limits(**previous)
        if pikepdf.settings.qpdf_limit_errors() != limit_errors:
            raise _HandOver("a qpdf limit was reached")
    return found


def _walk_inline(data: bytes) -> tuple[str, ...]:
    budget = _Budget()
    source = _Metered(data, budget)
    # Without recovery qpdf raises where it would rebuild the table by parsing every
    # object in the file; inherit_page_attributes=False as in _inspect_here.
    # AccessMode.stream: qpdf must read through the meter, never map the bytes itself.
    pdf = pikepdf.open(
        source,
        inherit_page_attributes=False,
        attempt_recovery=False,
        access_mode=pikepdf.AccessMode.stream,
    )
    with pdf:
        if source.stopped:
            raise _HandOver(source.stopped)
        xref = pdf.get_xref_table()
        _costly_shape(pdf, xref, data)
        walk = _Walk(budget)
        # One object at a time (pdf.objects would parse them all in one uninterruptible
        # call), with a look at the budget before each.
        for (number, generation), entry in xref.items():
            if entry.type == 0:
                continue
            budget.spend()
            obj = pdf.get_object(number, generation)
            if source.stopped:
                raise _HandOver(source.stopped)
            walk.visit(obj)
            if isinstance(obj, pikepdf.Stream):
                obj.read_raw_bytes()  # as in _inspect_here: a stream cut short warns
        budget.spend()
        _check_pages(pdf, data, inline=True)
        if source.stopped:
            raise _HandOver(source.stopped)
        said = pdf.get_warnings()
    if said:
        raise _HandOver(f"qpdf warned: {said[:3]}")
    return tuple(name for name in FLAGGED_PDF_NAMES if name in walk.found)


def inspect_pdf(data: bytes) -> tuple[str, ...]:
    """The active-content names of a PDF that opens completely, e.g. ("/JavaScript", "/JS").

    Opens ``data`` with qpdf (empty user password), walks every object — those inside object
    streams included — and the page tree, and reads every stream's raw data once so a
    stream cut short shows. The names are those of ``FLAGGED_PDF_NAMES`` found as dictionary
    keys or name values (``/OpenAction`` only when it is more than a page-and-view array).
    They flag a PDF for the reviewer; they do not prove it safe or unsafe.

    A PDF is first checked in the calling process, within a budget (``_inspect_inline``):
    it answers only for a PDF that opens cleanly (no repair, no warning, no qpdf limit
    reached) within ``INLINE_CPU_SECONDS`` of CPU time and ``INLINE_MEMORY_BYTES`` more
    memory, looked at while qpdf reads the file (``_Metered``) and while the objects are
    walked; anything else is handed to a checker process of a
    small pool, each check there limited to ``CHECK_CPU_SECONDS`` of CPU time and
    ``CHECK_MEMORY_BYTES`` more address space (see ``PdfTooComplex``). The checkers are
    started once (forkserver) and reused; the bytes reach them as a file in memory.

    Raises ``PdfPasswordProtected`` when a user password, a certificate or DRM is needed,
    ``PdfDamaged`` when the PDF does not open, loses content to qpdf's repairs (module
    docstring), an object cannot be read or is nested too deeply, or its page tree loops,
    refers to a missing node or holds no page, ``PdfTooComplex`` over ``MAX_PDF_OBJECTS``
    objects or the budget.
    """
    try:
        return _inspect_inline(data)
    except _HandOver:
        return inspect_pdf_in_checker(data)


def inspect_pdf_in_checker(data: bytes) -> tuple[str, ...]:
    """``inspect_pdf``'s answer from a checker process, whatever the PDF: the path of every
    PDF the web process does not answer for, and the reference the routing is tested on."""
    # Counted before the checker runs: cheap, and gives the more helpful "over 50,000 objects".
    if data.count(b"endobj") > MAX_PDF_OBJECTS:
        raise PdfTooComplex()
    # A checker killed by its CPU limit breaks the pool, and every check waiting in it with
    # it: one retry on a fresh pool lets those others through, while the costly PDF breaks
    # the fresh pool too and is refused.
    # A checker that failed without a verdict (an error inside qpdf or pikepdf) may carry
    # state from an earlier check into the next: the retry runs in fresh checkers too.
    # A check cancelled because another check's failure discarded the pool it waited in
    # says nothing of this PDF: it goes to the fresh pool without using up its retry, up to
    # _CANCELLED_RETRIES times (checks that keep failing around it are then its fate too).
    attempt = cancelled = 0
    while True:
        try:
            with _handed_over(data) as path:
                pool, future = _submit(path)
                kind, value = future.result(_CHECK_WALL_SECONDS)
        except CancelledError:
            cancelled += 1
            if cancelled > _CANCELLED_RETRIES:
                raise PdfTooComplex(objects=False) from None
            continue
        except (BrokenProcessPool, FuturesTimeout):
            _discard_pool(pool)
            if attempt:
                raise PdfTooComplex(objects=False) from None
            attempt += 1
            continue
        if kind != "error" or attempt:
            break
        _discard_pool(pool)
        attempt += 1
    if kind == "password":
        raise PdfPasswordProtected(certificate=value)
    if kind == "damaged":
        raise PdfDamaged(value)
    if kind == "complex":
        raise PdfTooComplex(objects=value)
    if kind == "error":
        raise RuntimeError(f"the PDF check failed in its checker process: {value}")
    return value


# Where the bytes wait for the checker: tmpfs (/dev/shm) where there is one, so the
# hand-over is two copies in memory. Sending 1 MiB through the pool's pipe instead (pickled,
# in 64 KiB pieces, each a wake-up of the feeder thread and the checker) measured 3.9 ms
# against 0.3 ms for a few bytes; writing and reading the file adds ~0.2 ms. (On a loaded
# machine the wake-ups of the checker dominate either way: hence the check in the web
# process for ordinary PDFs.)
_HANDOVER_DIR: str | None = (
    "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
)
HANDOVER_PREFIX: str = "triage-pdf-check-"


@contextmanager
def _handed_over(data: bytes) -> Iterator[str]:
    """The path of a private (0600) file holding ``data``, removed when the check is over
    (answered, refused, timed out or its checker killed)."""
    descriptor, path = tempfile.mkstemp(prefix=HANDOVER_PREFIX, dir=_HANDOVER_DIR)
    try:
        with open(descriptor, "wb", closefd=True) as handover:
            handover.write(data)
        yield path
    finally:
        os.unlink(path)


# Two checkers per web process: a check takes milliseconds and uploads wait on the network
# far longer. A checker is replaced after _CHECKS_PER_CHECKER checks, so memory left behind
# by a refused PDF does not linger.
_CHECKERS = 2
_CANCELLED_RETRIES = 3
_CHECKS_PER_CHECKER = 200


class _CheckerPool(ProcessPoolExecutor):
    """A process pool whose teardown waits for a checker being started, and then ends it.

    Why: when a checker dies (killed by its CPU limit, or by ``_discard_pool`` after a
    timeout) the pool's manager thread marks the pool broken, terminates the checkers it
    knows and closes the pool's pipes, holding none of the pool's locks, while another
    thread's ``submit`` may be starting a checker on that very pool. A pipe closed while its
    descriptor is on its way to the forkserver ends the forkserver (Python 3.11 lets the
    EOFError out of its loop), and checks started before it is found gone meet "Connection
    refused"; a checker started just after the terminations is never ended, and the manager
    thread waits for it for ever (the web process then hangs at exit).

    Marking the pool broken is the manager thread's first step, so ``_broken`` is a property
    whose setter takes ``_starting``, the lock held while a checker is started: a start under
    way completes, its checker in ``_processes`` and so terminated with the others, before
    any pipe is closed; and no checker is started once the pool is marked broken.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before the base class's __init__, which sets _broken.
        self._starting = threading.Lock()
        self._broken_reason: str | bool = False
        super().__init__(*args, **kwargs)

    @property
    def _broken(self) -> str | bool:
        return self._broken_reason

    @_broken.setter
    def _broken(self, reason: str | bool) -> None:
        with self._starting:
            self._broken_reason = reason

    def _spawn_process(self) -> None:
        with self._starting:
            # A broken pool's submit fails its work item; a checker would only be orphaned.
            if not self._broken_reason:
                super()._spawn_process()

    def kill_checkers(self) -> None:
        """Kill every checker, one being started included (it is waited for): a checker
        stuck past the wall-clock bound would otherwise finish its check first."""
        with self._starting:
            # None once the pool has been shut down (by another thread's discard).
            for process in list((self._processes or {}).values()):
                process.kill()


_pool: _CheckerPool | None = None
# Held while the current pool is made, given work (a checker started included) or discarded:
# a discard never shuts down a pool under another thread's submit, and a submit only ever
# starts checkers on the current pool, never on one being torn down. Reentrant: _submit
# holds it around _checker_pool and _discard_pool. Nothing under it waits for a check.
_pool_lock = threading.RLock()


def _checker_pool() -> _CheckerPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = _CheckerPool(
                max_workers=_CHECKERS,
                # forkserver: checkers start from a small clean process, never from a
                # copy of a threaded web worker.
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_limit_checker,
                initargs=(os.getpid(),),
                max_tasks_per_child=_CHECKS_PER_CHECKER,
            )
        return _pool


def _submit(path: str) -> tuple[_CheckerPool, Future]:
    """A check of the PDF at `path`, submitted to the current pool: (pool, future).

    The current pool may have been marked broken by its manager thread (a checker died on
    its own) before any check discarded it; that says nothing about this PDF, so the check
    goes to a fresh pool, which nothing can have broken yet: it is ours alone until
    _pool_lock is released.
    """
    with _pool_lock:
        pool = _checker_pool()
        try:
            return pool, pool.submit(_check_in_checker, path)
        except RuntimeError:  # BrokenProcessPool, or a pool shut down
            _discard_pool(pool)
        pool = _checker_pool()
        return pool, pool.submit(_check_in_checker, path)


def _discard_pool(pool: _CheckerPool) -> None:
    """Replace `pool` with a fresh one for later checks, and end it; harmless twice."""
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
        pool.kill_checkers()
        pool.shutdown(wait=False, cancel_futures=True)


def _limit_checker(owner: int) -> None:
    """In each checker, before its first check: end with `owner` (the web process that
    started the pool), then qpdf's limits and the address-space limit."""
    _end_with(owner)  # first: the watcher's stack is then inside the measured baseline
    # qpdf's own limits are process-wide: set here, in the checker only.
    pikepdf.settings.set_qpdf_limits(flate_max_memory=_FLATE_MAX_MEMORY)
    with open("/proc/self/statm", "rb") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = mapped + CHECK_MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _end_with(owner: int) -> None:
    """End this checker as soon as process `owner` ends, however it ends.

    gunicorn ends a stuck worker with SIGKILL and a supervisor may stop a server with
    SIGTERM; neither runs the pool's shutdown. A checker's parent is the forkserver, not
    the web process, and it holds the forkserver's "alive" pipe open, so without this the
    checker would wait for work for ever and keep the forkserver alive with it. A pidfd
    (Linux 5.3+) becomes readable when `owner` exits; elsewhere the checker looks once a
    second.
    """
    try:
        handle = os.pidfd_open(owner)
    except ProcessLookupError:
        os._exit(0)
    except (AttributeError, OSError):
        handle = None

    def watch() -> None:
        if handle is not None:
            select.select([handle], [], [])
        else:
            while _running(owner):
                time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="end-with-owner", daemon=True).start()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _check_in_checker(path: str) -> tuple[str, object]:
    """One check in a checker process, of the PDF in the file at ``path``: ``(kind, value)``
    for ``inspect_pdf`` to turn back into its answer. SIGPROF's default action ends the
    checker once this check has used ``CHECK_CPU_SECONDS`` of CPU time."""
    signal.signal(signal.SIGPROF, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_PROF, CHECK_CPU_SECONDS)
    try:
        with open(path, "rb", buffering=0) as handover:
            data = handover.read()
        return ("ok", _inspect_here(data))
    except PdfPasswordProtected as exc:
        return ("password", exc.certificate)
    except PdfDamaged as exc:
        return ("damaged", str(exc))
    except PdfTooComplex as exc:
        return ("complex", exc.objects)
    except MemoryError:
        return ("complex", False)
    except Exception as exc:  # a bug, not a verdict: the web process raises it
        return ("error", repr(exc))
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
