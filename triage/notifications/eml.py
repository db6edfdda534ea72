"""The embedded default mail backend: each message as an `.eml` file (no MAIL_SERVER).

Flask-Mailman loads it by name (`MAIL_BACKEND = "triage.notifications.eml"`); files go to
`MAIL_FILE_PATH` (`mail/` in the instance folder), one per message, openable by any mail
client, and the log says where.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from flask_mailman.backends.base import BaseEmailBackend

from triage.timeutil import utcnow

log = logging.getLogger(__name__)


class EmailBackend(BaseEmailBackend):
    def __init__(self, *args, file_path: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.folder = Path(file_path or self.mailman.file_path)

    def send_messages(self, messages) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in messages:
            mime = message.message()
            ident = re.sub(r"[^A-Za-z0-9.-]+", "_", str(mime["Message-ID"] or sent)).strip("_")
            path = self.folder / f"{utcnow():%Y%m%d-%H%M%S}-{ident}.eml"
            path.write_bytes(mime.as_bytes())
            log.info("no MAIL_SERVER: wrote the email to %s to %s", message.to, path)
            sent += 1
        return sent
