"""Previews off the request path (security.md "Showing it"; issue 8, item 4).

Rendering runs in a bounded child process, in the background; pictures are stored next
to the evidence and reused; a failure is remembered and the reviewer reads "too large to
preview, download it instead"; no request waits on a render.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pikepdf
import pytest
import requests
from kombu.transport import memory
from PIL import Image

from storage import ObjectMissing, new_key, preview_key
from tests.conftest import FIXTURES, csrf_token
from tests.notifications.conftest import api_reviewer
from tests.review.helpers import PASSWORD, ApiReviewer, evidence_ids, sign_in
from triage.review import preview, previews

pytestmark = pytest.mark.skipif(not preview.available(), reason="poppler-utils not installed")

COSTLY_SIDE = 30_000


def costly_pdf(pages: int = 30, side: int = COSTLY_SIDE) -> bytes:
    """costly_render_30_pages.pdf's shape: A4 pages each drawing a side x side image.

    The image is 1-bit and all zeros, so its Flate stream is about 110 KB and shared by
    every page; poppler still decodes all 900 million pixels of it for each page.
    """
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, zlib.compress(bytes((side + 7) // 8 * side), 9))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width = image.Height = side
    image.BitsPerComponent = 1
    image.ColorSpace, image.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.FlateDecode
    image = pdf.make_indirect(image)
    for _ in range(pages):
        page = pdf.add_blank_page(page_size=(595, 842))
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.Contents = pdf.make_stream(b"q 595 0 0 595 0 123 cm /Im0 Do Q")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def rotated_jpeg() -> bytes:
    """A 400 x 200 phone photo stored sideways: EXIF orientation 6 (turn 90 degrees)."""
    image = Image.new("RGB", (400, 200), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, 100, 200))  # a blue left edge, to see where it goes
    exif = image.getexif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def stored_evidence(app, reference: str, material: str, data: bytes, content_type: str) -> str:
    """Store a file and its row directly, as add_evidence would after its checks.

    Used for the costly PDF: whether intake accepts it is not what these tests are about.
    """
    from sqlalchemy import select

    from triage.evidence.models import Evidence
    from triage.evidence.operations import evidence_store
    from triage.extensions import db
    from triage.tickets.models import Ticket

    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        key = new_key(ticket.id)
        sha = hashlib.sha256(data).hexdigest()
        evidence_store().save(key, data, content_type=content_type, sha256_hex=sha)
        item = Evidence(
            ticket_id=ticket.id,
            material=material,
            filename=f"{material}.pdf",
            size=len(data),
            content_type=content_type,
            sha256=sha,
            storage_key=key,
            warnings=[],
        )
        db.session.add(item)
        db.session.commit()
        return item.id


def row(app, evidence_id: str):
    """The evidence row as stored now (a detached copy)."""
    from triage.evidence.models import Evidence
    from triage.extensions import db

    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        db.session.expunge(item)
        return item


def change(app, evidence_id: str, **values) -> None:
    """Set columns of an evidence row and commit, as another process would."""
    from triage.evidence.models import Evidence
    from triage.extensions import db

    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        for name, value in values.items():
            setattr(item, name, value)
        db.session.commit()


def render(app, evidence_id: str) -> str | None:
    """The job's work, run here (as the worker runs it, in its own app context)."""
    with app.app_context():
        return previews.render_previews(evidence_id)


def store(app):
    """The app's evidence store (built once per app, so usable outside a context)."""
    return app.extensions["evidence_store"]


class PromptMemoryTransport(memory.Transport):
    """kombu's in-memory broker (the same queues, `memory.Channel.queues`) that looks for a
    message every 10 ms and returns to the worker's loop after 50 ms without one.

    Celery's loop for such brokers asks for messages with a 2 s timeout and checks for
    shutdown only between asks, and kombu looks once a second: each test waited about 3 s
    for its worker to stop and up to 1 s for each job to start. Only when the worker looks
    changes; what it does with a message does not.
    """

    polling_interval = 0.01

    def drain_events(self, connection, timeout: float | None = None):
        return super().drain_events(connection, timeout=min(timeout or 0.05, 0.05))


@pytest.fixture(autouse=True)
def worker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests with an app render on a real Celery worker in this process (memory broker),
    so page views only queue renders, as in production."""
    if "app" not in request.fixturenames:
        yield
        return
    from celery.contrib.testing.worker import start_worker
    from kombu.transport.memory import Channel

    request.getfixturevalue("app_config").update(
        CELERY_BROKER_URL="memory://",
        CELERY_TASK_ALWAYS_EAGER=False,
        CELERY={"broker_transport": f"{__name__}:PromptMemoryTransport"},
    )
    app = request.getfixturevalue("app")
    Channel.queues.clear()  # nothing left from another test's app
    with start_worker(
        app.extensions["celery"], pool="threads", concurrency=2, perform_ping_check=False
    ):
        # One job through the broker first (a file that does not exist: a no-op), so the
        # timed requests do not pay for setting up the producer pool, as no request in a
        # running server does.
        with app.app_context():
            app.extensions["celery"].tasks["triage.previews.render"].delay("0" * 32)
        settle()
        yield
        settle()


@pytest.fixture
def reviewer(app) -> ApiReviewer:
    return api_reviewer(app, "rita@example.com", "reviewer")


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts child-process renders (the real renderer runs; this only records each call)."""
    calls: list[str] = []
    real = preview.render

    def counted(data: bytes, content_type: str, limits: preview.Limits = preview.LIMITS):
        calls.append(content_type)
        return real(data, content_type, limits)

    monkeypatch.setattr(preview, "render", counted)
    yield calls
    settle()


@pytest.fixture
def desk(app, reviewer):
    client = app.test_client()
    sign_in(client, reviewer.email)
    return client


def _queued() -> int:
    from kombu.transport.memory import Channel

    queue = Channel.queues.get("triage")
    return queue.qsize() if queue is not None else 0


def _busy() -> bool:
    from celery.worker import state

    return bool(_queued() or state.active_requests or state.reserved_requests or previews.running())


def settle(timeout: float = 60) -> None:
    """Wait until the worker has nothing queued or running (three quiet looks in a row)."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 3:
        assert time.monotonic() < deadline, "the background render did not finish"
        quiet = 0 if _busy() else quiet + 1
        time.sleep(0.02)


# --- the renderer and its limits -------------------------------------------------------------


def test_the_costly_pdf_really_is_costly_and_the_pixel_cap_refuses_it_before_rendering():
    data = costly_pdf()
    assert len(data) < 300_000  # small on the wire, like the 2.6 MB original
    # Without the pixel cap, poppler is still working on it when the time limit kills it.
    started = time.monotonic()
    with pytest.raises(preview.PreviewFailed, match=r"longer than 1\.5 s") as slow:
        preview.render(data, "application/pdf", preview.Limits(pixels=10**13, wall_seconds=1.5))
    assert slow.value.too_large
    assert 1.5 <= time.monotonic() - started < 5
    # With it, the file is refused from its structure, before any pixel is drawn.
    started = time.monotonic()
    with pytest.raises(preview.PreviewFailed, match="900,000,000 pixels") as refused:
        preview.render(data, "application/pdf")
    assert refused.value.too_large
    assert time.monotonic() - started < 1.5


def test_the_cpu_limit_stops_a_render():
    limits = preview.Limits(pixels=10**13, cpu_seconds=1, wall_seconds=20)
    with pytest.raises(preview.PreviewFailed, match="more than 1 s of CPU") as caught:
        preview.render(costly_pdf(pages=3), "application/pdf", limits)
    assert caught.value.too_large


def test_inline_images_and_nested_forms_count_towards_the_pixel_cap():
    side = 20_000
    pdf = pikepdf.new()
    pixels = zlib.compress(bytes((side + 7) // 8 * side), 9)
    inline = pdf.add_blank_page(page_size=(200, 200))
    inline.Contents = pdf.make_stream(
        b"q 100 0 0 100 0 0 cm BI /W 20000 /H 20000 /BPC 1 /CS /G /F /Fl ID " + pixels + b"\nEI Q"
    )
    image = pikepdf.Stream(pdf, pixels)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width = image.Height = side
    image.BitsPerComponent, image.ColorSpace = 1, pikepdf.Name.DeviceGray
    image.Filter = pikepdf.Name.FlateDecode
    form = pdf.make_stream(b"/Im0 Do")
    form.Type, form.Subtype, form.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 1, 1]
    form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    nested = pdf.add_blank_page(page_size=(200, 200))
    nested.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm0=form))
    nested.Contents = pdf.make_stream(b"q 100 0 0 100 0 0 cm /Fm0 Do Q")
    for number in (1, 2):
        single = pikepdf.new()
        single.pages.append(pdf.pages[number - 1])
        out = io.BytesIO()
        single.save(out)
        with pytest.raises(preview.PreviewFailed, match="400,000,000 pixels"):
            preview.render(out.getvalue(), "application/pdf")


def test_an_image_over_the_pixel_cap_is_refused_from_its_header():
    out = io.BytesIO()
    Image.new("1", (8_000, 8_000)).save(out, "PNG")
    with pytest.raises(preview.PreviewFailed, match="64,000,000 pixels") as caught:
        preview.render(out.getvalue(), "image/png")
    assert caught.value.too_large


def test_a_photo_is_turned_upright_and_fits_the_preview_box():
    picture = preview.render(rotated_jpeg(), "image/jpeg")
    assert picture.media_type == "image/jpeg"
    image = Image.open(io.BytesIO(picture.pages[0]))
    assert image.size == (200, 400)  # upright: the sideways 400 x 200 turned
    assert image.getpixel((100, 10))[2] > 150  # the blue edge is now at the top
    big = io.BytesIO()
    Image.new("RGB", (4000, 3000), "white").save(big, "PNG")
    assert Image.open(io.BytesIO(preview.render(big.getvalue(), "image/png").pages[0])).size == (
        1400,
        1050,
    )


# --- rendered once in the background, stored, reused -----------------------------------------


def test_a_pdf_preview_is_rendered_in_the_background_stored_and_reused(
    app, desk, reviewer, make_ticket, pdf_bytes, renders
):
    ticket = make_ticket()
    assert ticket.upload("passport", pdf_bytes, "passport.pdf").status_code == 201
    evidence = evidence_ids(ticket)["passport"]
    first = desk.get(f"/review/tickets/{ticket.reference}")
    assert first.status_code == 200
    assert "Preview being prepared" in first.text
    assert f'data-preview-poll="/review/evidence/{evidence}/preview"' in first.text
    assert f"/review/evidence/{evidence}/pages/1.png" not in first.text
    settle()
    assert renders == ["application/pdf"]
    item = row(app, evidence)
    assert (item.preview_status, item.preview_pages, item.preview_error) == ("ready", 1, None)
    # Stored next to the evidence, as a derived object of it.
    key = preview_key(item.storage_key, 1, "png")
    with store(app).open(key) as fh:
        stored = fh.read()
    assert stored.startswith(b"\x89PNG")

    again = desk.get(f"/review/tickets/{ticket.reference}")
    # (with the page's visit token: its pictures are one read per file, issue 13)
    assert f'<img src="/review/evidence/{evidence}/pages/1.png?visit=' in again.text
    assert "See every page (1)" in again.text
    assert "data-preview-poll" not in again.text
    poll = desk.get(f"/review/evidence/{evidence}/preview")
    assert poll.headers["X-Preview-Status"] == "ready"
    assert f"/review/evidence/{evidence}/pages/1.png" in poll.text
    viewer = desk.get(f"/review/evidence/{evidence}/pages")
    assert "1 page shown as pictures" in viewer.text
    image = desk.get(f"/review/evidence/{evidence}/pages/1.png")
    assert image.status_code == 200
    assert image.data == stored
    assert image.mimetype == "image/png"
    assert image.headers["Content-Disposition"].startswith("inline;")
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert desk.get(f"/review/evidence/{evidence}/pages/2.png").status_code == 404
    settle()
    assert renders == ["application/pdf"]  # every later request reused the stored pictures
    reads = [e for e in reviewer.history(ticket.reference) if e["action"] == "evidence_read"]
    assert [(r["details"]["via"], r["details"].get("page")) for r in reads] == [("preview", 1)]


def test_a_rotated_photo_gets_an_upright_preview_that_is_reused(
    app, desk, reviewer, make_ticket, renders
):
    ticket = make_ticket()
    assert ticket.upload("card_front", rotated_jpeg(), "card.jpg").status_code == 201
    evidence = evidence_ids(ticket)["card_front"]
    # Until the preview exists, the checked photo itself is shown, and nothing waits.
    page = desk.get(f"/review/tickets/{ticket.reference}")
    assert f'<img src="/review/evidence/{evidence}?visit=' in page.text
    assert desk.get(f"/review/evidence/{evidence}/pages/1.png").status_code in (200, 202)
    settle()
    page = desk.get(f"/review/tickets/{ticket.reference}")
    assert f'<img src="/review/evidence/{evidence}/pages/1.png?visit=' in page.text
    for _ in range(3):
        picture = desk.get(f"/review/evidence/{evidence}/pages/1.png")
        assert picture.status_code == 200
        assert picture.mimetype == "image/jpeg"
        assert Image.open(io.BytesIO(picture.data)).size == (200, 400)
    settle()
    assert renders == ["image/jpeg"]


def test_a_picture_asked_for_before_it_exists_answers_202_at_once(app, desk, make_ticket):
    ticket = make_ticket()
    ticket.upload("passport", (FIXTURES / "statement.pdf").read_bytes(), "passport.pdf")
    evidence = evidence_ids(ticket)["passport"]
    response = desk.get(f"/review/evidence/{evidence}/pages/1.png")
    assert response.status_code == 202
    assert response.headers["Retry-After"] == "2"
    viewer = desk.get(f"/review/evidence/{evidence}/pages")
    assert viewer.status_code == 200
    assert "The pages are being prepared" in viewer.text
    settle()
    assert desk.get(f"/review/evidence/{evidence}/pages/1.png").status_code == 200


def test_a_too_costly_pdf_fails_once_is_remembered_and_says_download_it(
    app, desk, reviewer, make_ticket, renders
):
    ticket = make_ticket()
    evidence = stored_evidence(app, ticket.reference, "passport", costly_pdf(), "application/pdf")
    assert desk.get(f"/review/evidence/{evidence}/pages/1.png").status_code == 202
    settle()
    item = row(app, evidence)
    assert item.preview_status == "too_large"
    assert "900,000,000 pixels" in item.preview_error
    page = desk.get(f"/review/tickets/{ticket.reference}")
    assert "Too large to preview, download it instead." in page.text
    assert f'href="/review/evidence/{evidence}?download=1"' in page.text
    assert desk.get(f"/review/evidence/{evidence}/pages/1.png").status_code == 404
    assert "Too large to preview" in desk.get(f"/review/evidence/{evidence}/pages").text
    poll = desk.get(f"/review/evidence/{evidence}/preview")
    assert poll.headers["X-Preview-Status"] == "too_large"
    settle()
    assert renders == ["application/pdf"]  # remembered: never rendered again


def test_a_flagged_pdf_is_never_rendered(app, desk, make_ticket, pdf_bytes, renders):
    ticket = make_ticket()
    ticket.upload("passport", pdf_bytes, "passport.pdf")
    evidence = evidence_ids(ticket)["passport"]
    change(app, evidence, warnings=["/JavaScript"])  # as intake flags active content
    assert desk.get(f"/review/evidence/{evidence}/pages/1.png").status_code == 404
    assert desk.get(f"/review/evidence/{evidence}/pages").status_code == 404
    page = desk.get(f"/review/tickets/{ticket.reference}")
    assert f"/review/evidence/{evidence}/pages" not in page.text
    assert "data-preview-poll" not in page.text
    settle()
    assert renders == []


# --- one render per file, across processes ---------------------------------------------------


def test_a_render_is_taken_by_one_conditional_update(app, make_ticket, pdf_bytes, renders):
    from triage.timeutil import utcnow

    ticket = make_ticket()
    ticket.upload("passport", pdf_bytes, "passport.pdf")
    evidence = evidence_ids(ticket)["passport"]
    # Another process took it a moment ago: this one does not render.
    change(app, evidence, preview_status="pending", preview_started_at=utcnow())
    assert render(app, evidence) == "pending"
    assert renders == []
    # That process died long ago: the render is taken again.
    stale = utcnow() - previews.STALE_AFTER - timedelta(seconds=1)
    change(app, evidence, preview_started_at=stale)
    assert render(app, evidence) == "ready"
    assert render(app, evidence) == "ready"  # done: nothing to take
    assert renders == ["application/pdf"]


def test_a_store_failure_is_not_remembered_as_a_preview_failure(
    app, make_ticket, pdf_bytes, monkeypatch
):
    ticket = make_ticket()
    ticket.upload("passport", pdf_bytes, "passport.pdf")
    evidence = evidence_ids(ticket)["passport"]
    evidence_store = store(app)
    real_open = evidence_store.open

    def unavailable(key: str):
        raise ObjectMissing("gone for a moment")

    monkeypatch.setattr(evidence_store, "open", unavailable)
    assert render(app, evidence) is None
    assert row(app, evidence).preview_status is None  # a later request tries again
    monkeypatch.setattr(evidence_store, "open", real_open)
    assert render(app, evidence) == "ready"


# --- the sweeper keeps previews of existing evidence -----------------------------------------


def test_the_sweeper_keeps_previews_of_evidence_and_removes_an_orphans_previews(
    app, make_ticket, pdf_bytes
):
    from triage.evidence.operations import sweep_orphans

    ticket = make_ticket()
    ticket.upload("passport", pdf_bytes, "passport.pdf")
    evidence = evidence_ids(ticket)["passport"]
    assert render(app, evidence) == "ready"
    item = row(app, evidence)
    kept = preview_key(item.storage_key, 1, "png")
    objects = store(app)
    orphan = new_key(item.ticket_id)
    objects.save(
        orphan,
        pdf_bytes,
        content_type="application/pdf",
        sha256_hex=hashlib.sha256(pdf_bytes).hexdigest(),
    )
    orphan_page = preview_key(orphan, 1, "png")
    objects.save(
        orphan_page, b"png", content_type="image/png", sha256_hex=hashlib.sha256(b"png").hexdigest()
    )

    with app.app_context():
        removed = sweep_orphans(objects, timedelta(0))

    assert sorted(removed) == sorted([orphan, orphan_page])
    listed = {obj.key for obj in objects.list()}
    assert listed == {item.storage_key, kept}


# --- no request waits on a render ------------------------------------------------------------


def _signed_in_cookies(base: str, email: str) -> dict[str, str]:
    browser = requests.Session()
    form = browser.get(f"{base}/review/sign-in", timeout=10)
    signed = browser.post(
        f"{base}/review/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(form.text)},
        timeout=10,
    )
    assert signed.status_code == 200 and "Review queue" in signed.text
    return browser.cookies.get_dict()


def test_four_costly_previews_at_once_hold_no_request(
    app, live_server, reviewer, make_ticket, renders, monkeypatch
):
    # The pixel cap off: every render really runs until the time limit kills it, so the
    # background is busy for the whole test, as with a PDF the cap does not catch.
    monkeypatch.setattr(preview, "LIMITS", preview.Limits(pixels=10**13, wall_seconds=4))
    ticket = make_ticket()
    data = costly_pdf()
    ids = [
        stored_evidence(app, ticket.reference, material, data, "application/pdf")
        for material in ("passport", "card_front", "card_transactions", "driver_license")
    ]
    cookies = _signed_in_cookies(live_server, reviewer.email)
    busy = threading.Event()

    def timed(path: str) -> tuple[str, int, float]:
        started = time.monotonic()
        response = requests.get(f"{live_server}{path}", cookies=cookies, timeout=10)
        return path, response.status_code, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=12) as pool:
        asked = [pool.submit(timed, f"/review/evidence/{i}/pages/1.png") for i in ids]
        asked += [pool.submit(timed, f"/review/evidence/{i}/pages") for i in ids]
        asked += [pool.submit(timed, f"/review/tickets/{ticket.reference}")]
        answers = [future.result() for future in asked]
        health = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # while the renders run
            busy.set() if previews.running() else busy.clear()
            health.append(timed("/healthz"))
            asked = [pool.submit(timed, f"/review/evidence/{i}/pages/1.png") for i in ids]
            answers += [future.result() for future in asked]
            time.sleep(0.2)
    assert busy.is_set(), "the renders were not running while /healthz was asked"
    assert all(code == 202 for path, code, _ in answers if path.endswith(".png")), answers
    assert all(code == 200 for path, code, _ in answers if not path.endswith(".png")), answers
    slowest = max(seconds for _, _, seconds in answers + health)
    assert all(code == 200 for _, code, _ in health)
    assert slowest < 1.0, sorted(answers + health, key=lambda a: -a[2])[:5]

    settle()
    assert sorted(renders) == ["application/pdf"] * 4  # once each, however often asked
    for evidence in ids:
        item = row(app, evidence)
        assert item.preview_status == "too_large"
        assert item.preview_error == "rendering took longer than 4 s"
    page = requests.get(
        f"{live_server}/review/tickets/{ticket.reference}", cookies=cookies, timeout=10
    )
    assert page.text.count("Too large to preview, download it instead.") == 4
    settle()
    assert len(renders) == 4


def test_a_job_runner_renders_a_preview_through_the_cli(app, runner, make_ticket, pdf_bytes):
    ticket = make_ticket()
    ticket.upload("passport", pdf_bytes, "passport.pdf")
    evidence = evidence_ids(ticket)["passport"]
    result = runner.invoke(args=["evidence", "render-preview", evidence, "f" * 32])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{evidence} ready", f"{'f' * 32} unavailable"]
    assert row(app, evidence).preview_pages == 1


def test_the_job_never_renders_a_file_that_has_no_preview(app, make_ticket, pdf_bytes, renders):
    ticket = make_ticket()
    ticket.upload("passport", pdf_bytes, "passport.pdf")
    ticket.upload("card_transactions", (FIXTURES / "statement.docx").read_bytes(), "s.docx")
    ids = evidence_ids(ticket)
    change(app, ids["passport"], warnings=["/OpenAction"])
    assert render(app, ids["passport"]) == "unavailable"
    assert render(app, ids["card_transactions"]) == "unavailable"
    assert row(app, ids["passport"]).preview_status is None
    assert renders == []


def test_a_preview_deleted_from_the_store_is_rendered_again(
    app, desk, make_ticket, pdf_bytes, renders
):
    ticket = make_ticket()
    ticket.upload("passport", pdf_bytes, "passport.pdf")
    evidence = evidence_ids(ticket)["passport"]
    assert render(app, evidence) == "ready"
    store(app).delete(preview_key(row(app, evidence).storage_key, 1, "png"))
    assert desk.get(f"/review/evidence/{evidence}/pages/1.png").status_code == 202
    assert row(app, evidence).preview_status is None  # forgotten: the next request queues it
    assert desk.get(f"/review/evidence/{evidence}/pages/1.png").status_code in (200, 202)
    settle()
    assert desk.get(f"/review/evidence/{evidence}/pages/1.png").status_code == 200
    assert renders == ["application/pdf", "application/pdf"]


HUNT_FILE = FIXTURES.parents[2] / "shared" / "hunt" / "costly_render_30_pages.pdf"


@pytest.mark.skipif(not HUNT_FILE.exists(), reason="shared/hunt is not beside the repository")
def test_the_handed_costly_pdf_is_refused_from_its_structure_at_once():
    started = time.monotonic()
    with pytest.raises(preview.PreviewFailed, match="900,000,000 pixels") as caught:
        preview.render(HUNT_FILE.read_bytes(), "application/pdf")
    assert caught.value.too_large
    assert time.monotonic() - started < 2
