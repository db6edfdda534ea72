"""gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py wsgi:app`, behind
the buffering nginx of config/nginx.conf.

Every value can be overridden from the environment (GUNICORN_* below) or the command line.
"""

import multiprocessing
import os

from config import check_shared_limits

# Behind nginx (config/nginx.conf) on the same host: only nginx may reach gunicorn, because
# threaded workers must never read from a slow client themselves.
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Threads, because requests wait on the database and the object store, not the CPU; the
# buffering nginx in front keeps slow clients away from them.
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# An upload of 5 MB from a phone on a slow line takes a while; a stuck worker is still recycled.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = 200
# Request limits: header sizes; bodies are capped by the app's MAX_CONTENT_LENGTH.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# Each worker builds its own database pool and S3 client after the fork.
preload_app = False
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Before any worker starts: refuse per-process rate-limit counts with several workers.

    Raises ConfigError (a RuntimeError: gunicorn prints it and exits 1) naming
    RATELIMIT_STORAGE_URI when TRIAGE_ENV=production, more than one worker and memory://.
    """
    check_shared_limits(os.environ, server.cfg.workers)


# glibc's M_MMAP_THRESHOLD (mallopt parameter -3), in bytes. Left dynamic, glibc raises the
# threshold after the first large free, so later 5 MiB upload buffers come from the arenas:
# growing one copies it (peak RSS twice the file) and freeing it keeps the pages. Fixed,
# buffers above it are their own mappings: they grow by mremap and go back to the kernel.
# Not lower: every block above it is a fresh mapping whose pages the kernel zeroes on first
# touch, and an upload's body passes through several blocks of 256 KiB to 1 MiB (gunicorn's
# receive buffer, the multipart parser's reads): at 256 KiB that was a fifth of the CPU of a
# ticket with three 1 MiB files (`python -m benchmarks peer`, benchmarks/README.md).
MMAP_THRESHOLD = 2 * 1024 * 1024


def post_fork(server, worker):
    """In each worker: fix glibc's mmap threshold (a no-op where libc is not glibc)."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, MMAP_THRESHOLD)
    except (OSError, AttributeError):
        pass
