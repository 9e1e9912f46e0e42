"""``flask --app inclusion cover …``"""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from inclusion import clock
from inclusion.cover import services
from inclusion.reminders.cli import NOW_HELP, Moment

cover_cli = AppGroup("cover", help="Volunteers covering for each other.")


@cover_cli.command("advance")
@click.option("--now", "now", type=Moment(), default=None, help=NOW_HELP)
def advance_command(now: datetime | None) -> None:
    """Close finished requests for cover, send second waves, alert staff (as the scheduler
    does every minute)."""
    result = services.advance(now or clock.now())
    click.echo(
        f"closed {result.closed}, second waves {result.waves}, alerted {len(result.alerted)}"
    )
