"""The multipart parser reads the body in `READ_SIZE` pieces (issue 10, item 3): large
enough that gunicorn hands over what it received without re-copying its buffer 16 times a
MiB, small enough that Werkzeug's decoder (which refuses one read larger than
MAX_FORM_MEMORY_SIZE with what it holds) takes every read, and the file arrives intact."""

from __future__ import annotations

import hashlib
import io

from urllib3 import encode_multipart_formdata

from tests.tickets.conftest import MAX_FILE, pdf_of_size
from triage.uploads import READ_SIZE


class CountingInput(io.BytesIO):
    """A WSGI input stream that records how much each read asked for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)

    def readinto(self, buffer) -> int:  # werkzeug's LimitedStream reads with readinto
        self.asked.append(len(buffer))
        return super().readinto(buffer)


def test_read_size_fits_werkzeugs_single_read_bound(app):
    assert READ_SIZE > 64 * 1024
    # Room for what the decoder holds between reads: a boundary's tail, a part's headers.
    assert app.config["MAX_FORM_MEMORY_SIZE"] >= READ_SIZE + 64 * 1024


def test_a_5_mib_file_is_read_in_read_size_pieces_and_arrives_whole(make_ticket, pdf_bytes):
    ticket = make_ticket()
    data = pdf_of_size(pdf_bytes, MAX_FILE)
    body, content_type = encode_multipart_formdata(
        {"material": "passport", "file": ("scan.pdf", data)}
    )
    stream = CountingInput(body)
    response = ticket.client.post(
        f"/api/v1/tickets/{ticket.reference}/evidence",
        input_stream=stream,
        headers={
            **ticket.headers,
            "Content-Type": content_type,
            "Content-Length": str(len(body)),
        },
    )
    assert response.status_code == 201, response.json
    assert response.json["sha256"] == hashlib.sha256(data).hexdigest()
    big_reads = [n for n in stream.asked if n > 1024]
    assert big_reads and max(big_reads) == READ_SIZE
    # 5 MiB in 256 KiB reads: about 21 of them, not the 80 that 64 KiB would take.
    assert len(big_reads) <= len(body) // READ_SIZE + 2
