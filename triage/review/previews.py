"""Previews off the request path: rendered once in the background, stored, remembered.

The state lives on the Evidence row (`preview_status`):

    None ──(a page asks)──> pending ──> ready      (preview_pages objects stored)
                               │  └───> too_large  (over a limit: never tried again)
                               └──────> failed     (unreadable: never tried again)

A request that finds no preview never renders: it enqueues the Celery job
`triage.previews.render` (triage.jobs.tasks, which calls `render_previews(evidence_id)`;
each render drives one bounded child process, see preview.py) and answers at once with
"being prepared".

Two processes never render the same file: the job first takes it with one conditional
UPDATE (from "never asked", or from a "pending" so old that its process must have died),
so a job queued twice (two page views before a worker took it) renders once.
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
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

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

# Renders running in this process, for `wait_idle` (tests, where the worker runs in the
# test's process); a worker's renders are counted in the worker's process.
_running_lock = threading.Lock()
_running: set[str] = set()
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

    Never waits on a render: at most it queues the job for a worker (with TESTING's eager
    jobs, the render runs here before this returns).
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

    What the Celery job `triage.previews.render` runs. Returns the status it leaves:
    "ready", "too_large", "failed", None (the store failed: nothing remembered, a later
    request tries again), or the status another process is producing.
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
    with _running_lock:
        _running.add(evidence_id)
    try:
        return _render_taken(evidence_id, item)
    finally:
        with _running_lock:
            _running.discard(evidence_id)


def _render_taken(evidence_id: str, item: Evidence) -> str | None:
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


# --- queueing -------------------------------------------------------------------------------


# The page polls while a preview is pending: one job per file per minute from this
# process is enough (a job queued twice renders once anyway, but a busy queue need not
# fill with no-ops). Bounded: the oldest entries go first.
REQUEUE_AFTER_SECONDS = 60.0
_QUEUED_MEMORY = 10_000
_queued_lock = threading.Lock()
_queued_at: OrderedDict[str, float] = OrderedDict()


def schedule(evidence_id: str) -> bool:
    """Queue the render job of `evidence_id` for a worker; True if it was queued now.

    Returns at once (a broker that is down costs at most about 2 s, and a later request
    for the preview queues it again). Needs an app context.
    """
    from triage.jobs import enqueue

    now = time.monotonic()
    with _queued_lock:
        last = _queued_at.get(evidence_id)
        if last is not None and now - last < REQUEUE_AFTER_SECONDS:
            return False
        _queued_at[evidence_id] = now
        _queued_at.move_to_end(evidence_id)
        while len(_queued_at) > _QUEUED_MEMORY:
            _queued_at.popitem(last=False)
    if enqueue("triage.previews.render", evidence_id):
        return True
    with _queued_lock:
        _queued_at.pop(evidence_id, None)
    return False


def running() -> int:
    """How many renders run in this process now."""
    with _running_lock:
        return len(_running)


def wait_idle(timeout: float = 60.0) -> bool:
    """Wait until no render runs in this process (tests: an eager or in-process worker).

    A worker in another process is not seen; its renders end on their own time limit.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not running():
            return True
        time.sleep(0.02)
    return False
