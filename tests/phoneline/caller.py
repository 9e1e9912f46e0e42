"""A caller on the phone line, with Twilio between them and the app: each step is posted as
Twilio posts it (signed, to the URL the last answer named), and the TwiML answered is read
as Twilio reads it — what is said, and where the next key goes."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

PUBLIC = "https://inclusion.example.lg.jp"
TOKEN = "fake-token"
WARD_NUMBER = "+81570000111"

_sids = itertools.count(1)


class Caller:
    def __init__(self, client, ward: str, number: str | None) -> None:
        self.client = client
        self.ward = ward
        #: None: the caller withholds their number (Twilio sends ``anonymous``).
        self.number = number
        self.sid = f"CA{next(_sids):032d}"
        self.twiml = ""
        self.last_url = ""
        self.last_form: dict[str, str] = {}
        self.ended = False

    # -- what Twilio does -----------------------------------------------------------------

    def post(self, url: str, form: dict[str, str]) -> str:
        """Post ``form`` to ``url`` signed as Twilio signs it; the TwiML answered."""
        form = {"CallSid": self.sid, "AccountSid": "ACfake", "From": self.number or "anonymous",
                "To": WARD_NUMBER, "Direction": "inbound", **form}  # fmt: skip
        signature = RequestValidator(TOKEN).compute_signature(url, form)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = self.client.post(path, data=form, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200, response.status_code
        assert response.mimetype == "text/xml"
        self.last_url, self.last_form = url, form
        self.twiml = response.get_data(as_text=True)
        self.ended = self._root().find("Hangup") is not None
        return self.twiml

    def dial(self) -> str:
        """The call comes in: what the caller hears first."""
        self.post(f"{PUBLIC}/twilio/phone/{self.ward}", {"CallStatus": "ringing"})
        return self.heard

    def press(self, key: str) -> str:
        """Press a key while the last answer waits for one."""
        self.post(self._action(), {"Digits": key, "CallStatus": "in-progress"})
        return self.heard

    def keep_silent(self) -> str:
        self.post(self._action(), {"CallStatus": "in-progress"})
        return self.heard

    def speak(self, words: str) -> str:
        self.post(self._action(), {"SpeechResult": words, "Confidence": "0.9",
                                   "CallStatus": "in-progress"})  # fmt: skip
        return self.heard

    def again(self) -> str:
        """Twilio asks the last step again (a retry): the answer must be the same."""
        first = self.twiml
        self.post(self.last_url, self.last_form)
        assert self.twiml == first
        return self.heard

    def staff_answer(self, status: str = "completed") -> str:
        """The ward's desk answered the call put through (or did not: ``no-answer``)."""
        dial = self._root().find("Dial")
        assert dial is not None, "the call was not put through"
        self.post(dial.get("action"), {"DialCallStatus": status, "CallStatus": "in-progress"})
        return self.heard

    def hang_up(self, seconds: int = 60) -> None:
        """The caller hangs up: Twilio reports the end of the call."""
        form = {"CallStatus": "completed", "CallDuration": str(seconds)}
        signature_url = f"{PUBLIC}/twilio/phone/{self.ward}/status"
        self.post_status(signature_url, form)
        self.ended = True

    def post_status(self, url: str, form: dict[str, str]) -> None:
        form = {"CallSid": self.sid, "AccountSid": "ACfake", "From": self.number or "anonymous",
                "To": WARD_NUMBER, **form}  # fmt: skip
        signature = RequestValidator(TOKEN).compute_signature(url, form)
        response = self.client.post(urlsplit(url).path, data=form,
                                    headers={"X-Twilio-Signature": signature})  # fmt: skip
        assert response.status_code == 204

    # -- what the caller hears ------------------------------------------------------------

    def _root(self) -> ET.Element:
        return ET.fromstring(self.twiml)

    def _action(self) -> str:
        gather = self._root().find("Gather")
        assert gather is not None, f"the line waits for nothing: {self.heard}"
        assert not self.ended
        return gather.get("action")

    @property
    def heard(self) -> str:
        """Everything said in the last answer, in order."""
        return "".join("".join(say.itertext()) for say in self._root().iter("Say"))

    @property
    def waits_for_speech(self) -> bool:
        gather = self._root().find("Gather")
        return gather is not None and gather.get("input") == "speech"

    def voices(self) -> set[str]:
        return {say.get("voice") for say in self._root().iter("Say")}
