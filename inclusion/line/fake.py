"""A fake LINE Messaging API on 127.0.0.1, for the tests and ``make run``'s demo: nothing
real is contacted. The real SDK talks to it over HTTP as it talks to LINE.

It keeps every push and reply, answers as told ("ok", 400, 401, 429, 500, "hang"), and,
as LINE does, accepts a retry key once: the same key again gets 409 with the request
id it was accepted as. ``events`` and ``signed`` make webhook bodies as LINE sends them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

import requests
from markupsafe import escape
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Pushed:
    to: str
    messages: list[dict]
    retry_key: str
    token: str
    request_id: str


@dataclass
class Replied:
    reply_token: str
    messages: list[dict]


@dataclass
class FakeLine:
    #: Access tokens it accepts, and the basic ID each account answers with.
    basic_ids: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 2.0
    port: int = 0
    #: For the demo's chat page: where the app's webhook is, and the secret it checks.
    webhook_url: str = ""
    secret: str = ""

    def __post_init__(self) -> None:
        self.pushed: list[Pushed] = []
        self.replied: list[Replied] = []
        #: The demo's chats in order: (user, who spoke, the message).
        self.transcript: list[tuple[str, str, dict]] = []
        self._reply_to: dict[str, str] = {}
        self.answers: list[object] = []
        self.accepted: dict[str, str] = {}
        self.released = threading.Event()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, *answers: object) -> None:
        """Queue answers for the next pushes: "ok", 400, 401, 429, 500 or "hang"."""
        with self._lock:
            self.answers.extend(answers)

    def reset(self) -> None:
        with self._lock:
            self.pushed.clear()
            self.replied.clear()
            self.answers.clear()
            self.accepted.clear()
            self.transcript.clear()

    def texts_to(self, line_user_id: str) -> list[str]:
        """What each push to a user said (a Flex message's words, its buttons' labels)."""
        return [_words(message) for push in self.pushed if push.to == line_user_id
                for message in push.messages]  # fmt: skip

    def reply_texts(self) -> list[str]:
        return [_words(message) for reply in self.replied for message in reply.messages]

    def app(self, environ, start_response):
        request = Request(environ)
        if self.webhook_url and not request.path.startswith("/v2/"):
            return self._chat(request)(environ, start_response)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.basic_ids:
            return _json({"message": "Authentication failed"}, 401)(environ, start_response)
        if request.method == "GET" and request.path == "/v2/bot/info":
            info = {"userId": "U" + "0" * 32, "basicId": self.basic_ids[token],
                    "displayName": "fake", "chatMode": "bot",
                    "markAsReadMode": "auto"}  # fmt: skip
            return _json(info)(environ, start_response)
        body = request.get_json(silent=True) or {}
        if request.path == "/v2/bot/message/reply":
            with self._lock:
                self.replied.append(Replied(body.get("replyToken", ""), body.get("messages", [])))
                user = self._reply_to.pop(body.get("replyToken", ""), "")
                self.transcript += [(user, "account", m) for m in body.get("messages", [])]
            sent = [
                {"id": str(next(self._ids)), "quoteToken": "q"} for _ in body.get("messages", [])
            ]
            return _json({"sentMessages": sent})(environ, start_response)
        if request.path != "/v2/bot/message/push":
            return _json({"message": "Not found"}, 404)(environ, start_response)
        return self._push(request, token, body)(environ, start_response)

    def _push(self, request: Request, token: str, body: dict) -> Response:
        retry_key = request.headers.get("X-Line-Retry-Key", "")
        with self._lock:
            if retry_key in self.accepted:
                accepted = self.accepted[retry_key]
                return _json({"message": "The retry key is already accepted"}, 409,
                             {"x-line-accepted-request-id": accepted})  # fmt: skip
            answer = self.answers.pop(0) if self.answers else "ok"
        if answer == "hang":
            self.released.wait(self.hang_seconds)
            # As LINE may: taken, though the sender gave up waiting.
            answer = "ok"
        if answer != "ok":
            return _json({"message": f"fake error {answer}"}, int(answer))
        request_id = str(uuid.UUID(int=next(self._ids)))
        with self._lock:
            self.accepted.setdefault(retry_key or request_id, request_id)
            self.pushed.append(
                Pushed(body.get("to", ""), body.get("messages", []), retry_key, token, request_id)
            )
            self.transcript += [
                (body.get("to", ""), "account", m) for m in body.get("messages", [])
            ]
        return _json({"sentMessages": [{"id": request_id[-12:], "quoteToken": "q"}]}, 200,
                     {"x-line-request-id": request_id})  # fmt: skip

    def _chat(self, request: Request) -> Response:
        """The demo's phone: be a LINE user, send the account words, tap its buttons."""
        user = request.values.get("user", "") or DEMO_USERS[0]
        if request.method == "POST":
            if request.form.get("data"):
                event = postback(user, request.form["data"][:300])
                event["shown"] = request.form.get("label", "")[:40]
            elif request.form.get("do") == "follow":
                event = follow(user)
            elif request.form.get("do") == "block":
                event = unfollow(user)
            else:
                event = text(user, request.form.get("words", "")[:300])
            words = _event_words(event)
            body = events(event)
            with self._lock:
                self.transcript.append((user, "you", {"type": "text", "text": words}))
                self._reply_to[event.get("replyToken", "")] = user
            requests.post(self.webhook_url, data=body.encode(), timeout=10,
                          headers={"Content-Type": "application/json",
                                   "X-Line-Signature": signed(self.secret, body)})  # fmt: skip
            return Response(status=303, headers={"Location": f"/?user={quote(user)}"})
        return Response(_chat_page(self, user), content_type="text/html; charset=utf-8")

    def __enter__(self) -> FakeLine:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.thread.join()


#: The demo's LINE users: two residents' phones.
DEMO_USERS = ("U" + "1" * 32, "U" + "2" * 32)


def _event_words(event: dict) -> str:
    if event["type"] == "message":
        return event["message"]["text"]
    if event["type"] == "postback":
        return event.pop("shown", "") or event["postback"]["data"]
    return f"({event['type']})"


def _chat_page(fake: FakeLine, user: str) -> str:
    """Everything said with ``user``, oldest first, and forms to say more."""
    parts = []
    for _user, who, message in [entry for entry in fake.transcript if entry[0] == user]:
        buttons = "".join(
            f'<form method="post"><input type="hidden" name="user" value="{escape(user)}">'
            f'<input type="hidden" name="label" value="{escape(action["label"])}">'
            f'<button name="data" value="{escape(action["data"])}">{escape(action["label"])}'
            "</button></form>"
            for action in _actions(message)
            if action.get("type") == "postback"
        )
        parts.append(f"<p>{who}: {escape(_words(message))}</p>{buttons}")
    users = " ".join(f'<a href="/?user={quote(each)}">{escape(each[:6])}…</a>'
                     for each in DEMO_USERS)  # fmt: skip
    return (
        '<!doctype html><html lang="ja"><meta charset="utf-8"><title>Fake LINE</title>'
        f"<h1>Fake LINE: {escape(user[:6])}…</h1><p>Users: {users}</p>{''.join(parts)}"
        f'<form method="post"><input type="hidden" name="user" value="{escape(user)}">'
        '<label>Words <input name="words"></label> <button>Send</button> '
        '<button name="do" value="follow">Add friend</button> '
        '<button name="do" value="block">Block</button></form></html>'
    )


def _actions(message: dict) -> list[dict]:
    footer = message.get("contents", {}).get("footer", {}).get("contents", [])
    return [part["action"] for part in footer if "action" in part]


def _json(data: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data), status, headers, content_type="application/json")


def _words(message: dict) -> str:
    """A message's words in reading order: a text's text, a Flex message's texts and
    buttons' labels."""
    if message.get("type") == "text":
        return message["text"]
    found: list[str] = []

    def walk(part: object) -> None:
        if isinstance(part, dict):
            if part.get("type") == "text" and "text" in part:
                found.append(part["text"])
            if part.get("type") == "button":
                found.append(f"[{part['action'].get('label', '')}]")
            for key, value in part.items():
                if key != "action":
                    walk(value)
        elif isinstance(part, list):
            for item in part:
                walk(item)

    walk(message.get("contents", {}))
    return " ".join(found)


def signed(secret: str, body: str) -> str:
    """The X-Line-Signature LINE sends with ``body``."""
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def events(*items: dict, destination: str = "U" + "f" * 32) -> str:
    """A webhook body holding ``items`` (from ``text``, ``postback``, ``follow``…)."""
    return json.dumps({"destination": destination, "events": list(items)}, ensure_ascii=False)


def _event(kind: str, user: str, **extra) -> dict:
    event = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user},
        "webhookEventId": uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": False},
        **extra,
    }
    if kind != "unfollow":
        event["replyToken"] = uuid.uuid4().hex
    return event


def text(user: str, words: str) -> dict:
    return _event("message", user, message={"type": "text", "id": "1", "text": words,
                                            "quoteToken": "q"})  # fmt: skip


def postback(user: str, data: str) -> dict:
    return _event("postback", user, postback={"data": data})


def follow(user: str) -> dict:
    return _event("follow", user, follow={"isUnblocked": False})


def unfollow(user: str) -> dict:
    return _event("unfollow", user)
