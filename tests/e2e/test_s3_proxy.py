"""The S3 store behind a proxy that acts as a strict S3-compatible store, or a paused one.

Some S3-compatible stores refuse any checksum header (`x-amz-checksum-*`,
`x-amz-sdk-checksum-algorithm`, `Content-MD5`, checksum trailers); with
`S3_CHECKSUM_MODE=when_required` we send none, and the SHA-256 recorded at upload is still
checked on every read (security.md "Storing it"; issue 8, item 5). A store that accepts
connections and never answers costs an upload a bounded time and keeps nothing (issue 9,
item 4). The proxy sits in front of moto's S3 server over real HTTP.
"""

from __future__ import annotations

import hashlib
import http.client
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import boto3
import pytest
import requests

from tests.conftest import FIXTURES, TEST_REGION, UNFREEZE_WITH_CARD
from tests.review.helpers import make_reviewer, png_bytes, reviewer  # noqa: F401 - fixtures

REFUSED_PREFIXES = ("x-amz-checksum-",)
REFUSED_NAMES = {"x-amz-sdk-checksum-algorithm", "content-md5", "x-amz-trailer"}


class StrictStoreProxy(ThreadingHTTPServer):
    """Forwards to moto; answers 400 to a request with a checksum header; can pause."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = urlsplit(upstream)
        self.paused = False
        self.stopped = threading.Event()
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request seen
        self.refused: list[str] = []  # checksum header names refused

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: StrictStoreProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.requests.append((self.command, self.path))
        if self.server.paused:
            # Accept everything, answer nothing, until the client gives up.
            while self.server.paused and not self.server.stopped.wait(0.05):
                pass
            self.close_connection = True
            return
        names = [name.lower() for name in self.headers]
        refused = [n for n in names if n.startswith(REFUSED_PREFIXES) or n in REFUSED_NAMES]
        if refused:
            self.server.refused.extend(refused)
            error = (
                b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidArgument</Code>'
                b"<Message>checksum headers are not supported</Message></Error>"
            )
            self.send_response(400)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(error)))
            self.end_headers()
            self.wfile.write(error)
            return
        upstream = http.client.HTTPConnection(
            self.server.upstream.hostname, self.server.upstream.port, timeout=10
        )
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        upstream.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any


@pytest.fixture
def proxy(moto_server: str) -> Iterator[StrictStoreProxy]:
    server = StrictStoreProxy(moto_server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopped.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def bucket(moto_server: str, aws_credentials: None) -> str:
    name = f"strict-{uuid.uuid4().hex[:12]}"
    moto(moto_server).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": TEST_REGION}
    )
    return name


def moto(endpoint: str):
    """A client straight to moto, past the proxy: what is really stored."""
    return boto3.client("s3", region_name=TEST_REGION, endpoint_url=endpoint)


@pytest.fixture
def checksum_mode() -> str:
    return "when_required"


@pytest.fixture
def app_config(app_config: dict, proxy: StrictStoreProxy, bucket: str, checksum_mode: str):
    app_config.update(
        EVIDENCE_STORE="s3",
        S3_BUCKET=bucket,
        S3_REGION=TEST_REGION,
        S3_ENDPOINT_URL=proxy.url,
        S3_CHECKSUM_MODE=checksum_mode,
    )
    return app_config


def new_ticket(base: str) -> tuple[str, dict[str, str]]:
    created = requests.post(f"{base}/api/v1/tickets", json=UNFREEZE_WITH_CARD, timeout=10)
    assert created.status_code == 201
    body = created.json()
    return body["reference"], {"Authorization": f"Bearer {body['access_token']}"}


def upload(base: str, reference: str, auth: dict, material: str, name: str, data: bytes):
    return requests.post(
        f"{base}/api/v1/tickets/{reference}/evidence",
        headers=auth,
        data={"material": material},
        files={"file": (name, data, "application/octet-stream")},
        timeout=60,
    )


def test_when_required_sends_no_checksum_header_and_every_path_works(
    app,
    live_server,
    proxy,
    moto_server,
    bucket,
    reviewer,  # noqa: F811 - fixture
):
    from triage.review import previews

    ready = requests.get(f"{live_server}/readyz", timeout=30)
    assert ready.status_code == 200, ready.json()
    reference, auth = new_ticket(live_server)
    pdf = (FIXTURES / "statement.pdf").read_bytes()
    card = png_bytes(40, 30)
    ids = {}
    for material, name, data in (("passport", "p.pdf", pdf), ("card_front", "c.png", card)):
        response = upload(live_server, reference, auth, material, name, data)
        assert response.status_code == 201, response.text
        assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()  # recorded
        ids[material] = response.json()["id"]
    for material, data in (("passport", pdf), ("card_front", card)):
        read = reviewer.get(f"/evidence/{ids[material]}/content")
        assert read.status_code == 200
        assert read.data == data
    with app.app_context():  # what the preview job runs, derived objects included
        assert previews.render_previews(ids["card_front"]) == "ready"

    assert proxy.refused == []
    methods = {method for method, _ in proxy.requests}
    assert {"PUT", "GET", "DELETE"} <= methods  # uploads, reads, the readiness probe
    keys = [o["Key"] for o in moto(moto_server).list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 3 and not any(k.startswith("readyz/") for k in keys)

    # Checked on every read: bytes changed in the store are refused.
    stored = {k: moto(moto_server).get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}
    passport_key = next(k for k, v in stored.items() if v == pdf)
    moto(moto_server).put_object(Bucket=bucket, Key=passport_key, Body=pdf + b"\n% changed")
    tampered = reviewer.get(f"/evidence/{ids['passport']}/content")
    assert tampered.status_code == 503
    assert tampered.json["error"]["code"] == "storage_unavailable"


@pytest.mark.parametrize("checksum_mode", ["when_supported"])
def test_the_proxy_refuses_the_default_checksums(live_server, proxy, moto_server, bucket):
    # Proves the proxy is strict: boto3's default mode sends checksums, and the store
    # refuses them; /readyz says so instead of "ready".
    ready = requests.get(f"{live_server}/readyz", timeout=30)
    assert ready.status_code == 503
    assert "InvalidArgument" in ready.json()["checks"]["evidence_store"]
    reference, auth = new_ticket(live_server)
    pdf = (FIXTURES / "statement.pdf").read_bytes()
    response = upload(live_server, reference, auth, "passport", "p.pdf", pdf)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "storage_unavailable"
    assert proxy.refused
    assert all(n.startswith("x-amz-checksum-") or n in REFUSED_NAMES for n in proxy.refused)
    assert moto(moto_server).list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def upload_and_cleanup_bound(s3) -> float:
    """Seconds an upload and its cleanup (a delete of what may have been written) can take
    against a store that never answers: each at most MAX_ATTEMPTS waits of CONNECT_TIMEOUT
    + READ_TIMEOUT plus backoff (storage/s3.py)."""
    return 2 * (s3.MAX_ATTEMPTS * (s3.CONNECT_TIMEOUT + s3.READ_TIMEOUT) + 6)


def test_the_store_waits_bound_an_upload_and_its_cleanup_within_gunicorns_timeout():
    import storage.s3

    assert upload_and_cleanup_bound(storage.s3) <= 40  # gunicorn: 60 s


@pytest.fixture
def short_store_waits(monkeypatch):
    """storage.s3 with 1 s waits instead of 2 and 5: the same bound, reached sooner."""
    import storage.s3

    monkeypatch.setattr(storage.s3, "CONNECT_TIMEOUT", 1)
    monkeypatch.setattr(storage.s3, "READ_TIMEOUT", 1)
    return storage.s3


def test_a_paused_store_costs_an_upload_a_bounded_time_and_keeps_nothing(
    short_store_waits, live_server, proxy, moto_server, bucket
):
    s3 = short_store_waits  # before live_server: its app's store is made with these waits
    reference, auth = new_ticket(live_server)
    pdf = (FIXTURES / "statement.pdf").read_bytes()
    proxy.paused = True
    started = time.monotonic()
    response = upload(live_server, reference, auth, "passport", "p.pdf", pdf)
    elapsed = time.monotonic() - started
    proxy.paused = False

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "storage_unavailable"
    assert "Nothing was saved" in response.json()["error"]["message"]
    assert elapsed < upload_and_cleanup_bound(s3)
    assert elapsed > s3.MAX_ATTEMPTS * s3.READ_TIMEOUT  # each attempt waited its full time
    puts = [path for method, path in proxy.requests if method == "PUT"]
    assert len(puts) == s3.MAX_ATTEMPTS  # the first try and one retry, then the 503
    ticket = requests.get(f"{live_server}/api/v1/tickets/{reference}", headers=auth, timeout=10)
    assert ticket.json()["evidence"] == []
    assert moto(moto_server).list_objects_v2(Bucket=bucket).get("KeyCount") == 0
