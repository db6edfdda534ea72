"""The analysis on a real worker: `celery -A wsgi.celery worker` on the embedded broker
(no Redis), as `make run` starts it; the upload answers before the file is analysed."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import UNFREEZE_WITH_CARD, worker_env

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_process_analyses_the_upload(app_config, tmp_path, blurred_photo):
    from triage.app import create_app
    from triage.evidence.models import Evidence
    from triage.extensions import db

    broker = f"sqla+sqlite:///{tmp_path / 'jobs.sqlite'}"
    app_config.update(CELERY_BROKER_URL=broker, CELERY_TASK_ALWAYS_EAGER=False)
    app = create_app(app_config)
    client = app.test_client()
    created = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD).json
    headers = {"Authorization": f"Bearer {created['access_token']}"}
    uploaded = client.post(
        f"/api/v1/tickets/{created['reference']}/evidence",
        headers=headers,
        data={"material": "authorization_letter", "file": (io.BytesIO(blurred_photo), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.json
    evidence_id = uploaded.json["id"]

    def state() -> str | None:
        with app.app_context():
            value = db.session.get(Evidence, evidence_id).analysis
            db.session.rollback()
            return value

    assert state() == "pending"  # nothing ran in the request
    env = worker_env(app_config, broker)
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "wsgi.celery", "worker",
         "--pool=solo", "--loglevel=WARNING", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while state() == "pending" and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert state() == "done", output
    body = client.get(f"/api/v1/tickets/{created['reference']}", headers=headers).json
    (item,) = body["evidence"]
    assert [f["code"] for f in item["findings"]] == ["blurry"]
