"""Pooled PostgreSQL connections checked at checkout without a round trip.

`pool_pre_ping` sends `SELECT 1` each time a request takes a connection: one round trip
per request, for a failure that is rare. What it guards against is mostly a backend that
ended while the connection sat in the pool (a server restart, `pg_terminate_backend`, an
idle timeout): PostgreSQL then sends a FATAL message and closes the socket, so the idle
socket is readable. Polling it with a zero timeout is a system call, not a round trip; a
readable idle socket means the connection is dead (or holds an unsolicited message, and a
fresh one is as good), and raising DisconnectionError makes the pool discard it and
connect again (SQLAlchemy's "custom pessimistic ping" recipe).

What this cannot see (a peer gone without a FIN, a firewall that dropped the flow) is
covered by `pool_recycle` and by SQLAlchemy's own disconnect handling: the first statement
fails, the whole pool is invalidated, and the request answers a clean 503
(triage.errorpages) — never a 500; the next request connects afresh.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError


def socket_closed(dbapi_connection: Any) -> bool:
    """True when an idle psycopg connection's socket has something to read: EOF or FATAL."""
    if getattr(dbapi_connection, "closed", False):
        return True
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:  # not psycopg 3: nothing to check here
        return False
    try:
        fd = pgconn.socket
    except Exception:  # psycopg raises OperationalError once the connection is bad
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _check_on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    if socket_closed(dbapi_connection):
        raise DisconnectionError("the server closed this pooled connection")


def watch_connections(engine: Engine) -> None:
    """Discard dead pooled connections of `engine` at checkout (PostgreSQL only)."""
    if engine.dialect.name != "postgresql":
        return
    if not event.contains(engine, "checkout", _check_on_checkout):
        event.listen(engine, "checkout", _check_on_checkout)
