"""A ticket with three 1 MiB files: this product against django-helpdesk's public form.

`python -m benchmarks peer` (`make bench-peer`). Both products run in the same run on the
same machine, each under gunicorn with the same settings (config/gunicorn.conf.py's
worker class, workers, threads, keep-alive, timeouts, request limits, access log), each
on its own empty database of the same kind (PostgreSQL `triage_bench_ours` and
`triage_bench_peer` by default, see BENCH_DB_PREFIX; or SQLite files with `--peer-db
sqlite`), each storing files on the local disk.

The peer is django-helpdesk (pinned below) in its own virtual environment,
benchmarks/.peer-venv (created and filled with pip on first use), serving a minimal Django
project written into the work folder: its public ticket form (`/helpdesk/tickets/submit/`)
and nothing else. That form takes one attachment; to file the same three files in one
ticket it is configured, through django-helpdesk's own `HELPDESK_PUBLIC_TICKET_FORM_CLASS`
setting, with a subclass whose `attachment` field takes several files (Django's documented
multiple-file field), each checked by django-helpdesk's extension validator and saved by
its own `process_attachments`. Django keeps persistent database connections
(`CONN_MAX_AGE=60`), as our app pools its own; outgoing mail goes to Django's dummy backend
(rendered, not sent).

One ticket, as a customer's browser files it, CSRF handled on both sides:

- this product, through its pages (the default, `--flow pages`): GET the new-ticket form
  (session cookie and CSRF token), POST it (302), then POST each file to the ticket page's
  upload form (302 each; one request per item, as the page asks one item at a time);
  every check on (sniffing, structure, hashing, fsync), rate limiting ON with its counts
  in Redis (db 5) and each simulated customer at its own address (`X-Forwarded-For`
  behind one trusted proxy, as behind nginx in production);
- or through the API (`--flow api`): POST /api/v1/tickets, then three POSTs of the
  evidence endpoint (bearer token: no CSRF);
- or the probe (`--flow one-request`, `benchmarks.one_request`): GET the new-ticket form,
  then POST its answers and the three files at once to a route only the probe's app has,
  which files them with the product's own services, every check on: how close the product
  would come with django-helpdesk's two-request flow;
- django-helpdesk: GET the public form (CSRF cookie and token), POST it with the three
  files (302).

Redirects are not followed on either side. Bodies are multipart, encoded beforehand
except the CSRF token. Sequential: one client; concurrent: 4 clients (threads), each
filing tickets in turn. Rounds are interleaved (ours, peer; the next round peer, ours),
and each round gives a ratio of tickets per second; the table has the median ratio and
its range over the rounds, with /proc/loadavg before and after. Context rows
(`benchmarks.peer_costs`) split each side's server CPU per ticket into gunicorn's own floor,
our upload checks and the rest, and give the requests per ticket and the load generator's
CPU, measured in the same run.
"""

from __future__ import annotations

import contextlib
import os
import re
import runpy
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import requests

from benchmarks import peer_costs, servers
from benchmarks.files import peer_files
from benchmarks.report import MiB, Row, median, ms, progress, times

ROOT = servers.ROOT
PEER_VENV = ROOT / "benchmarks" / ".peer-venv"
PEER_PACKAGES = (
    "django-helpdesk==2.6.1",
    # The same server and driver as ours, so neither side gets a different one.
    f"gunicorn=={version('gunicorn')}",
    f"psycopg[binary]=={version('psycopg')}",
)
TARGET = 1.0  # at least django-helpdesk's tickets per second at 4 concurrent clients
UNFREEZE_FORM = {
    "account_type": "individual",
    "card_added": "true",
    "account_name": "bench-tenant",
    "contact_email": "owner@example.com",
}
API_TICKET = {
    "type": "unfreeze",
    "account_type": "individual",
    "card_added": True,
    "account_name": "bench-tenant",
    "contact_email": "owner@example.com",
}
CSRF_OURS = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_PEER = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- the peer's environment and project ------------------------------------------------------


def ensure_peer_venv() -> Path:
    """benchmarks/.peer-venv with django-helpdesk and its dependencies; returns its bin/."""
    bin_dir = PEER_VENV / "bin"
    stamp = PEER_VENV / ".installed"
    wanted = "\n".join(PEER_PACKAGES)
    if stamp.exists() and stamp.read_text() == wanted:
        return bin_dir
    progress(f"installing {', '.join(PEER_PACKAGES)} into {PEER_VENV}")
    if not (bin_dir / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True, timeout=300)
    subprocess.run(
        [str(bin_dir / "pip"), "install", "--quiet", *PEER_PACKAGES], check=True, timeout=900
    )
    stamp.write_text(wanted)
    return bin_dir


SETTINGS = """\
from pathlib import Path

SECRET_KEY = "peer-benchmark-not-for-production"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peerproject.urls"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        }},
    }}
]
WSGI_APPLICATION = "peerproject.wsgi.application"
DATABASES = {{"default": {database}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
SITE_ID = 1
STATIC_URL = "/static/"
MEDIA_ROOT = {media!r}
MEDIA_URL = "/media/"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
LOGIN_URL = "/login/"
HELPDESK_PUBLIC_TICKET_FORM_CLASS = "peerproject.forms.ThreeFilePublicTicketForm"
HELPDESK_TEAMS_MODE_ENABLED = False  # no pinax-teams: the public form does not use teams
"""

FORMS = '''\
"""django-helpdesk's public form, taking several attachments instead of one."""

from django import forms
from helpdesk.forms import PublicTicketForm
from helpdesk.lib import process_attachments
from helpdesk.validators import validate_file_extension


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Django's documented multiple-file field: each file cleaned and validated alone."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ThreeFilePublicTicketForm(PublicTicketForm):
    attachment = MultipleFileField(required=False, validators=[validate_file_extension])

    def _attach_files_to_follow_up(self, followup):
        files = self.cleaned_data.get("attachment") or []
        return process_attachments(followup, files) if files else files
'''

URLS = """\
from django.urls import include, path

urlpatterns = [
    path("helpdesk/", include("helpdesk.urls")),
    path("", include("django.contrib.auth.urls")),
]
"""

WSGI = """\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproject.settings")
application = get_wsgi_application()
"""


def write_project(where: Path, database_url: str | None) -> Path:
    """The minimal Django project serving django-helpdesk; returns its folder."""
    package = where / "peerproject"
    package.mkdir(parents=True, exist_ok=True)
    if database_url is None:
        database = repr({"ENGINE": "django.db.backends.sqlite3", "NAME": str(where / "peer.db")})
    else:
        from sqlalchemy import make_url

        url = make_url(database_url)
        database = repr(
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": url.database,
                "USER": url.username or "postgres",
                "HOST": url.host or "127.0.0.1",
                "PORT": str(url.port or 5432),
                "CONN_MAX_AGE": 60,
            }
        )
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(
        SETTINGS.format(database=database, media=str(where / "media"))
    )
    (package / "forms.py").write_text(FORMS)
    (package / "urls.py").write_text(URLS)
    (package / "wsgi.py").write_text(WSGI)
    (where / "manage.py").write_text(
        textwrap.dedent(
            """\
            import os
            import sys

            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproject.settings")
            from django.core.management import execute_from_command_line

            execute_from_command_line(sys.argv)
            """
        )
    )
    return where


def peer_manage(bin_dir: Path, project: Path, *args: str) -> str:
    done = subprocess.run(
        [str(bin_dir / "python"), "manage.py", *args],
        cwd=project,
        env=servers.base_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)}:\n{done.stdout}{done.stderr}")
    return done.stdout


def prepare_peer(bin_dir: Path, project: Path) -> int:
    """Migrate the peer's database and create the public queue; returns the queue's id."""
    peer_manage(bin_dir, project, "migrate", "--noinput")
    out = peer_manage(
        bin_dir,
        project,
        "shell",
        "-c",
        "from helpdesk.models import Queue; "
        "q, _ = Queue.objects.get_or_create(slug='evidence', defaults={'title': 'Evidence', "
        "'allow_public_submission': True}); print(q.id)",
    )
    return int(out.strip().splitlines()[-1])


# --- the same gunicorn settings for both ------------------------------------------------------


def gunicorn_settings(workers: int, threads: int) -> dict[str, object]:
    """config/gunicorn.conf.py as production reads it, with these workers and threads."""
    saved = {k: os.environ.get(k) for k in ("GUNICORN_WORKERS", "GUNICORN_THREADS")}
    os.environ.update(GUNICORN_WORKERS=str(workers), GUNICORN_THREADS=str(threads))
    try:
        conf = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    names = (
        "worker_class",
        "workers",
        "threads",
        "timeout",
        "graceful_timeout",
        "keepalive",
        "limit_request_line",
        "limit_request_fields",
        "limit_request_field_size",
        "preload_app",
    )
    return {name: conf[name] for name in names}


def gunicorn_flags(settings: dict[str, object]) -> list[str]:
    flags = [
        f"--worker-class={settings['worker_class']}",
        f"--workers={settings['workers']}",
        f"--threads={settings['threads']}",
        f"--timeout={settings['timeout']}",
        f"--graceful-timeout={settings['graceful_timeout']}",
        f"--keep-alive={settings['keepalive']}",
        f"--limit-request-line={settings['limit_request_line']}",
        f"--limit-request-fields={settings['limit_request_fields']}",
        f"--limit-request-field_size={settings['limit_request_field_size']}",
        "--max-requests=0",  # as GUNICORN_MAX_REQUESTS=0 for ours: no recycling mid-run
        "--access-logfile=-",  # ours logs every request too
    ]
    if settings["preload_app"]:
        flags.append("--preload")
    return flags


@contextlib.contextmanager
def peer_server(
    bin_dir: Path, project: Path, workdir: Path, settings: dict[str, object]
) -> Iterator[tuple[str, int]]:
    url = f"http://127.0.0.1:{servers.free_port()}"
    command = [
        str(bin_dir / "gunicorn"),
        *gunicorn_flags(settings),
        f"--bind={url.removeprefix('http://')}",
        "peerproject.wsgi:application",
    ]
    log, ready = workdir / "gunicorn-peer.log", f"{url}/helpdesk/tickets/submit/"
    with servers.served(command, project, servers.base_env(), log, ready) as proc:
        yield url, proc.pid


# --- multipart bodies, encoded once --------------------------------------------------------


BOUNDARY = "----bench" + uuid.uuid4().hex


def _text_part(name: str, value: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
    ).encode()


def _file_part(name: str, filename: str, data: bytes, content_type: str) -> bytes:
    head = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
        f'name="{name}"; filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
    ).encode()
    return head + data + b"\r\n"


def multipart(fields: dict[str, str], files: list[bytes]) -> bytes:
    """A multipart body: the text fields (encoded now), then the pre-encoded file parts."""
    parts = [_text_part(k, v) for k, v in fields.items()]
    return b"".join([*parts, *files, f"--{BOUNDARY}--\r\n".encode()])


CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg"}


@dataclass(frozen=True)
class Files:
    """The same three files, as parts for each side's form."""

    ours: list[tuple[str, bytes]]  # (material, encoded part named "files")
    api: list[tuple[str, bytes]]  # (material, encoded part named "file")
    peer: list[bytes]  # encoded parts named "attachment"
    one: list[bytes]  # encoded parts named "files-<material>", for the one-request probe


def encode_files(size: int = MiB) -> Files:
    ours, api, peer, one = [], [], [], []
    for material, filename, data in peer_files(size):
        kind = TYPES[Path(filename).suffix]
        ours.append((material, _file_part("files", filename, data, kind)))
        api.append((material, _file_part("file", filename, data, kind)))
        peer.append(_file_part("attachment", filename, data, kind))
        one.append(_file_part(f"files-{material}", filename, data, kind))
    return Files(ours, api, peer, one)


# --- one ticket, as a browser files it ------------------------------------------------------


class Counter:
    """A thread-safe count; `next()` adds one and returns the new value."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            self.value += 1
            return self.value


class Addresses:
    """A fresh client address for each simulated customer (10.x.y.z), thread-safe."""

    def __init__(self) -> None:
        self._count = Counter()

    def next(self) -> str:
        n = self._count.next()
        return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


ANSWERS = Counter()  # every answer `_expect` judges: how windows count requests


def _expect(response: requests.Response, status: int, what: str) -> None:
    ANSWERS.next()
    if response.status_code != status:
        raise RuntimeError(f"{what}: {response.status_code} {response.text[:300]}")


def _new_ticket_form(s: requests.Session, url: str, address: str) -> str:
    """GET our new-ticket form as the customer at `address`; returns its CSRF token."""
    s.headers["X-Forwarded-For"] = address
    page = s.get(f"{url}/new/unfreeze", timeout=30)
    _expect(page, 200, "new-ticket form")
    return CSRF_OURS.search(page.text).group(1)


def ours_pages(url: str, files: Files, address: str) -> None:
    with requests.Session() as s:
        token = _new_ticket_form(s, url, address)
        created = s.post(
            f"{url}/new/unfreeze",
            data={**UNFREEZE_FORM, "csrf_token": token},
            allow_redirects=False,
            timeout=30,
        )
        _expect(created, 302, "filing the ticket")
        reference = created.headers["Location"].rstrip("/").split("/")[-2]
        for material, part in files.ours:
            body = multipart({"csrf_token": token, "material": material}, [part])
            sent = s.post(
                f"{url}/tickets/{reference}/evidence",
                data=body,
                headers={"Content-Type": CONTENT_TYPE},
                allow_redirects=False,
                timeout=60,
            )
            _expect(sent, 302, f"uploading {material}")
            if "#item-" not in sent.headers.get("Location", ""):
                raise RuntimeError(f"uploading {material}: {sent.headers.get('Location')}")


def ours_one_request(url: str, files: Files, address: str) -> None:
    """The probe of `benchmarks.one_request`: the form, then the answers and files in one POST."""
    with requests.Session() as s:
        token = _new_ticket_form(s, url, address)
        sent = s.post(
            f"{url}/bench/one-request",
            data=multipart({**UNFREEZE_FORM, "csrf_token": token}, files.one),
            headers={"Content-Type": CONTENT_TYPE},
            allow_redirects=False,
            timeout=60,
        )
        _expect(sent, 302, "filing the ticket with its files")


def ours_api(url: str, files: Files, address: str) -> None:
    with requests.Session() as s:
        s.headers["X-Forwarded-For"] = address
        created = s.post(f"{url}/api/v1/tickets", json=API_TICKET, timeout=30)
        _expect(created, 201, "creating the ticket")
        reference, token = created.json()["reference"], created.json()["access_token"]
        for material, part in files.api:
            sent = s.post(
                f"{url}/api/v1/tickets/{reference}/evidence",
                data=multipart({"material": material}, [part]),
                headers={"Content-Type": CONTENT_TYPE, "Authorization": f"Bearer {token}"},
                timeout=60,
            )
            _expect(sent, 201, f"uploading {material}")


def peer_ticket(url: str, files: Files, queue: int) -> None:
    with requests.Session() as s:
        page = s.get(f"{url}/helpdesk/tickets/submit/", timeout=30)
        _expect(page, 200, "django-helpdesk's public form")
        token = CSRF_PEER.search(page.text).group(1)
        fields = {
            "csrfmiddlewaretoken": token,
            "queue": str(queue),
            "title": "Account frozen: unfreeze with card",
            "body": "Account bench-tenant, individual, card added. Documents attached.",
            "priority": "3",
            "submitter_email": "owner@example.com",
        }
        sent = s.post(
            f"{url}/helpdesk/tickets/submit/",
            data=multipart(fields, files.peer),
            headers={"Content-Type": CONTENT_TYPE, "Referer": f"{url}/helpdesk/tickets/submit/"},
            allow_redirects=False,
            timeout=60,
        )
        _expect(sent, 302, "django-helpdesk's submission")


FLOWS: dict[str, Callable[[str, Files, str], None]] = {
    "pages": ours_pages,
    "api": ours_api,
    "one-request": ours_one_request,
}


# --- measuring --------------------------------------------------------------------------------


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid` and all its descendants:
    a gunicorn master, its workers and whatever they started (our PDF checkers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError, ValueError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return total


@dataclass
class Window:
    tickets: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    cpu: float = 0.0  # CPU seconds the server's processes used in the window
    requests: int = 0  # HTTP requests the clients made in the window
    client_cpu: float = 0.0  # CPU seconds this process (the clients) used in the window

    @property
    def cpu_per_ticket(self) -> float:
        return self.cpu / self.tickets

    @property
    def rate(self) -> float:
        return self.tickets / self.seconds


def window(file_one: Callable[[], None], clients: int, per_client: int) -> Window:
    """`clients` threads each file `per_client` tickets; the wall time from start to last."""
    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start_line = threading.Barrier(clients + 1)

    def client() -> None:
        start_line.wait()
        for _ in range(per_client):
            t = time.perf_counter()
            try:
                file_one()
            except BaseException as exc:  # reported below, after the join
                errors.append(exc)
                return
            with lock:
                latencies.append(time.perf_counter() - t)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    answers, client_cpu = ANSWERS.value, time.process_time()
    start_line.wait()
    began = time.perf_counter()
    for t in threads:
        t.join(timeout=600)
    took = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"a client failed: {errors[0]}") from errors[0]
    return Window(
        len(latencies),
        took,
        latencies,
        requests=ANSWERS.value - answers,
        client_cpu=time.process_time() - client_cpu,
    )


def loadavg() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "n/a"


@dataclass
class Result:
    ours: dict[int, list[Window]] = field(default_factory=dict)
    peer: dict[int, list[Window]] = field(default_factory=dict)
    load: list[str] = field(default_factory=list)


def interleave(
    ours: Callable[[], None],
    peer: Callable[[], None],
    *,
    pids: dict[str, int],
    rounds: int,
    sequential: int,
    concurrent: int,
) -> Result:
    result = Result()
    result.load.append(loadavg())
    for side in (ours, peer):  # warm both: imports, pools, checker processes
        window(side, 4, 2)
    for r in range(rounds):
        order = [("ours", ours), ("peer", peer)]
        if r % 2:
            order.reverse()
        for clients, per_client in ((1, sequential), (4, concurrent)):
            for name, side in order:
                cpu = tree_cpu(pids[name])
                w = window(side, clients, per_client)
                w.cpu = tree_cpu(pids[name]) - cpu
                getattr(result, name).setdefault(clients, []).append(w)
        result.load.append(loadavg())
        ratio = result.ours[4][-1].rate / result.peer[4][-1].rate
        progress(
            f"  round {r + 1}/{rounds}: 4 clients ours {result.ours[4][-1].rate:.1f}/s, "
            f"peer {result.peer[4][-1].rate:.1f}/s ({ratio:.2f}x); load {result.load[-1]}"
        )
    return result


def rows_for(
    result: Result,
    db_label: str,
    flow: str,
    floor: peer_costs.Floor,
    checks: float,
    file_mib: float,
) -> list[Row]:
    rows = []
    for clients in (1, 4):
        ours, peer = result.ours[clients], result.peer[clients]
        ratios = sorted(o.rate / p.rate for o, p in zip(ours, peer, strict=True))
        who = "sequential" if clients == 1 else "4 concurrent clients"
        rows.append(
            Row(
                f"ticket + 3 x 1 MiB ({flow}) vs django-helpdesk, {db_label}, {who}, "
                f"{len(ratios)} rounds",
                f"median {median([o.rate for o in ours]):.1f} tickets/s",
                f"django-helpdesk median {median([p.rate for p in peer]):.1f} tickets/s",
                f"{times(median(ratios))} (range {ratios[0]:.2f} to {ratios[-1]:.2f})",
                f"≥ {TARGET:.2f}x" if clients == 4 else "context",
                median(ratios) >= TARGET if clients == 4 else None,
            )
        )
        lat_ours = [x for w in ours for x in w.latencies]
        lat_peer = [x for w in peer for x in w.latencies]
        rows.append(
            Row(
                f"  of which one ticket's latency, {who}",
                f"median {ms(median(lat_ours))}",
                f"django-helpdesk median {ms(median(lat_peer))}",
                times(median(lat_ours) / median(lat_peer)),
                "context",
                None,
            )
        )
    cpu_ours = median([w.cpu_per_ticket for w in result.ours[1] + result.ours[4]])
    cpu_peer = median([w.cpu_per_ticket for w in result.peer[1] + result.peer[4]])
    rows.append(
        Row(
            "  of which server CPU per ticket (gunicorn tree; not PostgreSQL)",
            f"median {ms(cpu_ours)}",
            f"django-helpdesk median {ms(cpu_peer)}",
            times(cpu_ours / cpu_peer),
            "context",
            None,
        )
    )
    rows += peer_costs.rows(
        result.ours[1] + result.ours[4],
        result.peer[1] + result.peer[4],
        floor,
        checks,
        file_mib,
    )
    rows.append(
        Row(
            "  machine load (/proc/loadavg 1/5/15 min) before, after",
            f"{result.load[0]}; {result.load[-1]}",
            "-",
            "-",
            "context",
            None,
        )
    )
    return rows


def stored_counts(ours_db: str, peer_db: str | None, project: Path) -> tuple[int, int]:
    """Files recorded by each side: our `evidence` rows, the peer's attachment rows."""
    from sqlalchemy import create_engine, text

    counts = []
    for url, table in ((ours_db, "evidence"), (peer_db, "helpdesk_followupattachment")):
        if url is None:
            url = f"sqlite:///{project / 'peer.db'}"
        engine = create_engine(url)
        with engine.connect() as conn:
            counts.append(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar())
        engine.dispose()
    return counts[0], counts[1]


def run(
    workdir: Path,
    *,
    postgres_admin_url: str | None,
    rounds: int = 7,
    sequential: int = 8,
    concurrent: int = 6,
    workers: int | None = None,
    threads: int | None = None,
    flow: str = "pages",
    keep_postgres: bool = False,
) -> list[Row]:
    """Both products side by side; PostgreSQL when `postgres_admin_url`, else SQLite."""
    bin_dir = ensure_peer_venv()
    conf = gunicorn_settings(
        workers or int(os.environ.get("GUNICORN_WORKERS", (os.cpu_count() or 1) * 2)),
        threads or int(os.environ.get("GUNICORN_THREADS", 4)),
    )
    progress(
        f"peer: gunicorn {conf['worker_class']} x {conf['workers']} workers x "
        f"{conf['threads']} threads for both; flow {flow}"
    )
    files = encode_files()
    with contextlib.ExitStack() as stack:
        if postgres_admin_url:
            ours_db = stack.enter_context(
                servers.postgres_database(
                    postgres_admin_url, servers.database_name("ours"), keep=keep_postgres
                )
            )
            peer_db = stack.enter_context(
                servers.postgres_database(
                    postgres_admin_url, servers.database_name("peer"), keep=keep_postgres
                )
            )
            db_label = "PostgreSQL"
        else:
            ours_db, peer_db, db_label = servers.sqlite_url(workdir, "peer-ours"), None, "SQLite"
        project = write_project(workdir / "peer", peer_db)
        queue = prepare_peer(bin_dir, project)
        env = servers.app_env(
            workdir / "peer-ours",
            ours_db,
            "local",
            workers=int(conf["workers"]),
            threads=int(conf["threads"]),
            rate_limits=True,  # counted in Redis; each customer at its own address
        )
        env.update(BENCH_ENDPOINTS="false")
        servers.migrate(env)
        module = "benchmarks.one_request:app" if flow == "one-request" else "wsgi:app"
        app = stack.enter_context(servers.gunicorn(env, workdir, "peer-ours", module))
        peer_url, peer_pid = stack.enter_context(peer_server(bin_dir, project, workdir, conf))
        addresses = Addresses()
        one_of_ours = FLOWS[flow]

        def ours() -> None:
            one_of_ours(app.url, files, addresses.next())

        def peer() -> None:
            peer_ticket(peer_url, files, queue)

        result = interleave(
            ours,
            peer,
            pids={"ours": app.process.pid, "peer": peer_pid},
            rounds=rounds,
            sequential=sequential,
            concurrent=concurrent,
        )
        filed = 4 * 2 + rounds * (sequential + 4 * concurrent)
        got = stored_counts(ours_db, peer_db, project)
        if got != (3 * filed, 3 * filed):
            raise RuntimeError(f"expected {3 * filed} files on each side, found {got}")
        progress(f"  both sides recorded {3 * filed} files for {filed} tickets")
    _flush_redis(servers.REDIS_URL)
    shutil.rmtree(workdir / "peer" / "media", ignore_errors=True)
    # Measured after both servers stopped, so neither competes with them.
    floor = peer_costs.gunicorn_floor(gunicorn_flags(conf), workdir)
    three = peer_files(MiB)
    checks = peer_costs.checks_cpu(three)
    file_mib = sum(len(data) for *_, data in three) / MiB
    return rows_for(result, db_label, flow, floor, checks, file_mib)


def _flush_redis(url: str) -> None:
    """Empty our Redis database (db 5 by default): counts from an earlier run would 429."""
    import redis

    redis.Redis.from_url(url).flushdb()
