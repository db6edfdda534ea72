"""A real SMTP server in the test's process (aiosmtpd), and apps that send to it."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.review.helpers import (
    PASSWORD,
    ApiReviewer,
    submitted,  # noqa: F401 - fixture
)


def api_reviewer(app, email: str, role: str) -> ApiReviewer:
    """A reviewer made by the services the CLI uses, with an API token (own app context)."""
    from triage.extensions import db
    from triage.reviewers.operations import create_reviewer, issue_token

    with app.app_context():
        made = create_reviewer(email, email.split("@")[0].title(), role, PASSWORD)
        _, token = issue_token(email)
        db.session.commit()
        return ApiReviewer(made.email, made.id, token, app.test_client())


@pytest.fixture
def reviewer(app) -> ApiReviewer:
    return api_reviewer(app, "rita@example.com", "reviewer")


@pytest.fixture
def lead(app) -> ApiReviewer:
    return api_reviewer(app, "lena@example.com", "lead")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Inbox:
    """What the SMTP server accepted; `refuse` makes it answer RCPT TO with that reply."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: str | None = None
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
        return self.messages


class Handler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.inbox.refuse:
            return self.inbox.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.inbox.arrived:
            self.inbox.messages.append(message)
            self.inbox.arrived.notify_all()
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox = Inbox(port=free_port())
    controller = Controller(Handler(inbox), hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    """Every app of these tests sends through the in-process SMTP server."""
    app_config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_TIMEOUT=5,
        MAIL_DEFAULT_SENDER="Evidence triage <desk@triage.example>",
        PUBLIC_URL="https://triage.example",
    )
    return app_config


def text_part(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_part(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()
