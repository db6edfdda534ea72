"""The jobs' tests send through the notifications' in-process SMTP server."""

from tests.notifications.conftest import app_config, lead, reviewer, smtp  # noqa: F401 - fixtures
