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

The check runs in a checker process under a CPU-time and memory budget (``inspect_pdf``): a
few KB of compressed object stream can expand to millions of objects for qpdf to parse.
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
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from decimal import Decimal

import pikepdf
from pikepdf import ObjectType

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


def _check_pages(pdf: pikepdf.Pdf, data: bytes) -> None:
    """At least one page, and each page's content streams are there."""
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
    """One pass over every object, collecting the flagged names."""

    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit(self, obj: object, depth: int = 0) -> None:
        # pikepdf hands integers, reals, booleans and nulls over as Python values.
        if not isinstance(obj, pikepdf.Object):
            return
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


def inspect_pdf(data: bytes) -> tuple[str, ...]:
    """The active-content names of a PDF that opens completely, e.g. ("/JavaScript", "/JS").

    Opens ``data`` with qpdf (empty user password), walks every object — those inside object
    streams included — and the page tree, and reads every stream's raw data once so a
    stream cut short shows. The names are those of ``FLAGGED_PDF_NAMES`` found as dictionary
    keys or name values (``/OpenAction`` only when it is more than a page-and-view array).
    They flag a PDF for the reviewer; they do not prove it safe or unsafe.

    The work runs in a checker process of a small pool, each check limited to
    ``CHECK_CPU_SECONDS`` of CPU time and ``CHECK_MEMORY_BYTES`` more address space (see
    ``PdfTooComplex``). The checkers are started once (forkserver) and reused, so a check
    costs a hand-over of the bytes, not a fork of the web worker.

    Raises ``PdfPasswordProtected`` when a user password, a certificate or DRM is needed,
    ``PdfDamaged`` when the PDF does not open, loses content to qpdf's repairs (module
    docstring), an object cannot be read or is nested too deeply, or its page tree loops,
    refers to a missing node or holds no page, ``PdfTooComplex`` over ``MAX_PDF_OBJECTS``
    objects or the budget.
    """
    # Counted before the checker runs: cheap, and gives the more helpful "over 50,000 objects".
    if data.count(b"endobj") > MAX_PDF_OBJECTS:
        raise PdfTooComplex()
    # A checker killed by its CPU limit breaks the pool, and every check waiting in it with
    # it: one retry on a fresh pool lets those others through, while the costly PDF breaks
    # the fresh pool too and is refused.
    # A checker that failed without a verdict (an error inside qpdf or pikepdf) may carry
    # state from an earlier check into the next: the retry runs in fresh checkers too.
    for attempt in range(2):
        pool = _checker_pool()
        try:
            kind, value = pool.submit(_check_in_checker, data).result(_CHECK_WALL_SECONDS)
        except (BrokenProcessPool, FuturesTimeout):
            _discard_pool(pool)
            if attempt:
                raise PdfTooComplex(objects=False) from None
            continue
        if kind != "error" or attempt:
            break
        _discard_pool(pool)
    if kind == "password":
        raise PdfPasswordProtected(certificate=value)
    if kind == "damaged":
        raise PdfDamaged(value)
    if kind == "complex":
        raise PdfTooComplex(objects=value)
    if kind == "error":
        raise RuntimeError(f"the PDF check failed in its checker process: {value}")
    return value


# Two checkers per web process: a check takes milliseconds and uploads wait on the network
# far longer. A checker is replaced after _CHECKS_PER_CHECKER checks, so memory left behind
# by a refused PDF does not linger.
_CHECKERS = 2
_CHECKS_PER_CHECKER = 200
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _checker_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=_CHECKERS,
                # forkserver: checkers start from a small clean process, never from a
                # copy of a threaded web worker.
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_limit_checker,
                max_tasks_per_child=_CHECKS_PER_CHECKER,
            )
        return _pool


def _discard_pool(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
    for process in list(getattr(pool, "_processes", {}).values()):
        process.kill()  # a checker stuck past the wall-clock bound
    pool.shutdown(wait=False, cancel_futures=True)


def _limit_checker() -> None:
    # qpdf's own limits are process-wide: set here, in the checker only.
    pikepdf.settings.set_qpdf_limits(flate_max_memory=_FLATE_MAX_MEMORY)
    with open("/proc/self/statm", "rb") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = mapped + CHECK_MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _check_in_checker(data: bytes) -> tuple[str, object]:
    """One check in a checker process: ``(kind, value)`` for ``inspect_pdf`` to turn back
    into its answer. SIGPROF's default action ends the checker once this check has used
    ``CHECK_CPU_SECONDS`` of CPU time."""
    signal.signal(signal.SIGPROF, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_PROF, CHECK_CPU_SECONDS)
    try:
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
