"""Builders for the shapes of files customers send (tests/fixtures/hunt/README.md kinds).

Each builder makes a real file of one shape with the library made for it (pikepdf for PDFs,
Pillow for photos, zipfile for Office packages, olefile and msoffcrypto-tool for OLE), so a
test can make several variants of a kind instead of trusting one handed-over file.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import olefile
import pikepdf
from PIL import Image

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HUNT = FIXTURES / "hunt"

# --- PDFs -------------------------------------------------------------------------------------


def photo(size: tuple[int, int] = (320, 240), seed: int = 1, mode: str = "RGB") -> Image.Image:
    """A noisy picture (noise keeps JPEG data long enough to cut at many points)."""
    grey = Image.effect_noise(size, 40 + seed).convert("L")
    picture = Image.merge(
        "RGB",
        (grey, grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT), grey.point(lambda v: 255 - v)),
    )
    return picture if mode == "RGB" else picture.convert(mode)


def jpeg(image: Image.Image | None = None, **save: object) -> bytes:
    out = io.BytesIO()
    (image or photo()).save(out, "JPEG", **save)
    return out.getvalue()


def png(image: Image.Image, **save: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", **save)
    return out.getvalue()


def _page_with_image(pdf: pikepdf.Pdf, data: bytes, width: int, height: int) -> None:
    """A page showing one DCT (JPEG) image XObject, as a scanner writes it."""
    image = pikepdf.Stream(pdf, data)
    image.Type = pikepdf.Name.XObject
    image.Subtype = pikepdf.Name.Image
    image.Width, image.Height = width, height
    image.ColorSpace = pikepdf.Name.DeviceRGB
    image.BitsPerComponent = 8
    image.Filter = pikepdf.Name.DCTDecode
    page = pdf.add_blank_page(page_size=(595, 842))
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pdf.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")


def text_page(pdf: pikepdf.Pdf, text: str = "Statement") -> pikepdf.Page:
    page = pdf.add_blank_page(page_size=(595, 842))
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = pdf.make_stream(f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode())
    return page


def save(pdf: pikepdf.Pdf, **options: object) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **options)
    return out.getvalue()


def statement_pdf(pages: int = 2, **options: object) -> bytes:
    """A plain text PDF; ``options`` go to ``Pdf.save`` (encryption, object streams, ...)."""
    with pikepdf.new() as pdf:
        for number in range(pages):
            text_page(pdf, f"Statement page {number + 1}")
        return save(pdf, **options)


def scanned_pdf(
    pages: int = 3, comment: bytes = b"", size: tuple[int, int] = (320, 240), **options: object
) -> bytes:
    """A scan: one JPEG per page; ``comment`` goes into each JPEG's COM segment, i.e. into
    the bytes of the image streams (where "/JS>" is just data)."""
    with pikepdf.new() as pdf:
        for number in range(pages):
            data = jpeg(photo(size, seed=number), quality=85, comment=comment)
            _page_with_image(pdf, data, *size)
        return save(pdf, **options)


def with_font_bytes(data: bytes, font_program: bytes) -> bytes:
    """``data`` (a PDF) with an embedded TrueType font program of ``font_program`` bytes."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        program = pikepdf.Stream(pdf, font_program)
        descriptor = pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name.Scan, FontFile2=program
        )
        font = pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.TrueType,
            BaseFont=pikepdf.Name.Scan,
            FontDescriptor=descriptor,
        )
        pdf.pages[0].Resources.Font = pikepdf.Dictionary(F9=font)
        return save(pdf, compress_streams=False)


def with_page_open_script(pages: int = 1, **options: object) -> bytes:
    """A PDF whose first page runs JavaScript when opened (/AA /O), as in the hunt file."""
    with pikepdf.new() as pdf:
        for number in range(pages):
            text_page(pdf, f"Invoice page {number + 1}")
        action = pdf.make_indirect(
            pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1);"))
        )
        pdf.pages[0].obj.AA = pikepdf.Dictionary(O=action)
        return save(pdf, **options)


def raw_pdf(*objects: bytes, root: int = 1) -> bytes:
    """A PDF of the given object bodies (objects 1, 2, ...) with a correct xref table."""
    pieces = [b"%PDF-1.4\n"]
    offsets = []
    position = len(pieces[0])
    for number, body in enumerate(objects, start=1):
        offsets.append(position)
        piece = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        pieces.append(piece)
        position += len(piece)
    pieces.append(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    pieces.extend(b"%010d 00000 n \n" % offset for offset in offsets)
    pieces.append(
        b"trailer\n<</Size %d/Root %d 0 R>>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, root, position)
    )
    return b"".join(pieces)


def cut_points(data: bytes, fractions: Iterable[float]) -> list[bytes]:
    return [data[: int(len(data) * fraction)] for fraction in fractions]


# --- Office packages --------------------------------------------------------------------------

MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
STYLES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"
OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)
STRICT_OFFICE_DOCUMENT = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def content_types(overrides: dict[str, str]) -> bytes:
    rows = "".join(
        f'<Override PartName="/{name}" ContentType="{kind}"/>' for name, kind in overrides.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{rows}</Types>"
    ).encode()


def relationships(*rels: tuple[str, str]) -> bytes:
    rows = "".join(
        f'<Relationship Id="rId{i}" Type="{kind}" Target="{target}"/>'
        for i, (kind, target) in enumerate(rels, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{rows}</Relationships>"
    ).encode()


def document_xml(text: str = "Statement of account") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p>'
        "<w:sectPr/></w:body></w:document>"
    ).encode()


def docx_parts(
    main: str = "word/document.xml", relationship: str = OFFICE_DOCUMENT, target: str | None = None
) -> dict[str, bytes]:
    """The parts of a .docx as python-docx writes it (main part ``main``)."""
    folder, _, name = main.rpartition("/")
    return {
        "[Content_Types].xml": content_types(
            {
                main: MAIN_TYPE,
                "word/styles.xml": STYLES_TYPE,
                "docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
            }
        ),
        "_rels/.rels": relationships((relationship, target or main), (CORE, "docProps/core.xml")),
        "docProps/core.xml": b'<?xml version="1.0"?><cp:coreProperties xmlns:cp='
        b'"http://schemas.openxmlformats.org/package/2006/metadata/'
        b'core-properties"/>',
        main: document_xml(),
        f"{folder}/_rels/{name}.rels": relationships((STYLES, "styles.xml")),
        "word/styles.xml": f'<?xml version="1.0"?><w:styles xmlns:w="{W}"/>'.encode(),
    }


def package(
    parts: dict[str, bytes],
    order: Sequence[str] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A zip of ``parts`` with its entries in ``order`` (default: as given)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name in order or list(parts):
            archive.writestr(name, parts[name])
    return out.getvalue()


def encrypt_ooxml(data: bytes, password: str = "1234") -> bytes:
    """``data`` (a .docx) as Word's "Encrypt with Password" writes it: an OLE file holding
    EncryptionInfo and EncryptedPackage (msoffcrypto-tool, ECMA-376 agile encryption)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def doc_with_fib_flags(data: bytes, flags: int) -> bytes:
    """A .doc with ``flags`` set in its FibBase flag word (offset 10 of WordDocument)."""
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        stream = bytearray(ole.openstream("WordDocument").read())
    (current,) = struct.unpack_from("<H", stream, 10)
    struct.pack_into("<H", stream, 10, current | flags)
    out = io.BytesIO(data)
    with olefile.OleFileIO(out, write_mode=True) as ole:
        ole.write_stream("WordDocument", bytes(stream))
    return out.getvalue()


def rename_ole_entry(data: bytes, old: str, new: str) -> bytes:
    """``data`` with one OLE directory entry renamed (same length; olefile cannot add
    storages, so shapes with a VBA project start from tests/fixtures/hunt's .doc)."""
    assert len(old) == len(new)
    before, after = old.encode("utf-16-le"), new.encode("utf-16-le")
    assert data.count(before) == 1, old
    return data.replace(before, after)


# --- images -----------------------------------------------------------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_raw(
    width: int,
    height: int,
    bit_depth: int,
    colour_type: int,
    rows: bytes | None,
    interlace: int = 0,
) -> bytes:
    """A PNG from raw scanlines (each starting with its filter byte); ``rows=None`` writes a
    header-only file (what a pixel-limit check must refuse before looking further)."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, interlace)
    data = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
    if rows is not None:
        data += _png_chunk(b"IDAT", zlib.compress(rows, 9))
    return data + _png_chunk(b"IEND", b"")


def png_16bit_rgb(width: int = 64, height: int = 48) -> bytes:
    """A 48-bit (16 bits per channel) RGB PNG, as phone and scanner apps export."""
    row = b"\x00" + b"".join(struct.pack(">HHH", x * 1000, 30000, 65535 - x) for x in range(width))
    return png_raw(width, height, 16, 2, row * height)


def jpeg_header_only(width: int, height: int) -> bytes:
    """A JPEG whose frame header declares ``width`` x ``height`` and holds no image data."""

    def segment(marker: int, body: bytes) -> bytes:
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body

    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xC0, b"\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00")
        + b"\xff\xd9"
    )


def object_stream_pdf(body_chunks: Iterable[bytes]) -> bytes:
    """A PDF whose catalogue refers to object 6, stored in a Flate object stream (object 5)
    as ``6 0 <body>``; the chunks are compressed as they come, so a few KB of file can hold
    millions of array items (the shape of breaker finding A1)."""
    packer = zlib.compressobj(9)
    packed = packer.compress(b"6 0 ") + b"".join(map(packer.compress, body_chunks))
    packed += packer.flush()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R/Junk 6 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Resources<<>>/Contents 4 0 R>>",
        b"<</Length 0>>stream\n\nendstream",
        b"<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length %d>>stream\n" % len(packed)
        + packed
        + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    rows = struct.pack(">BIH", 0, 0, 65535)
    rows += b"".join(struct.pack(">BIH", 1, offset, 0) for offset in offsets)
    rows += struct.pack(">BIH", 2, 5, 0) + struct.pack(">BIH", 1, xref, 0)
    out += b"7 0 obj\n<</Type/XRef/Size 8/W[1 4 2]/Root 1 0 R/Length %d>>stream\n" % len(rows)
    out += rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def rezip(data: bytes, add: dict[str, bytes] | None = None) -> bytes:
    """The zip ``data`` written again entry by entry (same names and order), plus ``add``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        for name, body in (add or {}).items():
            target.writestr(name, body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def flip_data_byte(data: bytes, entry: str, at: int = 20) -> bytes:
    """``data`` with one byte of ``entry``'s compressed data inverted (the headers intact)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(entry)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    position = start + min(at, info.compress_size - 1)
    return data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :]


def zip_part(data: bytes, entry: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(entry)


def rezip_replacing(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The zip ``data`` with the bodies of the entries named in ``replace`` replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, replace.get(info.filename, source.read(info)))
    return out.getvalue()
