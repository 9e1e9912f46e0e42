"""Mail to staff through the ward's SMTP relay, or to the log when none is set.

Standard ``smtplib`` rather than Flask-Mail: Flask-Mail opens its connection without a
timeout, and a stuck relay would then hold the scheduler's job for ever.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import current_app

log = logging.getLogger(__name__)

#: The settings a mail is sent with.
MAIL_SETTINGS = (
    "MAIL_FROM",
    "MAIL_PASSWORD",
    "MAIL_PORT",
    "MAIL_SERVER",
    "MAIL_STARTTLS",
    "MAIL_TIMEOUT_SECONDS",
    "MAIL_USERNAME",
)


class MailNotSent(Exception):
    """The relay refused the mail or could not be reached; the reason is in the message."""


def send_mail(
    recipients: list[str], subject: str, body: str, config: Mapping[str, Any] | None = None
) -> str:
    """Send one plain-text mail to ``recipients`` (Bcc: staff don't see each other);
    return its Message-ID. ``config``: the app's settings, for a thread without the app."""
    config = current_app.config if config is None else config
    message_id = make_msgid(domain=(config["MAIL_FROM"] or "").rpartition("@")[2] or None)
    if not config["MAIL_SERVER"]:
        log.info("console mail to %s recipient(s): %s\n%s", len(recipients), subject, body)
        return message_id
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_FROM"]
    message["To"] = config["MAIL_FROM"]
    message["Message-ID"] = message_id
    message.set_content(body)
    try:
        with smtplib.SMTP(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"]
        ) as relay:
            if config["MAIL_STARTTLS"]:
                relay.starttls()
            if config["MAIL_USERNAME"]:
                relay.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            relay.send_message(message, to_addrs=recipients)
    except (smtplib.SMTPException, OSError) as error:
        raise MailNotSent(f"{type(error).__name__}: {error}") from error
    log.info("mail sent to %s recipient(s): %s", len(recipients), subject)
    return message_id
