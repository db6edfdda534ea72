"""The smallest WSGI app that reads a request body: gunicorn's own cost, for the peer
comparison's floor (`benchmarks.peer_costs`). It reads the body 256 KiB at a time, as our
multipart parser does (`triage.uploads.READ_SIZE`), and answers with the byte count."""

from __future__ import annotations

from collections.abc import Callable, Iterable

READ = 256 * 1024


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    stream, size = environ["wsgi.input"], 0
    while chunk := stream.read(READ):
        size += len(chunk)
    body = str(size).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
