"""``flask --app inclusion volunteers …``"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from inclusion.csvfile import decode, read_rows
from inclusion.errors import RuleViolation
from inclusion.volunteers import roster

volunteers_cli = AppGroup("volunteers", help="Volunteer rosters.")


@volunteers_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-bad",
    is_flag=True,
    help="Import the good rows and write the bad ones to FILE.bad.csv.",
)
def import_command(file: Path, skip_bad: bool) -> None:
    """Import volunteers from a CSV roster; nothing is imported if a row is bad."""
    try:
        result = roster.check_roster(read_rows(decode(file.read_bytes()), roster.REQUIRED), None)
    except (RuleViolation, UnicodeDecodeError) as error:
        raise click.ClickException(f"{file}: {error}") from None
    for line, reason, _row in result.bad:
        click.echo(f"{file}:{line}: {reason}", err=True)
    if result.bad and not skip_bad:
        raise click.ClickException(
            f"{len(result.bad)} bad row(s); nothing imported (use --skip-bad to import the rest)"
        )
    with click.progressbar(length=len(result.good), label="importing") as bar:
        roster.import_roster(None, result, progress=lambda _row: bar.update(1))
    if result.bad:
        bad_file = file.with_name(file.name + ".bad.csv")
        bad_file.write_text(roster.bad_rows_csv(result), encoding="utf-8")
        click.echo(f"{len(result.bad)} bad row(s) written to {bad_file}")
    click.echo(f"{result.created} volunteer(s) added, {result.updated} updated")
