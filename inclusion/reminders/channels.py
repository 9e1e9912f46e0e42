"""Where reminders go out, behind one interface chosen by ``REMINDER_CHANNEL``.

``console`` (the default without Twilio credentials) logs what would be sent, so the app
runs with no account and staff can rehearse a morning.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Protocol

import requests
import urllib3
from flask import current_app
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import Gather, VoiceResponse

from inclusion.mail import MAIL_SETTINGS, MailNotSent, send_mail
from inclusion.phones import masked, without_numbers
from inclusion.reminders.media import Medium
from inclusion.residents.models import ReminderChannel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One message ready to leave: the row it belongs to, where, and what."""

    reminder_id: int
    channel: Medium
    #: A number in E.164, or a mail address.
    to: str
    body: str
    #: The session's ``sequence`` the text was written for: a later change rewrites it
    #: (None for a message about no session).
    session_sequence: int | None = 0
    #: Which of our senders it leaves from, where there are several (a LINE account).
    sender: str = ""
    #: The answers it offers as buttons where the channel has them (``confirm``, ``cancel``).
    answers: tuple[str, ...] = ()
    #: The ward's number, for a button that calls it.
    phone: str = ""


class SendError(Exception):
    """A send that did not certainly succeed: the reason for staff and a short code.

    The code is Twilio's error number when it gave one, else what happened
    (``http-503``, ``unreachable``, ``timeout``…); metrics count failures by it.
    """

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.code = code


class NotSent(SendError):
    """Certainly not sent (rate-limited, connection refused): may be tried again later."""


class MaybeSent(SendError):
    """The request may have reached the provider (timeout, 5xx): never sent again by itself."""


class SafeToRetry(NotSent, MaybeSent):
    """It may have gone, but the provider takes each message once (a retry key): tried
    again later; when the tries run out, unknown rather than failed."""


class Refused(SendError):
    """The provider refused for good (invalid number, opted out): the reason is kept."""


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
            masked(message.to) if message.channel != Medium.EMAIL else "a volunteer",
            message.reminder_id,
            message.body,
        )
        return f"console-{message.reminder_id}"


#: Twilio error codes that will not change by trying again, in plain words for staff.
PERMANENT = {
    21211: "The number is not a valid phone number.",
    21610: "The person replied STOP: they asked for no more messages.",
    21614: "The number cannot receive SMS (not a mobile).",
}
RATE_LIMITED = 20429


PROMPT = "ご参加の方は1を、お休みされる方は2を、もう一度お聞きになる方は9を押してください。"
GOODBYE = "お電話ありがとうございました。失礼いたします。"
#: What a call is about, as an answering machine is told: a resident's booking, by default.
ABOUT_BOOKING = "スマホ教室のご予約について"


def machine_twiml(
    ward_phone_spoken: str, ward_name: str, voice: str, about: str = ABOUT_BOOKING
) -> str:
    """For an answering machine: who called and the number to call back, nothing to press."""
    response = VoiceResponse()
    response.say(
        f"こちらは{ward_name}です。{about}、お知らせのお電話をしました。"
        f"ご不明な点は、{ward_phone_spoken}まで、お電話ください。",
        language="ja-JP",
        voice=voice,
    )
    return str(response)


def call_twiml(body: str, voice: str, keypad_url: str, prompt: str | None = PROMPT) -> str:
    """A call: the message and the keypad choices, once more if no key, then goodbye; a
    call without ``prompt`` says its message twice and asks for nothing."""
    response = VoiceResponse()
    for _ in range(2):
        target = response
        if prompt:
            target = Gather(num_digits=1, action=keypad_url, method="POST", timeout=6)
            response.append(target)
        target.say(body, language="ja-JP", voice=voice)
        target.pause(length=1)
        if prompt:
            target.say(prompt, language="ja-JP", voice=voice)
    response.say(GOODBYE, language="ja-JP", voice=voice)
    return str(response)


TWILIO_API = "https://api.twilio.com"


def _never_left(error: requests.ConnectionError) -> bool:
    """Refused or unreachable before the request left (Twilio's host or the proxy)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0] if error.args else None, "reason", None)
    if isinstance(reason, urllib3.exceptions.ProxyError):
        reason = reason.original_error
    return isinstance(
        reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
    )


def _settle_environment(session: requests.Session, url: str) -> None:
    """Read the proxy and CA settings from the environment once, not on every send.

    ``requests`` otherwise scans the whole environment for each request, which costs more
    than building the request itself; the settings a ward's network needs still apply.
    """
    session.proxies.update(requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False


class _HttpClient(TwilioHttpClient):
    """Twilio's HTTP client, writing its log lines only when they are kept: it formats every
    request's and response's lines (the headers too) before the logger drops them."""

    def log_request(self, kwargs: dict) -> None:
        if self.logger.isEnabledFor(logging.INFO):
            super().log_request(kwargs)

    def log_response(self, status_code: int, response: requests.Response) -> None:
        if self.logger.isEnabledFor(logging.INFO):
            super().log_response(status_code, response)


class TwilioChannel:
    """SMS and calls through Twilio's REST API, with a timeout (the client has none by default)."""

    name = "twilio"

    def __init__(self, config) -> None:
        http_client = _HttpClient(timeout=config["TWILIO_TIMEOUT_SECONDS"])
        _settle_environment(http_client.session, config["TWILIO_API_BASE_URL"] or TWILIO_API)
        # Region and edge rename Twilio's own host; a base URL given instead (a proxy, the
        # test fake) is used as it is.
        regional = not config["TWILIO_API_BASE_URL"]
        self.client = Client(
            config["TWILIO_ACCOUNT_SID"],
            config["TWILIO_AUTH_TOKEN"],
            http_client=http_client,
            region=config["TWILIO_REGION"] if regional else None,
            edge=config["TWILIO_EDGE"] if regional else None,
        )
        if config["TWILIO_API_BASE_URL"]:
            self.client.api.base_url = config["TWILIO_API_BASE_URL"]
        # A Messaging Service holds the sender (Twilio's advice for Japan); else the sender ID.
        self.sender = (
            {"messaging_service_sid": config["TWILIO_MESSAGING_SERVICE_SID"]}
            if config["TWILIO_MESSAGING_SERVICE_SID"]
            else {"from_": config["TWILIO_SMS_FROM"]}
        )
        self.voice_from = config["TWILIO_VOICE_FROM"]
        self.voice = config["REMINDER_VOICE"]
        self.base_url = config["PUBLIC_BASE_URL"]

    def send(self, message: Outgoing) -> str:
        try:
            # Each message reports back on its own URL: replies are never matched by guesswork.
            callback = f"{self.base_url}/twilio/status/{message.reminder_id}"
            if message.channel == ReminderChannel.SMS:
                sent = self.client.messages.create(
                    to=message.to, body=message.body, status_callback=callback, **self.sender
                )
            else:
                # Twilio asks for what to say once it knows who answered (person or machine).
                sent = self.client.calls.create(
                    to=message.to,
                    from_=self.voice_from,
                    url=f"{self.base_url}/twilio/voice/{message.reminder_id}/answered",
                    machine_detection="DetectMessageEnd",
                    status_callback=callback,
                    status_callback_event=["completed"],
                )
        except TwilioRestException as error:
            code = str(error.code) if error.code else f"http-{error.status}"
            if error.status == 429 or error.code == RATE_LIMITED:
                raise NotSent(f"Twilio asked to slow down ({error.code or 429}).", code) from None
            if error.status >= 500:
                raise MaybeSent(
                    f"Twilio answered {error.status}; it may have been sent.", code
                ) from None
            reason = PERMANENT.get(
                error.code, f"Twilio refused it ({error.code}: {without_numbers(error.msg)})"
            )
            raise Refused(reason, code) from None
        except requests.ConnectionError as error:
            if _never_left(error):
                raise NotSent(f"Could not reach Twilio: {error}", "unreachable") from None
            raise MaybeSent(
                f"The connection broke after sending: {error}", "connection-broken"
            ) from None
        except requests.Timeout as error:
            raise MaybeSent(f"No answer from Twilio in time: {error}", "timeout") from None
        return sent.sid


class MailChannel:
    """Mail through the app's relay (``inclusion.mail``): the first line is the subject."""

    name = "mail"

    def __init__(self, config) -> None:
        # Sends run in threads of their own, without the app: its settings go with them.
        self.config = {key: config[key] for key in MAIL_SETTINGS}

    def send(self, message: Outgoing) -> str:
        subject, _, body = message.body.partition("\n")
        try:
            return send_mail([message.to], subject.strip(), body.strip(), self.config)[:64]
        except MailNotSent as error:
            # The relay refused it or could not be reached: nothing left, try again later.
            raise NotSent(f"The mail relay did not take it: {error}", "mail") from None


class ByMedium:
    """Each message to the channel of its medium: mail to ``mail``, LINE to ``line``, SMS
    and calls to ``phone`` (Twilio, or the console)."""

    def __init__(self, phone: Channel, mail: Channel, line: Channel) -> None:
        self.by_medium = {Medium.EMAIL: mail, Medium.LINE: line}
        self.phone = phone
        self.name = phone.name

    def send(self, message: Outgoing) -> str:
        return self.by_medium.get(message.channel, self.phone).send(message)


def configured_channel() -> Channel:
    """The channels the settings ask for: Twilio (or the console), LINE and the mail relay."""
    from inclusion.line.channel import LineChannel  # LINE's channel builds on this module

    config = current_app.config
    phone = TwilioChannel(config) if config["REMINDER_CHANNEL"] == "twilio" else ConsoleChannel()
    return ByMedium(phone, MailChannel(config), LineChannel(config))
