"""A prefork worker child starts with fresh database pools (`worker_process_init`), for
as long as its app lives, and the signal does not keep dead apps alive."""

from __future__ import annotations

import gc
import weakref

from celery.signals import worker_process_init
from flask import Flask

from triage.app import create_app


def test_a_new_worker_process_gets_fresh_pools(app: Flask):
    from triage.extensions import db

    with app.app_context():
        before = db.engine.pool
    gc.collect()  # the receiver is weak: it must survive as long as the app does
    worker_process_init.send(sender=None)
    with app.app_context():
        assert db.engine.pool is not before


def test_the_signal_keeps_no_app_alive(app_config):
    earlier = [weakref.ref(create_app(app_config)) for _ in range(3)]
    create_app(app_config)  # extensions may keep the latest app: not the earlier ones
    gc.collect()
    assert [ref() for ref in earlier] == [None, None, None]
