"""Where reminders go out, behind one interface chosen by ``REMINDER_CHANNEL``.

``console`` (the default without Twilio credentials) logs what would be sent, so the app
runs with no account and staff can rehearse a morning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from flask import current_app

from inclusion.residents.models import ReminderChannel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One message ready to leave: the row it belongs to, where, and what."""

    reminder_id: int
    channel: ReminderChannel
    to: str
    body: str


class NotSent(Exception):
    """Certainly not sent (rate-limited, connection refused): may be tried again later."""


class MaybeSent(Exception):
    """The request may have reached the provider (timeout, 5xx): never sent again by itself."""


class Refused(Exception):
    """The provider refused for good (invalid number, opted out): the reason is kept."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.code = code


class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> str:
        """Send the message and return the provider's id for it."""


class ConsoleChannel:
    """Logs each message instead of sending it."""

    name = "console"

    def send(self, message: Outgoing) -> str:
        log.info(
            "console %s to %s (reminder %s): %s",
            message.channel.value,
            message.to,
            message.reminder_id,
            message.body,
        )
        return f"console-{message.reminder_id}"


def configured_channel() -> Channel:
    """The channel the settings ask for."""
    if current_app.config["REMINDER_CHANNEL"] == "console":
        return ConsoleChannel()
    raise NotImplementedError("the Twilio channel is not built yet")
