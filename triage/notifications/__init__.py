"""Email to customers through a transactional outbox (api.md "Notifications").

Every change that tells the customer something writes its history event; a history hook
(`operations.notify_for_event`) adds the outbox row in that same session, so the email
exists exactly when the change commits. The Celery job `triage.notifications.send` sends
it through Flask-Mailman; `notification_sent` / `notification_failed` go to the history.
"""

from __future__ import annotations

from flask import Flask

EML_BACKEND = "triage.notifications.eml"


def init_app(app: Flask) -> None:
    """Choose the mail backend, bind Flask-Mailman and subscribe to the history.

    MAIL_SERVER set: SMTP. Otherwise `.eml` files in MAIL_FILE_PATH, except that apps
    created with TESTING keep messages in memory (Flask-Mailman's `locmem`, read as
    `app.extensions["mailman"].outbox`) unless a test names a backend.
    """
    from triage.extensions import mail
    from triage.history.models import subscribe
    from triage.notifications import operations

    if not app.config.get("MAIL_BACKEND"):
        if app.config.get("MAIL_SERVER"):
            app.config["MAIL_BACKEND"] = "smtp"
        else:
            app.config["MAIL_BACKEND"] = "locmem" if app.testing else EML_BACKEND
    mail.init_app(app)
    subscribe(operations.notify_for_event)
    operations.register_session_hooks()
