"""A pooled PostgreSQL connection whose backend died between requests (issue 10, item 3).

Without `pool_pre_ping` (a round trip per request), the pool's checkout polls the idle
socket (triage.connections): the next request succeeds on a fresh connection. Where the
poll cannot see the death, the request answers a clean 503 and the one after it succeeds;
never a 500.
"""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool

from tests.conftest import UNFREEZE_WITH_CARD


def app_backends(app: Flask) -> set[int]:
    """The backend pids of the connections in the app's pool (read locally, no query)."""
    from triage.extensions import db

    with app.app_context():
        pool = db.engine.pool
    return {
        record.dbapi_connection.info.backend_pid
        for record in list(pool._pool.queue)  # the idle connections, waiting for a checkout
        if record.dbapi_connection is not None
    }


def kill_app_backends(app: Flask) -> int:
    """pg_terminate_backend the app's pooled connections; wait until they are gone."""
    from triage.extensions import db

    pids = sorted(app_backends(app))
    assert pids, "the app's pool holds no connection"
    with app.app_context():
        url = db.engine.url
    admin = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    listed = ", ".join(str(p) for p in pids)
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM unnest(ARRAY[{listed}]) pid"))
        deadline = time.monotonic() + 5
        alive = f"SELECT count(*) FROM pg_stat_activity WHERE pid IN ({listed})"
        while conn.execute(text(alive)).scalar():
            assert time.monotonic() < deadline, "the backends did not end"
            time.sleep(0.02)
    admin.dispose()
    time.sleep(0.05)  # the FATAL message and the FIN reach our side of the socket
    return len(pids)


def test_engine_options_have_no_pre_ping():
    from config import engine_options

    options = engine_options("postgresql+psycopg://u@h/d")
    assert "pool_pre_ping" not in options
    assert 0 < options["pool_recycle"] <= 3600


def test_the_request_after_a_killed_backend_succeeds(pg_app, client):
    created = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    assert created.status_code == 201
    reference, token = created.json["reference"], created.json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/tickets/{reference}", headers=headers).status_code == 200

    assert kill_app_backends(pg_app) >= 1
    again = client.get(f"/api/v1/tickets/{reference}", headers=headers)
    assert again.status_code == 200, again.text


def test_a_death_the_poll_cannot_see_is_a_503_then_success(pg_app, client):
    from triage.connections import _check_on_checkout
    from triage.extensions import db

    created = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    reference, token = created.json["reference"], created.json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with pg_app.app_context():
        engine = db.engine
    event.remove(engine, "checkout", _check_on_checkout)  # as if the FIN never came
    try:
        kill_app_backends(pg_app)
        failed = client.get(f"/api/v1/tickets/{reference}", headers=headers)
        assert failed.status_code == 503, failed.text
        assert failed.json["error"]["code"]
    finally:
        event.listen(engine, "checkout", _check_on_checkout)
    recovered = client.get(f"/api/v1/tickets/{reference}", headers=headers)
    assert recovered.status_code == 200, recovered.text


def test_checkouts_send_no_statement(pg_app, client):
    """What replaced pool_pre_ping costs no round trip: a GET sends only its own SELECTs."""
    from triage.extensions import db

    created = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    reference, token = created.json["reference"], created.json["access_token"]
    sent: list[str] = []
    with pg_app.app_context():
        engine = db.engine
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get(f"/api/v1/tickets/{reference}", headers={"Authorization": f"Bearer {token}"})
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert not any(s.strip().upper() == "SELECT 1" for s in sent), sent
