"""``flask --app inclusion webhooks …``: endpoints registered from a script."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from inclusion.api.cli import ward_option
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.webhooks import services
from inclusion.webhooks.models import SUBSCRIBABLE

webhooks_cli = AppGroup("webhooks", help="Webhook endpoints that are told of changes.")


@webhooks_cli.command("add")
@click.argument("url")
@click.option("--ward", "ward_key", help="The one ward it hears of, e.g. shibuya or 131130.")
@click.option("--all-wards", is_flag=True, help="Hear of every ward.")
@click.option(
    "--event", "events", multiple=True, required=True,
    type=click.Choice([event.value for event in SUBSCRIBABLE]), help="Repeat for each event.",
)  # fmt: skip
@click.option(
    "--scope", "scopes", multiple=True,
    type=click.Choice([scope.value for scope in services.READ_SCOPES]),
    help="Let people's records go out (residents:read).",
)  # fmt: skip
@click.option("--description", default="", help="Which system receives them.")
def add_command(url, ward_key, all_wards, events, scopes, description) -> None:
    """Register an endpoint and print its signing secret (alone, on standard output)."""
    ward = ward_option(ward_key, all_wards)
    try:
        endpoint = services.register_endpoint(None, ward, url, events, scopes, description)
    except RuleViolation as violation:
        raise click.ClickException(f"{violation.field}: {violation.message}") from None
    db.session.commit()
    click.echo(f"endpoint {endpoint.id} for {ward.slug if ward else 'all wards'}: "
               f"{', '.join(endpoint.events)}", err=True)  # fmt: skip
    click.echo(endpoint.secret)


@webhooks_cli.command("list")
def list_command() -> None:
    """Every endpoint: id, address, ward, events, the personal data it may get, whether it
    is sending."""
    for endpoint in services.list_endpoints():
        click.echo("\t".join([str(endpoint.id), endpoint.url,
                              endpoint.ward.slug if endpoint.ward else "all wards",
                              ",".join(endpoint.events), ",".join(endpoint.scopes) or "ids only",
                              "sending" if endpoint.is_active else "paused"]))  # fmt: skip
