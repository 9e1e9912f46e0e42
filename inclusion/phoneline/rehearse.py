"""A call to the phone line played as Twilio plays it, without Twilio: each step is posted
to the app, signed as Twilio signs it, to the address the last answer named, and the TwiML
is read as Twilio reads it. ``flask phone-line call`` lets staff rehearse a call at the
keyboard; the tests drive whole calls with it."""

from __future__ import annotations

import itertools
import secrets
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

#: The ward's number as Twilio names it in a rehearsal.
REHEARSAL_NUMBER = "+815000000000"

_sids = itertools.count(1)


class LineError(Exception):
    """The app answered something Twilio could not follow."""


class Caller:
    """One call: ``client`` posts to the app (Flask's test client), ``token`` is the Twilio
    auth token the app checks signatures with, ``base`` its public address."""

    def __init__(self, client, ward: str, number: str | None, token: str, base: str) -> None:
        self.client, self.ward, self.token, self.base = client, ward, token, base
        #: None: the caller withholds their number (Twilio sends ``anonymous``).
        self.number = number
        self.sid = f"CA{next(_sids):08d}{secrets.token_hex(12)}"
        self.twiml = ""
        self.last_url = ""
        self.last_form: dict[str, str] = {}
        self.ended = False

    def _signed(self, url: str, form: dict[str, str]):
        form = {"CallSid": self.sid, "AccountSid": "ACrehearsal",
                "From": self.number or "anonymous", "To": REHEARSAL_NUMBER, **form}  # fmt: skip
        signature = RequestValidator(self.token).compute_signature(url, form)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.client.post(path, data=form, headers={"X-Twilio-Signature": signature})

    def post(self, url: str, form: dict[str, str]) -> str:
        """Post a step as Twilio does; the TwiML answered."""
        response = self._signed(url, form)
        if response.status_code != 200 or response.mimetype != "text/xml":
            raise LineError(f"{url} answered {response.status_code} {response.mimetype}")
        self.last_url, self.last_form = url, form
        self.twiml = response.get_data(as_text=True)
        self.ended = self._root().find("Hangup") is not None
        return self.twiml

    def dial(self) -> str:
        """The call comes in: what the caller hears first."""
        self.post(f"{self.base}/twilio/phone/{self.ward}", {"CallStatus": "ringing"})
        return self.heard

    def press(self, key: str) -> str:
        self.post(self.action(), {"Digits": key, "CallStatus": "in-progress"})
        return self.heard

    def keep_silent(self) -> str:
        self.post(self.action(), {"CallStatus": "in-progress"})
        return self.heard

    def speak(self, words: str) -> str:
        self.post(self.action(), {"SpeechResult": words, "Confidence": "0.9",
                                  "CallStatus": "in-progress"})  # fmt: skip
        return self.heard

    def again(self) -> str:
        """Twilio asks the last step again, as it does when an answer is slow."""
        self.post(self.last_url, self.last_form)
        return self.heard

    def staff_answer(self, status: str = "completed") -> str:
        """The desk answered the call put through (or did not: ``no-answer``, ``busy``)."""
        dial = self._root().find("Dial")
        if dial is None:
            raise LineError("the call was not put through")
        self.post(dial.get("action"), {"DialCallStatus": status, "CallStatus": "in-progress"})
        return self.heard

    def hang_up(self, seconds: int = 60) -> None:
        """The caller hangs up: Twilio reports the end of the call."""
        url = f"{self.base}/twilio/phone/{self.ward}/status"
        response = self._signed(url, {"CallStatus": "completed", "CallDuration": str(seconds)})
        if response.status_code != 204:
            raise LineError(f"{url} answered {response.status_code}")
        self.ended = True

    # -- what the caller hears ------------------------------------------------------------

    def _root(self) -> ET.Element:
        return ET.fromstring(self.twiml)

    def action(self) -> str:
        """Where the key the line waits for goes."""
        gather = self._root().find("Gather")
        if gather is None or self.ended:
            raise LineError(f"the line waits for nothing: {self.heard}")
        return gather.get("action")

    @property
    def heard(self) -> str:
        """Everything said in the last answer, in order."""
        return "".join("".join(say.itertext()) for say in self._root().iter("Say"))

    @property
    def waits_for_speech(self) -> bool:
        gather = self._root().find("Gather")
        return gather is not None and gather.get("input") == "speech"

    @property
    def put_through_to(self) -> str | None:
        number = self._root().find("Dial/Number")
        return number.text if number is not None else None

    def voices(self) -> set[str]:
        return {say.get("voice") for say in self._root().iter("Say")}
