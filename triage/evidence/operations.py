"""Adding evidence: check, store the object, add the row; the edge commits.

If the transaction that would record the row does not commit, the object is deleted
again (session hooks below), so a failed commit leaves no object without a row. A crash
between the two is what `flask evidence sweep` is for.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import BinaryIO

from flask import current_app
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from storage import EvidenceStore, StorageError, new_key
from triage.errors import Msg, StoreUnavailable, UnknownMaterial
from triage.evidence.checks import FileRefused, check_upload, read_limited
from triage.evidence.models import Evidence
from triage.extensions import db
from triage.history.models import record
from triage.metrics import count_refusals
from triage.requirements import DOCUMENT_KEYS, INFORMATION_KEYS
from triage.text import excerpt
from triage.tickets import status as st
from triage.tickets.models import Ticket, new_id
from triage.tickets.status import TRANSITIONS
from triage.tickets.transitions import lost
from triage.timeutil import utcnow

log = logging.getLogger(__name__)
_PENDING = "evidence_keys_pending"
_ANALYSE = "evidence_to_analyse"  # session.info: ids whose analysis is enqueued at commit


def evidence_store() -> EvidenceStore:
    return current_app.extensions["evidence_store"]


@count_refusals  # triage_upload_refusals_total, by code (GET /metrics)
def add_evidence(
    ticket: Ticket, material: str, filename: str, stream: BinaryIO, actor: str = "customer"
) -> Evidence:
    """Check the file, store it, then add its row under the ticket's lock; the caller commits.

    Raises FileRefused (`415`/`400`) or UnknownMaterial (`422`) before anything is stored.
    Then the object is stored, and only then the database is touched, so no lock is held
    while the store works: one conditional UPDATE takes the ticket's row if the ticket is
    still editable (api.md "Statuses": `draft` or `needs_more_info`; else InvalidState,
    `409 invalid_state`) and one more file stays within `TICKET_MAX_FILES`/
    `TICKET_MAX_BYTES` (else FileRefused `file_too_large`, `413`), counting it in the
    ticket's totals; the row and its history event are added for the commit's flush (two
    INSERTs). With the caller's token lookup that is four statements and the commit.
    The lock (the row on PostgreSQL, the database on SQLite) is held to the commit, so
    parallel uploads, a submission or a withdrawal serialise with this one and
    the cap holds (security.md "State, text and load"). Whatever refuses after the store
    leaves the object to the session hook below, which deletes it when the transaction
    ends without a commit.
    """
    st.require(ticket.status, st.EDITABLE, "add files")  # early answer; the UPDATE decides
    if material not in DOCUMENT_KEYS:
        # A short excerpt only: the key was 400 KB once.
        if material in INFORMATION_KEYS:
            raise UnknownMaterial(
                Msg(
                    "“%(key)s” is not a document this product knows. It is an information "
                    "item: type it in the information form instead.",
                    key=excerpt(material),
                )
            )
        raise UnknownMaterial(
            Msg("“%(key)s” is not a document this product knows.", key=excerpt(material))
        )
    max_bytes = current_app.config["MAX_FILE_BYTES"]
    checked = check_upload(filename, read_limited(stream, max_bytes), max_bytes)

    key = new_key(ticket.id)
    # Registered before the upload: a save that fails half-way (a timeout after S3 wrote
    # the object) is deleted again when the transaction ends without a commit.
    db.session.info.setdefault(_PENDING, []).append(key)
    try:
        evidence_store().save(
            key, checked.data, content_type=checked.content_type, sha256_hex=checked.sha256
        )
    except StorageError as exc:
        log.error("evidence store refused %s: %s", key, exc)
        raise StoreUnavailable(
            "We could not store your file just now. Nothing was saved; please try again "
            "in a few minutes."
        ) from exc
    _take_ticket_for_upload(ticket, checked.size)  # the row is ours until the commit
    from triage.evidence.analysis import initial_state  # it imports this module

    item = Evidence(
        id=new_id(),  # set here, so the INSERT needs nothing back before the event's
        ticket_id=ticket.id,
        material=material,
        filename=checked.filename,
        size=checked.size,
        content_type=checked.content_type,
        sha256=checked.sha256,
        storage_key=key,
        warnings=list(checked.warnings),
        uploaded_at=utcnow(),
        # api.md "Evidence analysis": analysed by a job enqueued after the commit.
        analysis=initial_state(checked.content_type),
    )
    if item.analysis == "pending":
        db.session.info.setdefault(_ANALYSE, []).append(item.id)
    # Added to the session, not to `ticket.evidence`: appending would load the collection,
    # one more query on the hottest path. The row and the event go out in the commit's
    # flush: two INSERTs, after the token lookup and the guarded UPDATE.
    db.session.add(item)
    record(
        ticket.id,
        actor,
        "evidence_uploaded",
        evidence_id=item.id,
        material=material,
        filename=item.filename,
        size=item.size,
        sha256=item.sha256,
        warnings=item.warnings,
    )
    return item


def _take_ticket_for_upload(ticket: Ticket, size: int) -> None:
    """Take the ticket's row for an upload of `size` bytes, checking status and caps at once.

    One conditional UPDATE (api.md "Statuses", security.md "State, text and load"): the
    ticket is still editable (`status.TRANSITIONS["upload"]`), and one more file of `size`
    bytes keeps it within TICKET_MAX_FILES and TICKET_MAX_BYTES; it adds the file to the
    running totals. On PostgreSQL a parallel upload waits for our commit and then
    re-checks the WHERE against the committed totals, so the caps hold under any
    interleaving (on SQLite the UPDATE takes the database's write lock). Only when it
    matches nothing is the row read again, to say why: FileRefused `file_too_large` (413)
    for a cap, InvalidState (409) for the status, with the messages as before.
    """
    max_files = current_app.config["TICKET_MAX_FILES"]
    max_bytes = current_app.config["TICKET_MAX_BYTES"]
    now = utcnow()
    totals = db.session.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket.id,
            Ticket.status.in_(TRANSITIONS["upload"].start),
            Ticket.evidence_count <= max_files - 1,
            Ticket.evidence_bytes <= max_bytes - size,
        )
        .values(
            evidence_count=Ticket.evidence_count + 1,
            evidence_bytes=Ticket.evidence_bytes + size,
            updated_at=now,
        )
        .returning(Ticket.evidence_count, Ticket.evidence_bytes)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if totals is not None:
        # The loaded copy takes the written values as its own: nothing to re-read or flush.
        set_committed_value(ticket, "updated_at", now)
        set_committed_value(ticket, "evidence_count", totals.evidence_count)
        set_committed_value(ticket, "evidence_bytes", totals.evidence_bytes)
        return
    row = db.session.execute(
        select(Ticket.status, Ticket.evidence_count, Ticket.evidence_bytes).where(
            Ticket.id == ticket.id
        )
    ).one_or_none()
    if row is None or row.status not in TRANSITIONS["upload"].start:
        raise lost(ticket.id, "upload")
    count, total = row.evidence_count, row.evidence_bytes
    raise FileRefused(
        "file_too_large",
        Msg(
            "This ticket already holds %(count)s files (%(size)s); a ticket may hold at most "
            "%(max_files)s files and %(max_size)s in all. Ask the reviewer if you need to "
            "send more.",
            count=count,
            size=_size(total),
            max_files=max_files,
            max_size=_size(max_bytes),
        ),
    )


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def open_evidence(item: Evidence) -> BinaryIO:
    return evidence_store().open(item.storage_key)


def sweep_orphans(store: EvidenceStore, grace: timedelta, dry_run: bool = False) -> list[str]:
    """Delete stored objects older than `grace` that no evidence row points to.

    A preview derived from a file (`<key>.preview/page-<n>.png`) belongs to that file's
    key: it stays while the key has a row, and an orphaned file goes with its previews.
    """
    from storage import delete_with_derived, evidence_key_of

    cutoff = utcnow() - grace
    removed: list[str] = []
    for obj in list(store.list("tickets/")):  # listed first: deleting changes the listing
        if obj.modified_at > cutoff or obj.key in removed:
            continue  # may belong to a request that has not committed yet
        owner = evidence_key_of(obj.key)
        if db.session.scalar(select(Evidence.id).where(Evidence.storage_key == owner)):
            continue
        if dry_run:
            removed.append(obj.key)
        elif obj.key == owner:
            removed.extend(k for k in delete_with_derived(store, owner) if k not in removed)
        else:
            store.delete(obj.key)
            removed.append(obj.key)
    return removed


def _forget_committed(session: Session) -> None:
    session.info.pop(_PENDING, None)
    ids = session.info.pop(_ANALYSE, None)
    if ids:
        from triage.jobs import enqueue

        for evidence_id in ids:
            # Never on the request path: a worker does it (eagerly here only in tests). A
            # broker that refuses leaves the row pending: the analysis sweep enqueues it.
            enqueue("triage.evidence.analyse", evidence_id)


def _delete_uncommitted(session: Session, transaction) -> None:
    # Only the outermost transaction decides; a savepoint's end says nothing yet.
    if transaction.parent is not None or transaction.nested:
        return
    session.info.pop(_ANALYSE, None)  # rolled back: the rows were never there
    keys = session.info.pop(_PENDING, None)
    if not keys:
        return
    store = current_app.extensions["evidence_store"]
    for key in keys:
        try:
            store.delete(key)
        except StorageError:
            log.warning("could not delete %s after a failed commit; the sweeper will", key)


_registered = False


def register_session_hooks() -> None:
    global _registered
    if _registered:
        return
    event.listen(db.session, "after_commit", _forget_committed)
    event.listen(db.session, "after_transaction_end", _delete_uncommitted)
    _registered = True
