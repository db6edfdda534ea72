"""The request class: uploaded files stay in memory, never in a temporary file.

Werkzeug spools every multipart file part larger than 500 KiB to a temporary file
(`default_stream_factory`). For this product that is both slow (a fifth of an upload
request went to writing and re-reading the spool file) and a leak of personal data onto
the web host's disk (identity documents, bank statements) outside the evidence store's
control and retention. The body is already bounded by MAX_CONTENT_LENGTH (one 5 MiB file
plus the envelope: Werkzeug answers 413 before reading more, also for a chunked body), so
holding it in memory costs at most that much per request.
"""

from __future__ import annotations

from io import BytesIO
from typing import IO, Any

from flask import Request
from werkzeug.formparser import FormDataParser, MultiPartParser

# How much of the body the multipart parser asks the server for at a time. Werkzeug asks
# for 64 KiB; gunicorn (27) receives up to 1 MiB at once and hands it out 64 KiB at a time,
# copying what is left of its buffer on every read: about 16 copies of up to 1 MiB per
# MiB, a quarter of an upload request's CPU (py-spy, `benchmarks peer`). 256 KiB reads
# take that to 3. With what the decoder still holds between reads (the tail where a
# boundary may start, a part's headers) it must stay below MAX_FORM_MEMORY_SIZE (Flask:
# 500,000 bytes): Werkzeug's decoder refuses a read that would take it past that.
READ_SIZE = 256 * 1024


class LargeReadFormDataParser(FormDataParser):
    """Werkzeug's form parser, reading multipart bodies `READ_SIZE` bytes at a time."""

    def _parse_multipart(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> Any:
        # Werkzeug's own _parse_multipart, but for the parser's buffer_size.
        parser = MultiPartParser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
            buffer_size=READ_SIZE,
        )
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


class UploadBuffer(BytesIO):
    """A file part in memory that reading hands over without a second copy.

    BytesIO over-allocates while it is written, and `read()` of an over-allocated buffer
    copies it: a 5 MiB upload would sit in memory twice. Werkzeug rewinds the part with
    `seek(0)` once it is written; trimming the buffer to its content there (`getvalue()`
    shrinks it in place) lets the following `read()` return that very buffer.
    """

    def seek(self, pos: int, whence: int = 0) -> int:
        if pos == 0 and whence == 0:
            self.getvalue()
        return super().seek(pos, whence)


class InMemoryUploadRequest(Request):
    """A Flask request whose multipart file parts are BytesIO, bounded by MAX_CONTENT_LENGTH."""

    form_data_parser_class = LargeReadFormDataParser

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        if self.max_content_length is None:
            # No bound on the body: keep Werkzeug's spooling rather than unbounded memory.
            return super()._get_file_stream(
                total_content_length, content_type, filename, content_length
            )
        # The stream Werkzeug reads from stops at max_content_length (413 beyond it), so
        # all parts of one request together never exceed it.
        return UploadBuffer()
