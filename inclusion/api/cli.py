"""``flask --app inclusion api-keys …``: keys for integrations, made from a script."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from inclusion.api import services
from inclusion.api.models import ApiKey, ApiScope
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.wards.services import find_ward

api_keys_cli = AppGroup("api-keys", help="API keys for integrations.")

SCOPES = click.Choice([scope.value for scope in ApiScope])


def ward_option(ward_key: str | None, all_wards: bool):
    """The ward of ``--ward``, or None for ``--all-wards``: one of them, not both."""
    if bool(ward_key) == all_wards:
        raise click.UsageError("give either --ward WARD or --all-wards")
    if all_wards:
        return None
    ward = find_ward(ward_key)
    if ward is None:
        raise click.BadParameter(f"no ward called {ward_key!r}", param_hint="--ward")
    return ward


@api_keys_cli.command("create")
@click.option("--name", required=True, help="Who uses the key, e.g. '23-ward call centre'.")
@click.option("--ward", "ward_key", help="The one ward it reaches, e.g. shibuya or 131130.")
@click.option("--all-wards", is_flag=True, help="Reach every ward (a joint call centre).")
@click.option(
    "--scope", "scopes", multiple=True, required=True, type=SCOPES,
    help="A permission; repeat for each (least privilege: only what it needs).",
)  # fmt: skip
def create_command(name: str, ward_key: str | None, all_wards: bool, scopes: tuple[str]) -> None:
    """Make a key and print its secret: shown this once, only its hash is kept."""
    ward = ward_option(ward_key, all_wards)
    try:
        key, secret = services.create_key(None, name, [ApiScope(s) for s in scopes], ward)
    except RuleViolation as violation:
        raise click.ClickException(str(violation.message)) from None
    db.session.commit()
    click.echo(f"created key {key.id} {key.name!r} for {ward.slug if ward else 'all wards'}: "
               f"{', '.join(key.scopes)}", err=True)  # fmt: skip
    # The secret alone on standard output, so a script can capture it.
    click.echo(secret)


@api_keys_cli.command("list")
def list_command() -> None:
    """Every key: id, prefix, name, wards, permissions, last use, whether revoked."""
    for key in services.list_keys():
        used = key.last_used_dt.isoformat(timespec="minutes") if key.last_used_dt else "never"
        state = "revoked" if key.is_revoked else "live"
        click.echo("\t".join([str(key.id), key.prefix, key.name,
                              key.ward.slug if key.ward else "all wards",
                              ",".join(key.scopes), f"used {used}", state]))  # fmt: skip


@api_keys_cli.command("revoke")
@click.argument("key_id", type=int)
def revoke_command(key_id: int) -> None:
    """Stop a key at once: its next request is refused."""
    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise click.BadParameter(f"no key {key_id}", param_hint="KEY_ID")
    try:
        services.revoke_key(None, key)
    except RuleViolation as violation:
        raise click.ClickException(str(violation.message)) from None
    db.session.commit()
    click.echo(f"revoked key {key.id} {key.name!r}")
