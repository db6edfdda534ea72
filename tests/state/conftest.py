"""Races: conflicting actions fired at the same instant from real threads.

Each action runs in its own thread with its own test client, so its own app context,
database session and connection, as two browsers or two API callers would. A barrier
releases them together. The database is the test database: a SQLite file by default
(threads need a file, which the `app` fixture uses), PostgreSQL with TEST_DATABASE_URL.
"""

from __future__ import annotations

import io
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from tests.review.helpers import (  # noqa: F401 - fixtures
    lead,
    make_reviewer,
    other_reviewer,
    reviewer,
    submitted,
)
from triage.evidence.models import Evidence
from triage.extensions import db
from triage.history.models import Event
from triage.tickets.models import MaterialRequest, Ticket

# How many times each pair of actions is fired together. A round takes 50 to 300 ms of
# setup and race; 20 keeps this folder near a minute on either database.
ROUNDS = 20


def jitter_for(round_number: int, spread: float = 0.05) -> float:
    """Every other round starts the racers up to `spread` seconds apart (`race`), the
    others at once."""
    return spread if round_number % 2 else 0.0


Action = Callable[[FlaskClient], TestResponse]


def race(app: Flask, *actions: Action, jitter: float = 0.0) -> list[TestResponse]:
    """Run `actions` at the same instant, one thread and one client each; their responses.

    jitter: each action then waits a random 0 to `jitter` seconds, so that over many
    rounds each gets to go first even when one is much slower to reach the database (an
    upload's checks take longer than a withdrawal). Exceptions in a thread are raised
    here, not lost.
    """
    start = threading.Barrier(len(actions))
    responses: list[TestResponse | None] = [None] * len(actions)
    failures: list[BaseException] = []

    def run(index: int, action: Action) -> None:
        client = app.test_client()
        try:
            start.wait(timeout=30)
            time.sleep(random.uniform(0, jitter))
            responses[index] = action(client)
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if failures:
        raise failures[0]
    assert all(r is not None for r in responses), "a racer did not finish"
    for response in responses:
        assert response.status_code < 500, response.get_data(as_text=True)
    return responses  # type: ignore[return-value]


# --- actions ------------------------------------------------------------------------------------


def post(path: str, headers: dict[str, str], json: Any = None) -> Action:
    """POST /api/v1<path> with a JSON body."""
    return lambda client: client.post(f"/api/v1{path}", headers=headers, json=json)


def put(path: str, headers: dict[str, str], json: Any) -> Action:
    return lambda client: client.put(f"/api/v1{path}", headers=headers, json=json)


def upload(
    reference: str, headers: dict[str, str], material: str, data: bytes, filename: str
) -> Action:
    """The customer's API upload of one file."""
    return lambda client: client.post(
        f"/api/v1/tickets/{reference}/evidence",
        headers=headers,
        data={"material": material, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


# --- what the database and the store say -------------------------------------------------------


def refused(response: TestResponse) -> bool:
    """The loser's answer: `409 invalid_state` (api.md "Statuses")."""
    return response.status_code == 409 and response.json["error"]["code"] == "invalid_state"


def won(response: TestResponse) -> bool:
    return response.status_code in (200, 201)


def ticket_row(app: Flask, reference: str) -> Ticket:
    """The ticket as committed now; its columns stay readable outside the app context."""
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
    assert ticket is not None
    return ticket


def actions_of(app: Flask, reference: str) -> list[str]:
    """The ticket's history, action names in the order they were written."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(Event.action)
                .join(Ticket, Ticket.id == Event.ticket_id)
                .where(Ticket.reference == reference)
                .order_by(Event.id)
            )
        )


def evidence_keys(app: Flask, ticket_id: str) -> set[str]:
    with app.app_context():
        return set(
            db.session.scalars(select(Evidence.storage_key).where(Evidence.ticket_id == ticket_id))
        )


def stored_keys(app: Flask, ticket_id: str) -> set[str]:
    """Evidence objects in the store under the ticket's prefix (derived previews left out)."""
    prefix = f"tickets/{ticket_id}/"
    return {
        obj.key
        for obj in app.extensions["evidence_store"].list(prefix)
        if "/" not in obj.key[len(prefix) :]
    }


def request_count(app: Flask, ticket_id: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(MaterialRequest.id)).where(MaterialRequest.ticket_id == ticket_id)
        )


@pytest.fixture
def tally():
    """Which side won how often, printed at the end (pytest -s): proof the race was real."""
    counts: dict[str, int] = {}

    def note(outcome: str) -> None:
        counts[outcome] = counts.get(outcome, 0) + 1

    yield note
    print(f"\n  outcomes over {sum(counts.values())} rounds: {counts}")
