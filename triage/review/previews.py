"""Previews off the request path: rendered once in the background, stored, remembered.

The state lives on the Evidence row (`preview_status`):

    None ──(a page asks)──> pending ──> ready      (preview_pages objects stored)
                               │  └───> too_large  (over a limit: never tried again)
                               └──────> failed     (unreadable: never tried again)

A request that finds no preview never renders: it hands `render_previews(evidence_id)`
to a small pool of background threads (each drives one bounded child process, see
preview.py) and answers at once with "being prepared". The job is one function so that
a job runner (the jobs issue's Celery worker) can call it instead of the pool.

Two processes never render the same file: the job first takes it with one conditional
UPDATE (from "never asked", or from a "pending" so old that its process must have died);
within a process an in-flight set keeps the pool from queueing the same file twice.
The pictures are derived objects next to the evidence (`storage.preview_key`), so they
share its store, encryption and lifetime; the sweeper keeps them while the file has a row.

Source of the rules: security.md, "Showing it"; issue 8, item 4.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import or_, update

from storage import ObjectMissing, StorageError, preview_key
from triage.evidence.models import Evidence
from triage.evidence.operations import evidence_store
from triage.extensions import db
from triage.review import preview
from triage.timeutil import utcnow

log = logging.getLogger(__name__)

PENDING, READY, TOO_LARGE, FAILED, UNAVAILABLE = (
    "pending",
    "ready",
    "too_large",
    "failed",
    "unavailable",
)
DONE = (READY, TOO_LARGE, FAILED)
# A render takes at most preview.LIMITS.wall_seconds plus a few bounded store calls; a
# "pending" older than this belongs to a process that died, and may be taken again.
STALE_AFTER = timedelta(minutes=5)
WORKERS = 2  # renders at once per process; each is one child process

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_in_flight: set[str] = set()
# Conditional UPDATEs are decided by the database; loaded rows are refreshed explicitly
# (SQLAlchemy's in-Python evaluation cannot compare SQLite's naive times with aware ones).
_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class PreviewView:
    """What the review page shows of one file.

    status: "ready" (pages pictures of media_type), "pending" (being prepared),
    "too_large" or "failed" (download it instead), "unavailable" (no preview of this kind).
    """

    status: str
    pages: int = 0
    media_type: str | None = None


def previewable(item: Evidence) -> bool:
    """A file this server shows as pictures: a PDF (with poppler), a JPEG or a PNG.

    Never a file flagged for active content: it is offered as a download only.
    """
    return not item.warnings and preview.can_render(item.content_type)


def extension(item: Evidence) -> str:
    """The format of the file's preview: JPEG for photos, PNG for pages and PNG images."""
    return "jpg" if item.content_type == "image/jpeg" else "png"


def _stale(item: Evidence) -> bool:
    started = item.preview_started_at
    if started is None:
        return True
    if started.tzinfo is None:  # SQLite hands back naive UTC
        started = started.replace(tzinfo=utcnow().tzinfo)
    return utcnow() - started > STALE_AFTER


def request_preview(item: Evidence) -> PreviewView:
    """The file's preview state; when none is stored, starts rendering it and says pending.

    Never waits on a render: at most it queues one for the background pool.
    """
    if not previewable(item):
        return PreviewView(UNAVAILABLE)
    status = item.preview_status
    if status == READY:
        return PreviewView(READY, item.preview_pages or 0, preview.MEDIA_TYPES[extension(item)])
    if status in (TOO_LARGE, FAILED):
        return PreviewView(status)
    if status is None or _stale(item):
        schedule(item.id)
    return PreviewView(PENDING)


def read_page(item: Evidence, page: int) -> bytes | None:
    """Page `page` (1-based) of a ready preview; None while it is being prepared.

    Raises LookupError when the file has no such page to show (not previewable, failed,
    or past the last page) and StorageError when the store fails.
    """
    view = request_preview(item)
    if view.status == PENDING:
        return None
    if view.status != READY or not 1 <= page <= view.pages:
        raise LookupError(page)
    try:
        with evidence_store().open(preview_key(item.storage_key, page, extension(item))) as fh:
            return fh.read()
    except ObjectMissing:
        # Deleted behind our back: forget it (with the request's commit), so the next
        # request renders it again.
        log.warning("preview of %s is missing from the store; it will be rendered again", item.id)
        db.session.execute(
            update(Evidence)
            .where(Evidence.id == item.id, Evidence.preview_status == READY)
            .values(preview_status=None, preview_pages=None)
        )
        return None


# --- the job ---------------------------------------------------------------------------------


def _set(evidence_id: str, expected: str | None, **values: object) -> bool:
    """One conditional UPDATE of the preview columns, committed; True if it applied."""
    columns = {f"preview_{name}": value for name, value in values.items()}
    condition = (
        Evidence.preview_status.is_(None)
        if expected is None
        else Evidence.preview_status == expected
    )
    result = db.session.execute(
        update(Evidence).where(Evidence.id == evidence_id, condition).values(**columns),
        execution_options=_NO_SYNC,
    )
    db.session.commit()
    return result.rowcount == 1


def _take(evidence_id: str) -> bool:
    """Claim the render: from "never asked", or from a pending whose process died."""
    now = utcnow()
    result = db.session.execute(
        update(Evidence)
        .where(
            Evidence.id == evidence_id,
            or_(
                Evidence.preview_status.is_(None),
                (Evidence.preview_status == PENDING)
                & (Evidence.preview_started_at < now - STALE_AFTER),
            ),
        )
        .values(preview_status=PENDING, preview_started_at=now, preview_error=None),
        execution_options=_NO_SYNC,
    )
    db.session.commit()
    return result.rowcount == 1


def render_previews(evidence_id: str) -> str | None:
    """Render, store and record the preview of one evidence file; needs an app context.

    The job a runner calls (the background pool here; a queue worker later). Returns
    the status it leaves: "ready", "too_large", "failed", None (the store failed: nothing
    remembered, a later request tries again), or the status another process is producing.
    Errors: none escape except database errors.
    """
    item = db.session.get(Evidence, evidence_id)
    if item is None or not previewable(item):  # never a flagged PDF, an office file
        db.session.rollback()
        return UNAVAILABLE if item is not None else None
    if not _take(evidence_id):
        return db.session.scalar(
            db.select(Evidence.preview_status).where(Evidence.id == evidence_id)
        )
    db.session.refresh(item)
    key, content_type, sha256 = item.storage_key, item.content_type, item.sha256
    ext = extension(item)
    db.session.commit()  # hold no transaction open while rendering
    try:
        with evidence_store().open(key) as stream:
            data = stream.read()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StorageError(f"{key} does not match its recorded SHA-256")
    except StorageError as exc:
        log.error("cannot read %s to preview it: %s", evidence_id, exc)
        _set(evidence_id, PENDING, status=None)
        return None
    started = time.monotonic()
    try:
        rendered = preview.render(data, content_type, preview.LIMITS)
    except preview.PreviewFailed as exc:
        status = TOO_LARGE if exc.too_large else FAILED
        log.info("no preview of %s (%s): %s", evidence_id, status, exc.reason)
        _set(evidence_id, PENDING, status=status, error=exc.reason[:200])
        return status
    assert rendered.extension == ext, (rendered.extension, ext)
    stored: list[str] = []
    try:
        for number, picture in enumerate(rendered.pages, start=1):
            page_key = preview_key(key, number, ext)
            evidence_store().save(
                page_key,
                picture,
                content_type=rendered.media_type,
                sha256_hex=hashlib.sha256(picture).hexdigest(),
            )
            stored.append(page_key)
    except StorageError as exc:
        log.error("cannot store the preview of %s: %s", evidence_id, exc)
        for page_key in stored:
            with contextlib.suppress(StorageError):  # else the next render overwrites it
                evidence_store().delete(page_key)
        _set(evidence_id, PENDING, status=None)
        return None
    _set(evidence_id, PENDING, status=READY, pages=len(rendered.pages))
    log.info(
        "preview of %s: %d page(s) in %.1f s",
        evidence_id,
        len(rendered.pages),
        time.monotonic() - started,
    )
    return READY


# --- the background pool ---------------------------------------------------------------------


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="preview")
        return _pool


def schedule(evidence_id: str) -> bool:
    """Queue `render_previews(evidence_id)` on this process's pool unless already queued.

    Returns at once; True if it queued the job. Needs an app context (the job gets its own).
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    with _pool_lock:
        if evidence_id in _in_flight:
            return False
        _in_flight.add(evidence_id)
    _executor().submit(_run, app, evidence_id)
    return True


def _run(app: Flask, evidence_id: str) -> None:
    try:
        with app.app_context():
            render_previews(evidence_id)
    except Exception:
        log.exception("preview job for %s failed", evidence_id)
    finally:
        with _pool_lock:
            _in_flight.discard(evidence_id)


def wait_idle(timeout: float = 60.0) -> bool:
    """Wait until this process has no render queued or running (tests, shutdown)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _pool_lock:
            if not _in_flight:
                return True
        time.sleep(0.02)
    return False
