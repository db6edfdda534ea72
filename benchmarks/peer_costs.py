"""Where each side's CPU goes in the peer comparison (`benchmarks.peer`): context rows.

- **gunicorn's floor:** the same gunicorn settings serving `benchmarks.bare_wsgi`, which
  only reads the body: server CPU per request (GET, keep-alive) and per MiB of body read.
  A ticket's floor is requests x the first + MiB x the second: what any app pays for that
  flow before it does anything.
- **the checks alone:** `check_upload` (name, libmagic, the format's parser, SHA-256) on
  the same three files in this process: what "every check on" costs us per ticket.
- **requests per ticket** and **the load generator's CPU** per ticket, counted in the
  windows themselves (`peer.Window`): the client shares the machine's CPUs with both
  servers, so a flow of more requests also costs more on the client's side.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from benchmarks import servers
from benchmarks.report import MiB, Row, median, ms, progress

GETS, POSTS = 300, 100


@dataclass(frozen=True)
class Floor:
    per_request: float  # CPU seconds the gunicorn tree spends on one keep-alive GET
    per_mib: float  # CPU seconds more for each MiB of request body read

    def ticket(self, requests_: float, mib: float) -> float:
        return requests_ * self.per_request + mib * self.per_mib


@contextlib.contextmanager
def bare_gunicorn(flags: list[str], workdir: Path) -> Iterator[tuple[str, int]]:
    url = f"http://127.0.0.1:{servers.free_port()}/"
    command = [
        str(servers.BIN / "gunicorn"),
        *flags,
        f"--bind={url.removeprefix('http://').rstrip('/')}",
        "benchmarks.bare_wsgi:app",
    ]
    log = workdir / "gunicorn-bare.log"
    with servers.served(command, servers.ROOT, servers.base_env(), log, url) as proc:
        yield url, proc.pid


def gunicorn_floor(flags: list[str], workdir: Path) -> Floor:
    """gunicorn's own CPU per request and per MiB read, with the peer comparison's flags."""
    from benchmarks.peer import tree_cpu  # peer imports this module: no cycle at import

    body = os.urandom(MiB)
    with bare_gunicorn(flags, workdir) as (url, pid), requests.Session() as s:

        def cpu_each(send, count: int) -> float:
            for _ in range(10):
                send()
            before = tree_cpu(pid)
            for _ in range(count):
                send()
            return (tree_cpu(pid) - before) / count

        get = cpu_each(lambda: s.get(url, timeout=30), GETS)
        post = cpu_each(lambda: s.post(url, data=body, timeout=30), POSTS)
    floor = Floor(get, max(post - get, 0.0))
    progress(f"  gunicorn floor: {ms(floor.per_request)} a request, {ms(floor.per_mib)} a MiB")
    return floor


def checks_cpu(files: list[tuple[str, str, bytes]], repeats: int = 15) -> float:
    """Median CPU seconds of `check_upload` over the ticket's files, in this process."""
    from triage.evidence.checks import check_upload

    samples = []
    for _ in range(repeats):
        began = time.process_time()
        for _, filename, data in files:
            check_upload(filename, data)
        samples.append(time.process_time() - began)
    return median(samples)


def rows(ours: list, peer: list, floor: Floor, checks: float, file_mib: float) -> list[Row]:
    """Context rows from the windows (`peer.Window`) of each side, both client counts."""

    def per_ticket(windows: list, attribute: str) -> float:
        return median([getattr(w, attribute) / w.tickets for w in windows])

    req_ours, req_peer = per_ticket(ours, "requests"), per_ticket(peer, "requests")
    cpu_ours, cpu_peer = per_ticket(ours, "cpu"), per_ticket(peer, "cpu")
    floor_ours, floor_peer = floor.ticket(req_ours, file_mib), floor.ticket(req_peer, file_mib)
    rest_ours, rest_peer = cpu_ours - floor_ours - checks, cpu_peer - floor_peer
    return [
        _row("  requests per ticket", f"{req_ours:.0f}", f"django-helpdesk {req_peer:.0f}"),
        _row(
            "  server CPU per request",
            f"median {ms(cpu_ours / req_ours)}",
            f"django-helpdesk {ms(cpu_peer / req_peer)}",
        ),
        _row(
            f"  server CPU per ticket, of which gunicorn's floor ({ms(floor.per_request)} a "
            f"request, {ms(floor.per_mib)} a MiB read; bare WSGI app, same settings)",
            ms(floor_ours),
            f"django-helpdesk {ms(floor_peer)}",
        ),
        _row(
            "  server CPU per ticket, of which the upload checks (check_upload on the three "
            "files, in-process)",
            ms(checks),
            "django-helpdesk: none",
        ),
        _row(
            "  server CPU per ticket, of which everything else (framework, app, database "
            "driver, store, queue)",
            ms(rest_ours),
            f"django-helpdesk {ms(rest_peer)}",
        ),
        _row(
            "  the load generator's CPU per ticket (this process; shares the machine)",
            f"median {ms(per_ticket(ours, 'client_cpu'))}",
            f"django-helpdesk {ms(per_ticket(peer, 'client_cpu'))}",
        ),
    ]


def _row(what: str, figure: str, baseline: str) -> Row:
    return Row(what, figure, baseline, "-", "context", None)
