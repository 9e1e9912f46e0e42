"""The LINE official accounts the settings name, and a Messaging API client for each.

A ward with an account of its own uses it; every other ward uses the shared account,
if there is one. Secrets and tokens are read from the settings only.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from urllib.parse import quote

import requests
import urllib3
from flask import current_app
from linebot.v3.messaging import ApiClient, ApiException, Configuration, MessagingApi

from config import SHARED_LINE_ACCOUNT
from inclusion.wards.models import Ward

LINE_API = "https://api.line.me"


@dataclass(frozen=True)
class LineAccount:
    #: ``shared``, or the slug of the ward it serves.
    name: str
    secret: str
    token: str
    #: ``@123abcde``: what a QR code opens.
    basic_id: str

    def message_url(self, text: str) -> str:
        """A link that opens this account's chat in LINE with ``text`` written in."""
        return f"https://line.me/R/oaMessage/{quote(self.basic_id)}/?{quote(text)}"


def accounts(config=None) -> dict[str, LineAccount]:
    config = config if config is not None else current_app.config
    return {name: LineAccount(name, **values) for name, values in config["LINE_ACCOUNTS"].items()}


def account_names() -> list[str]:
    return sorted(current_app.config["LINE_ACCOUNTS"])


def account_for(ward: Ward) -> LineAccount | None:
    """The account a ward's residents link to: its own, else the shared one."""
    found = accounts()
    return found.get(ward.slug) or found.get(SHARED_LINE_ACCOUNT)


def serves(account: LineAccount, ward: Ward) -> bool:
    """Whether a resident of ``ward`` may link through ``account``."""
    found = account_for(ward)
    return found is not None and found.name == account.name


_clients: dict[tuple[str, str], MessagingApi] = {}
_clients_lock = threading.Lock()


def client(account: LineAccount, config) -> MessagingApi:
    """A client for the account, made once per process: each holds a connection pool."""
    base = config["LINE_API_BASE_URL"] or LINE_API
    key = (base, account.token)
    with _clients_lock:
        if key not in _clients:
            settings = Configuration(host=base, access_token=account.token)
            # Each failure is ours to classify; a send is tried again by the dispatcher,
            # with the same retry key.
            settings.retries = False
            settings.proxy = requests.utils.get_environ_proxies(base).get(base.split(":")[0])
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            if bundle:
                settings.ssl_ca_cert = bundle
            _clients[key] = MessagingApi(ApiClient(settings))
    return _clients[key]


def check(config) -> tuple[list[str], list[str]]:
    """Each account's token asked of LINE (the bot's own info), and its basic ID compared:
    (lines to show, problems). No LINE account: nothing to check."""
    lines, problems = [], []
    for account in accounts(config).values():
        try:
            info = client(account, config).get_bot_info(
                _request_timeout=config["LINE_TIMEOUT_SECONDS"]
            )
        except ApiException as error:
            problems.append(
                f"LINE account {account.name}: LINE refused its token ({error.status})"
            )
            continue
        except (urllib3.exceptions.HTTPError, ValueError) as error:
            problems.append(
                f"LINE account {account.name}: LINE not reached ({type(error).__name__})"
            )
            continue
        if info.basic_id != account.basic_id:
            problems.append(
                f"LINE account {account.name}: its basic ID is {info.basic_id}, not "
                f"{account.basic_id}: QR codes would open another account"
            )
        lines.append(f"{account.name} ({info.basic_id}, {info.display_name})")
    return lines, problems
