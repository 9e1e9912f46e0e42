"""``flask --app inclusion venues …``: a ward's venues from a CSV file."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from inclusion.csvfile import decode
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.venues.imports import COLUMNS, check_rows, import_venues
from inclusion.wards.cli import ward_argument
from inclusion.wards.models import Ward

venues_cli = AppGroup("venues", help="Venues where sessions are held.")


@venues_cli.command("import")
@click.argument("ward", callback=ward_argument)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(ward: Ward, file: Path) -> None:
    """Add a ward's venues from a CSV file, or update those of the same name; nothing is
    changed if a row is bad. Columns: name, kind, address, capacity (required), step_free,
    lift, hearing_loop, notes."""
    try:
        rows, bad = check_rows(decode(file.read_bytes()))
    except (RuleViolation, UnicodeDecodeError) as error:
        raise click.ClickException(f"{file}: {getattr(error, 'message', error)}") from None
    for line, reason in bad:
        click.echo(f"{file}:{line}: {reason}", err=True)
    if bad:
        raise click.ClickException(f"{len(bad)} bad row(s); nothing imported")
    created, updated = import_venues(None, ward, rows)
    db.session.commit()
    click.echo(f"{ward.slug}: {created} venue(s) added, {updated} updated "
               f"(columns read: {', '.join(COLUMNS)})")  # fmt: skip
