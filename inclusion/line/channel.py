"""LINE behind the reminders' channel interface: a push message per outbox row.

Every push carries a retry key made from the row, so LINE takes each message once: a
send that timed out or met a 5xx is tried again by the dispatcher with the same key,
and LINE answers 409 if the first one got through. A push LINE refuses (the resident
is no longer a friend, the account's token is wrong) fails the row, and the resident
is reached by SMS or a call instead (``fallback``).
"""

from __future__ import annotations

import uuid

import urllib3
from linebot.v3.messaging import ApiException, PushMessageRequest

from inclusion.line import messages
from inclusion.line.accounts import LineAccount, accounts, client
from inclusion.reminders.channels import NotSent, Outgoing, Refused, SafeToRetry

#: Retry keys are UUIDs: one per outbox row, the same for every try of it.
RETRY_KEYS = uuid.UUID("6f1c2d0e-58b4-4c55-9a43-7c1f0e2b9d11")
#: Why a row names no LINE user when it is sent.
UNLINKED = "The resident's LINE is no longer linked (blocked, or removed by staff)."


def retry_key(reminder_id: int) -> str:
    return str(uuid.uuid5(RETRY_KEYS, f"reminder:{reminder_id}"))


class LineChannel:
    """Pushes through the account each message names (``Outgoing.sender``)."""

    name = "line"

    def __init__(self, config) -> None:
        self.config = {key: config[key] for key in
                       ("LINE_ACCOUNTS", "LINE_API_BASE_URL", "LINE_TIMEOUT_SECONDS")}  # fmt: skip
        self.accounts: dict[str, LineAccount] = accounts(self.config)

    def send(self, message: Outgoing) -> str:
        if not message.to:
            raise Refused(UNLINKED, "line-unlinked")
        account = self.accounts.get(message.sender)
        if account is None:
            raise Refused(f"No LINE account {message.sender!r} in the settings.", "line-account")
        request = PushMessageRequest(
            to=message.to,
            messages=[messages.message(message.reminder_id, message.body, message.answers,
                                       message.phone)],
        )  # fmt: skip
        try:
            sent = client(account, self.config).push_message_with_http_info(
                request,
                x_line_retry_key=retry_key(message.reminder_id),
                _request_timeout=self.config["LINE_TIMEOUT_SECONDS"],
            )
        except ApiException as error:
            headers = error.headers or {}
            if error.status == 409 and headers.get("x-line-accepted-request-id"):
                # Taken by an earlier try of this row: it went once.
                return headers["x-line-accepted-request-id"]
            code = f"line-{error.status}"
            if error.status == 429:
                raise NotSent("LINE asked to slow down (429).", code) from None
            if error.status >= 500:
                # Perhaps taken: the retry key makes another try safe.
                raise SafeToRetry(
                    f"LINE answered {error.status}; it will be tried again.", code
                ) from None
            raise Refused(f"LINE refused it ({error.status}: {_reason(error)})", code) from None
        except urllib3.exceptions.HTTPError as error:
            if isinstance(error, urllib3.exceptions.NewConnectionError):
                raise NotSent("Could not reach LINE.", "unreachable") from None
            raise SafeToRetry(
                f"No answer from LINE in time: {type(error).__name__}", "timeout"
            ) from None
        return (sent.headers or {}).get("x-line-request-id", "")[:64]


def _reason(error: ApiException) -> str:
    """LINE's own words for a refusal, short (it names no person)."""
    body = (error.body or "")[:200] if isinstance(error.body, str) else ""
    return body or str(error.reason or "")
