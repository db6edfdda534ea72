"""The app under cProfile, one profile file per request: `gunicorn ... benchmarks.profiled:app`.

Used by `python -m benchmarks --profile` to show where the upload path spends its time.
Profiling slows everything down, so figures from a profiled run never go in the table.
"""

from __future__ import annotations

import os

from werkzeug.middleware.profiler import ProfilerMiddleware

from triage.app import create_app

app = ProfilerMiddleware(
    create_app(),
    stream=None,
    profile_dir=os.environ["BENCH_PROFILE_DIR"],
    filename_format="{method}.{path}.{time:.6f}.{elapsed:.0f}ms.prof",
)
