"""A real SMTP server on 127.0.0.1 for tests of mail: what it accepted, and the settings
that send to it."""

from __future__ import annotations

import email
import email.policy

from tests.test_gunicorn import free_port

#: One port per test process; each test starts and stops its own server on it.
SMTP_PORT = free_port()


class Inbox:
    """What the SMTP server accepted: (envelope recipients, parsed message)."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mails.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def mail_settings() -> dict[str, object]:
    """The app's settings for mail to the test server, with a public address for links."""
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(SMTP_PORT),
        "MAIL_FROM": "inclusion@city.example.lg.jp",
        "PUBLIC_BASE_URL": "https://inclusion.example.jp",
    }
