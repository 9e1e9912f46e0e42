"""``flask --app inclusion wards …``: a ward's set-up from a script."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.wards.models import Ward
from inclusion.wards.services import find_ward, update_ward_contact

wards_cli = AppGroup("wards", help="Wards' settings.")


def ward_argument(_context, _parameter, value: str) -> Ward:
    """A ward named by code or romanised name, for click."""
    ward = find_ward(value)
    if ward is None:
        raise click.BadParameter(f"no ward called {value!r}")
    return ward


@wards_cli.command("set-phone")
@click.argument("ward", callback=ward_argument)
@click.argument("phone")
@click.option("--hours", help="When the phone is answered, e.g. '平日 9:00〜17:00'.")
@click.option("--counter", help="Where residents can book in person.")
def set_phone_command(ward: Ward, phone: str, hours: str | None, counter: str | None) -> None:
    """Set the number residents call to book (every reminder gives it), and its hours."""
    try:
        update_ward_contact(
            None,
            ward,
            phone,
            ward.booking_hours if hours is None else hours.strip()[:100],
            ward.booking_counter if counter is None else counter.strip()[:200],
        )
    except RuleViolation as violation:
        raise click.ClickException(f"{phone}: {violation.message}") from None
    db.session.commit()
    click.echo(f"{ward.slug}: bookings by phone at {ward.booking_phone}"
               + (f" ({ward.booking_hours})" if ward.booking_hours else ""))  # fmt: skip
