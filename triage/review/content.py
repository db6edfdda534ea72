"""Evidence bytes as HTTP responses that a browser will never run.

- The type is the one sniffed and checked at upload, never the client's; `nosniff`
  stops the browser from second-guessing it.
- `Content-Security-Policy: sandbox` (plus `default-src 'none'`) makes anything that
  does get rendered an opaque-origin document with no scripts, forms or plugins.
- Only JPEG and PNG are `inline` (the review page shows them in <img>); everything else,
  PDFs included, is an `attachment`. PDFs are shown as server-rendered page images
  instead (see previews.py), because Chromium refuses to render a PDF under `sandbox`
  and we will not let a browser's PDF viewer run a customer's file in our origin.
- The download name is chosen here, with an extension that matches the checked type,
  and sent per RFC 6266: an ASCII `filename=` fallback and a UTF-8 `filename*=`.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response

from triage.evidence.checks import DOCX_TYPE, ODT_TYPE
from triage.evidence.models import Evidence

INLINE_TYPES = frozenset({"image/jpeg", "image/png"})
EVIDENCE_CSP = (
    "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
)
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    DOCX_TYPE: ".docx",
    ODT_TYPE: ".odt",
}
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._-]+")
_STEM_LIMIT = 80


def shown_inline(item: Evidence) -> bool:
    return item.content_type in INLINE_TYPES and not item.warnings


def download_name(item: Evidence) -> str:
    """`<reference>-<material>-<original name>.<extension of the checked type>`."""
    stem = item.filename.rsplit(".", 1)[0] if "." in item.filename else item.filename
    stem = " ".join(stem.split())[:_STEM_LIMIT].strip(" .") or "file"
    extension = EXTENSIONS.get(item.content_type, ".bin")
    return f"{item.ticket.reference}-{item.material}-{stem}{extension}"


def ascii_fallback(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    flat = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    flat = _UNSAFE_ASCII.sub("_", flat).strip("._") or "file"
    return f"{flat}.{extension}" if extension else flat


def content_disposition(disposition: str, name: str) -> str:
    return (
        f'{disposition}; filename="{ascii_fallback(name)}"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )


def _locked_down(response: Response) -> Response:
    # Set on the response itself: the app-wide after_request only fills in what is missing.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = EVIDENCE_CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def evidence_response(item: Evidence, data: bytes, *, download: bool = False) -> Response:
    """The file itself: inline for checked images (unless `download`), else an attachment."""
    response = Response(data, mimetype=item.content_type)
    disposition = "inline" if shown_inline(item) and not download else "attachment"
    response.headers["Content-Disposition"] = content_disposition(disposition, download_name(item))
    return _locked_down(response)


def page_image_response(picture: bytes, media_type: str, item: Evidence, page: int) -> Response:
    """One preview picture (a PDF page, or an upright photo): made by us, so shown inline."""
    response = Response(picture, mimetype=media_type)
    extension = EXTENSIONS.get(media_type, ".png")
    name = download_name(item).rsplit(".", 1)[0] + f"-page-{page}{extension}"
    response.headers["Content-Disposition"] = content_disposition("inline", name)
    return _locked_down(response)


def preview_pending_response() -> Response:
    """A preview picture asked for before it exists: `202`, try again in a moment."""
    response = Response("The preview is being prepared.", status=202, mimetype="text/plain")
    response.headers["Retry-After"] = "2"
    return _locked_down(response)
