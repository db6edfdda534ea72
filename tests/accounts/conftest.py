"""An HTTP account directory the tests start (http.server in a thread, on a free port),
records loaded through the import command, and ticket bodies whose facts differ."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.review.helpers import (  # noqa: F401 - fixtures
    lead,
    make_reviewer,
    other_reviewer,
    reviewer,
    submitted,
)

# A direct customer who says: not authenticated, no card, no payments: a list with no
# documents at all (recovery.md's threat), while the record says authenticated, card bound.
CLAIMS_NOTHING = {
    **CHANGE_DIRECT_AUTHENTICATED,
    "real_name_auth": "not_completed",
    "card_added": False,
    "payments_made": False,
    "account_name": "acme-cloud",
}
OWNER_EMAIL = "alice.owner@example.org"
OWNER_MOBILE = "+86 138 0013 1234"
ACME_RECORD = {
    "account_name": "ACME-Cloud",
    "customer_type": "direct",
    "real_name_auth": "completed",
    "account_type": "individual",
    "card_added": True,
    "payments_made": True,
    "email": OWNER_EMAIL,
    "mobile": OWNER_MOBILE,
    "card_last4": "4242",
}
INFORMATION = {
    "email": "new.me@example.net",
    "user_name": "Mallory Example",
    "contact_address": {
        "line1": "1 Example Road",
        "city": "Shenzhen",
        "province": "Guangdong",
        "postal_code": "518000",
        "country": "China",
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Directory:
    """What the test directory answers: `records` by normalised key; `delay` seconds
    before answering; `status` to answer instead (e.g. 503); `body` raw bytes instead."""

    port: int
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    delay: float = 0.0
    status: int | None = None
    body: bytes | None = None
    trickle: bool = False  # the head at once, then the body a byte every 0.2 s
    asked: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        directory = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                key = unquote(self.path.removeprefix("/accounts/"))
                directory.asked.append(key)
                if directory.delay:
                    time.sleep(directory.delay)
                if directory.trickle:
                    self._trickle(json.dumps(ACME_RECORD).encode())
                elif directory.status is not None:
                    self._answer(directory.status, b'{"error": "down"}')
                elif directory.body is not None:
                    self._answer(200, directory.body)
                elif key in directory.records:
                    self._answer(200, json.dumps(directory.records[key]).encode())
                else:
                    self._answer(404, b'{"error": "not found"}')

            def _answer(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (the timeout test)

            def _trickle(self, body: bytes) -> None:
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.server = server

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def directory_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[Directory]:
    """A directory on a free port that nothing listens on yet (`.start()` brings it up)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # a CI proxy must not swallow local traffic
    directory = Directory(free_port())
    yield directory
    directory.stop()


@pytest.fixture
def directory(directory_down: Directory) -> Directory:
    """A running HTTP directory."""
    directory_down.start()
    return directory_down


@pytest.fixture
def http_config(app_config: dict[str, Any], directory_down: Directory) -> dict[str, Any]:
    """Settings that point the app at the test's HTTP directory, 1 s timeout."""
    app_config.update(ACCOUNT_DIRECTORY_URL=directory_down.url, ACCOUNT_DIRECTORY_TIMEOUT=1)
    return app_config


@pytest.fixture
def load_records(runner, tmp_path: Path):
    """load_records(rows) -> the import command's result, rows written as JSON Lines."""

    def load(rows: list[dict[str, Any]], name: str = "records.jsonl"):
        path = tmp_path / name
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        return runner.invoke(args=["accounts", "import", str(path)])

    return load
