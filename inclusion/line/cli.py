"""``flask line fake``: the fake LINE API and its chat page, for ``make run``'s demo."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from config import SHARED_LINE_ACCOUNT
from inclusion.line.fake import DEMO_USERS, FakeLine

line_cli = AppGroup("line", help="LINE: the fake API for the demo.")


@line_cli.command("fake")
@click.option("--port", default=5010, show_default=True)
@click.option("--app-url", default="http://127.0.0.1:5000", show_default=True)
def fake_command(port: int, app_url: str) -> None:
    """Serve a fake LINE API on 127.0.0.1 with a page to chat as the demo's LINE users.

    The app must point at it (LINE_API_BASE_URL) with the shared account's settings."""
    account = current_app.config["LINE_ACCOUNTS"].get(SHARED_LINE_ACCOUNT)
    if account is None:
        raise click.ClickException(
            "set LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN, LINE_BASIC_ID"
        )
    webhook = f"{app_url}/line/{SHARED_LINE_ACCOUNT}"
    fake = FakeLine({account["token"]: account["basic_id"]}, port=port, webhook_url=webhook,
                    secret=account["secret"])  # fmt: skip
    click.echo(f"fake LINE on {fake.url}: chat as {', '.join(u[:6] + '…' for u in DEMO_USERS)}")
    fake.server.serve_forever()
