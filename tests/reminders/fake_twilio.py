"""A fake Twilio REST API on 127.0.0.1: records every form posted, answers as told.

The real ``twilio`` client talks to it over HTTP, exactly as it talks to Twilio.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from dataclasses import dataclass

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Posted:
    path: str
    form: dict[str, str]
    username: str


class FakeTwilio:
    def __init__(self) -> None:
        self.posted: list[Posted] = []
        self.answers: list[object] = []
        self.hang_seconds = 2.0
        #: Set to end every hanging request at once (they then answer 201).
        self.released = threading.Event()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, *answers: object) -> None:
        """Queue answers for the next requests: "ok", 429, 500, "hang" or a Twilio error code."""
        with self._lock:
            self.answers.extend(answers)

    def reset(self) -> None:
        with self._lock:
            self.posted.clear()
            self.answers.clear()

    def app(self, environ, start_response):
        request = Request(environ)
        auth = request.authorization
        with self._lock:
            self.posted.append(
                Posted(request.path, request.form.to_dict(), auth.username if auth else "")
            )
            answer = self.answers.pop(0) if self.answers else "ok"
            number = next(self._numbers)
        if answer == "hang":
            self.released.wait(self.hang_seconds)
            answer = "ok"
        if answer == "ok":
            prefix = "CA" if request.path.endswith("/Calls.json") else "SM"
            body = {"sid": f"{prefix}{number:032d}", "status": "queued", **request.form.to_dict()}
            return Response(json.dumps(body), 201, content_type="application/json")(
                environ, start_response
            )
        status = answer if answer in (429, 500) else 400
        code = {429: 20429, 500: 20500}.get(answer, answer)
        # As Twilio's own messages do, name the number it was sent to.
        message = f"fake error {code} for the 'To' number {request.form.get('To')}"
        body = {"code": code, "message": message, "status": status}
        return Response(json.dumps(body), status, content_type="application/json")(
            environ, start_response
        )

    def __enter__(self) -> FakeTwilio:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.thread.join(timeout=10)


def twilio_settings(fake: FakeTwilio, **overrides: object) -> dict[str, object]:
    """The app's settings for Twilio at ``fake``, with a public address and unpaced sends."""
    return {
        "REMINDER_CHANNEL": "twilio",
        "TWILIO_ACCOUNT_SID": "ACfake",
        "TWILIO_AUTH_TOKEN": "fake-token",
        "TWILIO_SMS_FROM": "SHIBUYA",
        "TWILIO_VOICE_FROM": "+81334631873",
        "TWILIO_API_BASE_URL": fake.url,
        "PUBLIC_BASE_URL": "https://inclusion.example.lg.jp",
        "REMINDER_SMS_PER_SECOND": "0",
        "REMINDER_CALLS_PER_SECOND": "0",
        **overrides,
    }


def main() -> None:
    """Serve in a process of its own, as Twilio is (benchmarks): print the URL, run until ended."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    fake = FakeTwilio()
    print(fake.url, flush=True)
    fake.server.serve_forever()


if __name__ == "__main__":
    main()
