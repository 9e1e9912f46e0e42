"""``flask phone-line call``: rehearse a call to a ward's phone line at the keyboard."""

from __future__ import annotations

import secrets

import click
from flask import current_app
from flask.cli import AppGroup

from inclusion.phoneline.rehearse import Caller, LineError
from inclusion.phones import parse_phone
from inclusion.web import ward_or_404

phone_line_cli = AppGroup("phone-line", help="The phone line: rehearse a call.")

HELP = (
    "a key (0-9, * or #); s <words> to speak; Enter for silence; "
    "o / n: the desk answers or not; q to hang up"
)


@phone_line_cli.command("call")
@click.option("--ward", "ward_key", required=True, help="The ward's slug or code.")
@click.option("--from", "number", default="", help="The caller's number; none: withheld.")
def call_command(ward_key: str, number: str) -> None:
    """Call a ward's phone line as a resident would, without Twilio: what the line says is
    printed, and what you type is pressed (or said). Bookings and messages are real."""
    ward = ward_or_404(ward_key)
    parsed = parse_phone(number) if number else None
    config = current_app.config
    # Twilio is not in this call: sign with a token of our own where none is set.
    config["TWILIO_AUTH_TOKEN"] = config["TWILIO_AUTH_TOKEN"] or secrets.token_hex(16)
    config["PUBLIC_BASE_URL"] = config["PUBLIC_BASE_URL"] or "http://localhost"
    caller = Caller(current_app.test_client(), ward.slug, parsed[0] if parsed else None,
                    config["TWILIO_AUTH_TOKEN"], config["PUBLIC_BASE_URL"])  # fmt: skip
    click.echo(f"({HELP})")
    heard = caller.dial()
    while True:
        click.echo(f"\n{heard}")
        if caller.ended:
            break
        typed = click.prompt(">", default="", show_default=False).strip()
        try:
            if typed == "q":
                break
            if typed in ("o", "n") and caller.put_through_to:
                heard = caller.staff_answer("completed" if typed == "o" else "no-answer")
            elif typed.startswith("s "):
                heard = caller.speak(typed[2:])
            elif caller.waits_for_speech or not typed:
                heard = caller.speak(typed) if caller.waits_for_speech else caller.keep_silent()
            else:
                heard = caller.press(typed[:1])
        except LineError as error:
            raise click.ClickException(str(error)) from None
    caller.hang_up()
    click.echo("(hung up)")
