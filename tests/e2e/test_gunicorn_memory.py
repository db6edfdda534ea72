"""gunicorn's workers keep upload buffers in their own mappings (config/gunicorn.conf.py,
MMAP_THRESHOLD): glibc's dynamic threshold would otherwise serve the second 5 MiB buffer
from the heap, copying it as it grows (issue 10: worker RSS per upload, benchmarks/memory)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import runpy, sys
if sys.argv[1] == "configured":
    runpy.run_path("config/gunicorn.conf.py")["post_fork"](None, None)
first = bytearray(4 * 1024 * 1024)
del first  # glibc, left alone, now raises its threshold above 4 MiB
second = bytearray(4 * 1024 * 1024)
import ctypes
at = ctypes.addressof((ctypes.c_char * len(second)).from_buffer(second))
for line in open("/proc/self/maps"):
    span, *rest = line.split()
    low, high = (int(x, 16) for x in span.split("-"))
    if low <= at < high:
        print("heap" if line.rstrip().endswith("[heap]") else "mapping")
"""


def where_the_second_buffer_lives(mode: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc only")
def test_a_worker_maps_every_large_buffer_of_its_own():
    assert where_the_second_buffer_lives("plain") == "heap"  # glibc's dynamic threshold
    assert where_the_second_buffer_lives("configured") == "mapping"  # after post_fork
