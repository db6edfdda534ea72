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
so that repair alone is accepted. Any other warning once the table was rebuilt — a missing
trailer, an object or stream that does not parse — or a page content stream that is not
there means content is lost, and the file is refused as damaged: the customer can send it
again, the reviewer could not trust what is left. A page tree that loops stops qpdf.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
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

PDF_PASSWORD_ADVICE = (
    "Please save a copy without a password and upload that: open the PDF with its "
    "password and print it to a new PDF (choose “Save as PDF” or “Microsoft Print to PDF” "
    "as the printer), or in Adobe Acrobat choose File > Properties > Security > "
    "“No Security” (Remove security) and save."
)
PDF_TOO_COMPLEX_ADVICE = (
    "Please send only the pages we asked for, as a smaller PDF or as photos of the pages."
)
PDF_DAMAGED_ADVICE = (
    "Please check that it opens on your device, then save or download it again and upload "
    "the new copy."
)


class PdfPasswordProtected(Exception):
    """The PDF needs a user password to open."""


class PdfDamaged(Exception):
    """The PDF does not open completely; ``str()`` is a short technical reason for logs."""


class PdfTooComplex(Exception):
    """The PDF holds more than ``MAX_PDF_OBJECTS`` objects: too costly to walk."""


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


def _check_pages(pdf: pikepdf.Pdf) -> None:
    """At least one page, and each page's content streams are there."""
    pages = 0
    for node in _page_nodes(pdf):
        if "/Kids" in node:
            continue
        pages += 1
        contents = node.get("/Contents")
        streams = contents if isinstance(contents, pikepdf.Array) else [contents]
        if "/Contents" in node and not all(isinstance(s, pikepdf.Stream) for s in streams):
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


def inspect_pdf(data: bytes) -> tuple[str, ...]:
    """The active-content names of a PDF that opens completely, e.g. ("/JavaScript", "/JS").

    Opens ``data`` with qpdf (empty user password), walks every object — those inside object
    streams included — and the page tree, and reads every stream's raw data once so a
    stream cut short shows. The names are those of ``FLAGGED_PDF_NAMES`` found as dictionary
    keys or name values (``/OpenAction`` only when it is more than a page-and-view array).
    They flag a PDF for the reviewer; they do not prove it safe or unsafe.

    Raises ``PdfPasswordProtected`` when a user password is needed, ``PdfDamaged`` when the
    PDF does not open, loses content to qpdf's repairs (module docstring), or its page tree
    loops or holds no page, ``PdfTooComplex`` over ``MAX_PDF_OBJECTS`` objects.
    """
    # Cost bounds, not judgements: qpdf rebuilding a table parses every "obj" it finds, and
    # the walk touches every object the table lists; both are counted before either runs.
    if data.count(b"endobj") > MAX_PDF_OBJECTS:
        raise PdfTooComplex()
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise PdfPasswordProtected() from exc
    except (pikepdf.PdfError, pikepdf.DataDecodingError, ValueError, RuntimeError) as exc:
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
            _check_pages(pdf)
        except (pikepdf.PdfError, pikepdf.DataDecodingError, RuntimeError, ValueError) as exc:
            raise PdfDamaged(f"qpdf cannot read it: {exc}") from exc
        said = pdf.get_warnings()
    # With its own cross-reference table intact, a file was written whole: qpdf's warnings
    # are about small slips it mends (a page without /Resources, a page listed twice). Once
    # the table had to be rebuilt, only the harmless reason for it may show.
    if any(_said(warning, _REBUILT) for warning in said) and not all(
        _said(warning, _HARMLESS_WHEN_REBUILT) for warning in said
    ):
        raise PdfDamaged(f"qpdf had to rebuild it and lost content: {said}")
    return tuple(name for name in FLAGGED_PDF_NAMES if name in walk.found)
