"""What is inside an uploaded file, read on a worker and stored on its row (api.md
"Evidence analysis").

The upload stores `analysis = "pending"` for pictures and PDFs ("skipped" for Office
files) and, after its commit, enqueues the job `triage.evidence.analyse`
(triage.evidence.analysis_tasks), which calls `analyse_evidence`:

1. the row is read (nothing to do unless it is still pending: a second run changes
   nothing) and the read transaction ends, so no lock or snapshot is held while
   Tesseract works;
2. the pure engine (`triage.analysis.analyse`) reads the bytes from the evidence store,
   with the material as its hint and the names the customer typed;
3. this module adds what needs other rows: `near_duplicate` (an image within
   `phash.NEAR_IDENTICAL` bits of one on another account's ticket) and `same_as_rejected`
   (the same SHA-256 as a file a reviewer rejected on this ticket);
4. one conditional UPDATE stores the result while the row is still pending and not
   purged; only the run that wins it flags the ticket, stores the masked preview's
   history and records `evidence_analysed` (codes only).

Findings are stored as codes, severities and values, never as sentences: each reader gets
the words of `MESSAGES` in their language (`findings_json`). A full card number is never
stored, logged or returned: the engine gives only its first six and last four digits, and
the picture with the middle digits hidden, stored next to the file (`masked_key`).
A failure sets `failed` and is logged; it never reaches the customer.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from storage import StorageError, preview_key
from triage.analysis import FINDINGS, IMAGE_TYPES, PDF_TYPE
from triage.evidence.models import Evidence
from triage.evidence.operations import evidence_store
from triage.extensions import db
from triage.history.models import record
from triage.tickets import status as st
from triage.tickets.flags import account_key
from triage.tickets.models import PRIORITIES, Ticket, TicketFlag
from triage.timeutil import utcnow

if TYPE_CHECKING:
    from triage.analysis.analyse import Analysis

log = logging.getLogger(__name__)

SYSTEM = "system"
PENDING, DONE, FAILED, SKIPPED = "pending", "done", "failed", "skipped"
STATES = (PENDING, DONE, FAILED, SKIPPED)
ANALYSED_TYPES = IMAGE_TYPES | {PDF_TYPE}

# near_duplicate: the most recently analysed pictures of other accounts compared with a new
# one. Hamming distance has no index in SQL, so the candidates are read through the
# `analysed_at` index (16 hex digits and an id each, about 60 bytes) and compared here:
# 20,000 rows take about 30 ms and 1.5 MB per file. Past that a file is compared with
# the newest 20,000 only (a BK-tree, or nine exact-match bands of the 64 bits, would
# make it sub-linear: a new column and migration).
NEAR_DUPLICATE_WINDOW = 20_000
# The masked preview of a card photo is stored as a "page" the preview renderer never
# reaches (triage.review.preview.MAX_PAGES is 30): it shares the file's derived-object
# prefix, so it goes with the file (removal, retention purge) and the orphan sweep keeps
# it while the file has a row, without a new key shape in `storage`.
MASKED_PAGE = 999
# A pending analysis untouched this long lost its job (broker down at commit, worker
# killed): `stale_pending` finds it for the sweep to enqueue again.
STALE_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 200

# Each finding's words, defined once: (advice for the customer, in their language; what a
# reviewer reads, in English, with the values measured). None: the customer is not shown
# it (near_duplicate speaks of other accounts' tickets: recovery.md "never tells a
# stranger").
MESSAGES: dict[str, tuple[Any, str]] = {
    "blurry": (
        _l(
            "This photo looks blurred. Hold the phone steady and tap to focus, then upload it "
            "again."
        ),
        "Blurred: sharpness %(sharpness)s, below %(threshold)s.",
    ),
    "glare": (
        _l(
            "A reflection hides part of this photo. Turn off the flash or tilt the document "
            "away from the light, then upload it again."
        ),
        "Glare: saturated areas cover %(glare_share)s of the picture.",
    ),
    "too_dark": (
        _l("This photo is too dark to read. Take it again in a brighter place."),
        "Too dark: mean brightness %(brightness)s, below %(threshold)s.",
    ),
    "low_resolution": (
        _l(
            "This picture is small, so its details may be hard to read. Please upload a "
            "larger photo or scan if you can."
        ),
        "Low resolution (%(width)s x %(height)s pixels).",
    ),
    "card_number_visible": (
        _l(
            "The full card number can be read on this photo. Cover the middle digits of the "
            "card number and upload it again, then remove this file."
        ),
        "A full card number is readable (%(first6)s…%(last4)s): shown masked below.",
    ),
    "mrz_invalid": (
        _l(
            "We could not check the two lines of code at the bottom of the passport page. "
            "Please upload a sharp photo of the whole page, including those lines."
        ),
        "The machine-readable zone fails its check digits (%(failed_checks)s).",
    ),
    "document_expired": (
        _l(
            "This document seems to have expired. If you have a valid one, please upload it "
            "instead."
        ),
        "The document expired on %(expiry_date)s.",
    ),
    "name_mismatch": (
        _l(
            "The name on this document does not match the name you typed. Please check that "
            "you typed your full name as it appears on your identity document."
        ),
        "The name read (%(read)s) differs from the name typed (%(typed)s).",
    ),
    "same_as_rejected": (
        _l(
            "This is the same file as one that was not accepted before. Please send a "
            "different file."
        ),
        "The same file (same SHA-256) was already rejected on this ticket.",
    ),
    "near_duplicate": (
        None,
        "Nearly identical (%(distance)s bits of its perceptual hash differ) to a file on ticket "
        "%(reference)s, of another account.",
    ),
}
assert set(MESSAGES) == set(FINDINGS)  # every finding has its words
CUSTOMER_HIDDEN = frozenset(code for code, (advice, _) in MESSAGES.items() if advice is None)


def initial_state(content_type: str) -> str:
    """The `analysis` an upload inserts: pending for pictures and PDFs, else skipped (and
    skipped for every file when `EVIDENCE_ANALYSIS` is off)."""
    if not current_app.config.get("EVIDENCE_ANALYSIS", True):
        return SKIPPED
    return PENDING if content_type in ANALYSED_TYPES else SKIPPED


def masked_key(storage_key: str) -> str:
    """Where the picture with a card number's middle digits hidden is stored."""
    return preview_key(storage_key, MASKED_PAGE, "png")


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list | tuple):
        return ", ".join(_shown(v) for v in value)
    return str(value)


def _words(code: str, template: str, values: dict[str, Any]) -> str:
    try:
        return template % {k: _shown(v) for k, v in values.items()}
    except (KeyError, TypeError, ValueError):  # values of an older engine: the code in words
        return code.replace("_", " ").capitalize() + "."


def findings_json(item: Evidence, reviewer: bool = False) -> list[dict[str, str]]:
    """api.md "Evidence analysis": [{code, severity, message}] for one reader. Customers
    read advice in their language (never `near_duplicate`); reviewers read facts."""
    if item.analysis != DONE:
        return []
    out = []
    for finding in item.findings or []:
        code = finding.get("code")
        advice, facts = MESSAGES.get(code, (None, code or ""))
        if reviewer:
            message = _words(code or "", facts, finding.get("values") or {})
        elif advice is None:
            continue
        else:
            message = str(advice)
        out.append({"code": code, "severity": finding.get("severity"), "message": message})
    return out


# --- the job's work ---------------------------------------------------------------------------


@dataclass
class _Work:
    """What the analysis needs of the row, read before the read transaction ends."""

    evidence_id: str
    ticket_id: str
    material: str
    content_type: str
    sha256: str
    storage_key: str
    account_key: str
    typed_names: list[str] = field(default_factory=list)


def typed_names(ticket: Ticket) -> list[str]:
    """The names the customer typed (api.md `name_mismatch`), each once, stripped: the
    `user_name` information item where the ticket has one, and `holder_name`, the optional
    creation field ("your full name as it appears on your identity document")."""
    names = [(ticket.information or {}).get("user_name"), ticket.holder_name]
    seen: list[str] = []
    for name in names:
        if isinstance(name, str) and name.strip() and name.strip() not in seen:
            seen.append(name.strip())
    return seen


def _work(evidence_id: str) -> _Work | None:
    item = db.session.get(Evidence, evidence_id) if len(evidence_id) <= 32 else None
    if item is None or item.analysis != PENDING:
        return None
    ticket = item.ticket
    return _Work(
        evidence_id=item.id,
        ticket_id=item.ticket_id,
        material=item.material,
        content_type=item.content_type,
        sha256=item.sha256,
        storage_key=item.storage_key,
        account_key=account_key(ticket),
        typed_names=typed_names(ticket),
    )


def _read(work: _Work) -> bytes:
    with evidence_store().open(work.storage_key) as stream:
        data = stream.read()
    if hashlib.sha256(data).hexdigest() != work.sha256:
        raise StorageError("the stored file does not match its recorded SHA-256")
    return data


def _near_duplicate(work: _Work, analysis: Analysis) -> dict[str, Any] | None:
    """The nearest file of the same kind on another account's ticket within that kind's
    threshold (phash.near_threshold), unless what was read shows a different document
    (phash.distinct_by_content).

    Photos (JPEG, PNG) are compared with photos by their 64-bit hash, within
    NEAR_IDENTICAL bits; the first pages of PDFs with the first pages of PDFs by the
    4,096-bit hash of their ink, within PAGE_NEAR_IDENTICAL: two statements of one bank's
    layout are far apart there, where 64 bits made them as near as copies. Only hashes of
    one length are compared (a PDF hashed before the page hash has 16 digits: skipped).
    """
    from triage.analysis import phash as phash_module

    value = analysis.phash
    if not value or phash_module.featureless(value):
        return None

    kinds = sorted(IMAGE_TYPES) if work.content_type in IMAGE_TYPES else [PDF_TYPE]
    threshold = phash_module.near_threshold(value)
    candidates = db.session.execute(
        select(Evidence.id, Evidence.phash, Ticket.reference)
        .join(Ticket, Ticket.id == Evidence.ticket_id)
        .where(
            Evidence.phash.is_not(None),
            Evidence.content_type.in_(kinds),
            func.length(Evidence.phash) == len(value),
            Evidence.id != work.evidence_id,
            Evidence.purged_at.is_(None),
            Ticket.account_key != work.account_key,
        )
        .order_by(Evidence.analysed_at.desc())
        .limit(NEAR_DUPLICATE_WINDOW)
    ).all()
    near = sorted(
        (distance, row.id, row.reference)
        for row in candidates
        if (distance := phash_module.hamming(value, row.phash)) <= threshold
    )
    for distance, other_id, reference in near:
        other = db.session.scalar(select(Evidence.extracted).where(Evidence.id == other_id))
        if not phash_module.distinct_by_content(analysis.extracted, other):
            return {"distance": distance, "evidence_id": other_id, "reference": reference}
    return None


def _same_as_rejected(work: _Work) -> bool:
    rejected = select(Evidence.id).where(
        Evidence.ticket_id == work.ticket_id,
        Evidence.sha256 == work.sha256,
        Evidence.id != work.evidence_id,
        Evidence.decision == "rejected",
    )
    return db.session.scalar(rejected.limit(1)) is not None


def _findings(work: _Work, analysis: Analysis) -> list[dict[str, Any]]:
    findings = [f.as_dict() for f in analysis.findings]
    near = _near_duplicate(work, analysis)
    if near:
        findings.append({"code": "near_duplicate", "severity": "warning", "values": near})
    if _same_as_rejected(work):
        findings.append({"code": "same_as_rejected", "severity": "warning", "values": {}})
    return findings


def _store_masked(work: _Work, analysis: Analysis) -> bool:
    if not analysis.masked_preview:
        return False
    data = analysis.masked_preview
    evidence_store().save(
        masked_key(work.storage_key),
        data,
        content_type="image/png",
        sha256_hex=hashlib.sha256(data).hexdigest(),
    )
    return True


def _finish(work: _Work, state: str, **values: Any) -> bool:
    """The one conditional UPDATE: only while the row is pending and not purged."""
    won = db.session.execute(
        update(Evidence)
        .where(
            Evidence.id == work.evidence_id,
            Evidence.analysis == PENDING,
            Evidence.purged_at.is_(None),
        )
        .values(analysis=state, analysed_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    return won == 1


def _flag_near_duplicate(ticket_id: str) -> None:
    """Flag the ticket `near_duplicate` and raise its priority (like `duplicate_evidence`,
    triage.tickets.flags), through the guarded UPDATE of its row: the row lock orders this
    with a submission's flags, so the flag row is inserted once."""
    high = PRIORITIES.index("high")
    if not _guarded_priority(ticket_id, high):
        return  # decided or withdrawn: nothing left to prioritise
    present = db.session.scalar(
        select(TicketFlag.flag).where(
            TicketFlag.ticket_id == ticket_id, TicketFlag.flag == "near_duplicate"
        )
    )
    if present is None:
        db.session.add(TicketFlag(ticket_id=ticket_id, flag="near_duplicate"))


def _guarded_priority(ticket_id: str, rank: int) -> bool:
    from triage.tickets.transitions import guarded_update

    return guarded_update(ticket_id, (*st.WITHDRAWABLE, st.DISPUTED), priority_rank=rank)


def analyse_evidence(evidence_id: str, *, give_up: bool = True, today: date | None = None) -> str:
    """Analyse one stored file and store what was found (api.md "Evidence analysis").

    Returns what happened: "done", "failed", or "unchanged" (not pending: already
    analysed, skipped, removed or purged; a second run changes nothing). The store not
    answering raises StorageError unless `give_up` (the job's last attempt), which marks the
    file `failed`, like any other failure. Flushes; the job commits.
    """
    work = _work(evidence_id)
    # The read ends here: no snapshot or lock is held while the file is read and OCR runs.
    db.session.rollback()
    if work is None:
        return "unchanged"
    try:
        data = _read(work)
    except StorageError as exc:
        if not give_up:
            raise
        log.error("analysis of evidence %s: the store failed: %s", evidence_id, exc)
        return _failed(work, "the file could not be read from the store")
    try:
        # Imported here: the engine (numpy, scipy) is loaded by the workers that run it,
        # never by the web processes, which import this module for the findings' words.
        from triage.analysis.analyse import analyse

        analysis = analyse(
            data,
            work.content_type,
            work.material,
            work.typed_names,
            today or utcnow().date(),
        )
        findings = _findings(work, analysis)
        masked = _store_masked(work, analysis)
    except Exception as exc:  # the engine or the store: the file stays, marked failed
        log.exception("analysis of evidence %s failed (%s)", evidence_id, type(exc).__name__)
        db.session.rollback()
        return _failed(work, type(exc).__name__)
    if not _finish(
        work,
        DONE,
        findings=findings,
        extracted=analysis.extracted or None,
        phash=analysis.phash,
    ):
        return "unchanged"  # another run stored it first (its masked preview is the same)
    codes = [f["code"] for f in findings]
    if "near_duplicate" in codes:
        _flag_near_duplicate(work.ticket_id)
    record(
        work.ticket_id,
        SYSTEM,
        "evidence_analysed",
        evidence_id=work.evidence_id,
        material=work.material,
        analysis=DONE,
        codes=codes,
        masked_preview=masked or None,
        skipped=[s.split(":", 1)[0] for s in analysis.skipped],
    )
    db.session.flush()
    return DONE


def _failed(work: _Work, why: str) -> str:
    if not _finish(work, FAILED, findings=[], extracted=None, phash=None):
        return "unchanged"
    record(
        work.ticket_id,
        SYSTEM,
        "evidence_analysed",
        evidence_id=work.evidence_id,
        material=work.material,
        analysis=FAILED,
        codes=[],
        error=why[:200],
    )
    db.session.flush()
    return FAILED


def mark_failed(evidence_id: str, why: str) -> str:
    """Mark a still-pending analysis failed (the job ran out of time or retries)."""
    work = _work(evidence_id)
    return _failed(work, why) if work is not None else "unchanged"


def stale_pending(limit: int = SWEEP_BATCH) -> list[str]:
    """Files still pending STALE_AFTER after their upload: their job was lost."""
    cutoff = utcnow() - STALE_AFTER
    rows = db.session.scalars(
        select(Evidence.id)
        .where(Evidence.analysis == PENDING, Evidence.uploaded_at < cutoff)
        .order_by(Evidence.uploaded_at)
        .limit(limit)
    )
    return list(rows)


def masked_preview(item: Evidence) -> bytes | None:
    """The stored picture with the card number's middle digits hidden, if there is one."""
    if item.purged_at is not None or not any(
        f.get("code") == "card_number_visible" for f in item.findings or []
    ):
        return None
    with evidence_store().open(masked_key(item.storage_key)) as stream:
        return stream.read()


def read_masked(item: Evidence, reviewer: Any) -> bytes:
    """The masked card photo for a reviewer, written to the history as a read of the file
    (`evidence_read`, via "masked"), like every other way of seeing it.

    NotFound when the file has none (no card number was read, or it was purged);
    StoreUnavailable when the store fails.
    """
    from storage import ObjectMissing
    from triage.errors import NotFound, StoreUnavailable
    from triage.review.operations import reads

    try:
        picture = masked_preview(item)
    except ObjectMissing:
        picture = None
    except StorageError as exc:
        log.error("cannot read the masked copy of %s: %s", item.id, exc)
        raise StoreUnavailable(
            "The masked copy could not be read from storage just now. Try again in a few minutes."
        ) from exc
    if picture is None:
        raise NotFound("This file has no masked copy.")
    reads._log_read(item, reviewer, "masked")
    return picture
