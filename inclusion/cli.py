"""Command-line interface: ``flask --app inclusion <command>``."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.cli import with_appcontext

from config import telephony_warnings
from inclusion import clock
from inclusion import scale as scale_data
from inclusion.api.cli import api_keys_cli
from inclusion.api.demo import fresh_demo_key
from inclusion.auth import services as auth_services
from inclusion.auth.models import PERSON_ROLES, Role, User
from inclusion.calls.demo import add_demo_calls
from inclusion.cover.cli import cover_cli
from inclusion.extensions import db
from inclusion.line.accounts import check as line_check
from inclusion.line.cli import line_cli
from inclusion.loans.demo import add_demo_loans
from inclusion.phoneline.cli import phone_line_cli
from inclusion.reminders.cli import reminders_cli
from inclusion.reminders.services import wards_missing_phone
from inclusion.residents.cli import residents_cli
from inclusion.residents.demo import add_demo_residents
from inclusion.sessions.demo import add_demo_programme
from inclusion.staff_training.demo import add_demo_staff_training
from inclusion.surveys.demo import add_demo_surveys
from inclusion.targets.cli import targets_cli
from inclusion.targets.services import refresh_figures, seed_programme_targets, snapshot_keys
from inclusion.venues.cli import venues_cli
from inclusion.volunteers.cli import volunteers_cli
from inclusion.volunteers.demo import add_demo_volunteers
from inclusion.wards.cli import wards_cli
from inclusion.wards.models import Ward
from inclusion.wards.services import find_ward
from inclusion.webhooks.cli import webhooks_cli

#: Demo log-ins, printed by ``demo``. Never use these outside a demo.
DEMO_PASSWORD = "inclusion-demo"
DEMO_USERS = [
    ("admin@example.jp", "管理者 太郎", Role.ADMIN, None),
    ("coordinator@example.jp", "調整 花子", Role.COORDINATOR, None),
    ("staff.shibuya@example.jp", "渋谷 職員", Role.WARD_STAFF, "shibuya"),
    ("staff.shinagawa@example.jp", "品川 職員", Role.WARD_STAFF, "shinagawa"),
    ("volunteer1@example.jp", "支援 一郎", Role.VOLUNTEER, "shibuya"),
    ("volunteer2@example.jp", "支援 さくら", Role.VOLUNTEER, "shinagawa"),
    ("volunteer3@example.jp", "支援 健", Role.VOLUNTEER, "shibuya"),
    ("callcentre@example.jp", "受付 陽子", Role.OPERATOR, None),
]


def register_commands(app: Flask) -> None:
    for command in (create_user_command, demo_command, check_command, scheduler_command):
        app.cli.add_command(command)
    app.cli.add_command(volunteers_cli)
    app.cli.add_command(residents_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(cover_cli)
    app.cli.add_command(line_cli)
    app.cli.add_command(phone_line_cli)
    app.cli.add_command(targets_cli)
    app.cli.add_command(api_keys_cli)
    app.cli.add_command(wards_cli)
    app.cli.add_command(venues_cli)
    app.cli.add_command(webhooks_cli)


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True, help="Log-in e-mail address.")
@click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True, help="First password."
)
@click.option("--role", required=True, type=click.Choice([role.value for role in PERSON_ROLES]))
@click.option("--ward", "ward_key", help="Ward code or romanised name, e.g. shibuya or 131130.")
@click.option("--name", "display_name", help="Display name (default: the e-mail address).")
def create_user_command(
    email: str, password: str, role: str, ward_key: str | None, display_name: str | None
) -> None:
    """Create a log-in account."""
    ward = None
    if ward_key:
        ward = find_ward(ward_key)
        if ward is None:
            raise click.BadParameter(f"no ward called {ward_key!r}", param_hint="--ward")
    try:
        user = auth_services.create_user(
            None,
            email=email,
            password=password,
            display_name=display_name or email,
            role=Role(role),
            ward=ward,
        )
    except auth_services.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"created {user.role.value} {user.email}" + (f" in {ward.slug}" if ward else ""))


@click.command("demo")
@with_appcontext
@click.option(
    "--scale",
    type=click.Choice(sorted(scale_data.SCALES)),
    default=None,
    help="Also add made-up data at scale: ward (one ward) or national (23 wards, "
    "500,000 sessions, about 5,000,000 bookings), for benchmarks. Once per database.",
)
@click.option("--logins", is_flag=True, help="Only say how to log in to the demo accounts.")
@click.option(
    "--api-key", "api_key", is_flag=True,
    help="Only make a fresh API key for a call centre (the last one is revoked) and say how "
    "to call the API with it.",
)  # fmt: skip
def demo_command(scale: str | None, logins: bool, api_key: bool) -> None:
    """Add demo accounts, venues and a term of sessions; safe to run again."""
    if logins:
        _print_demo_logins()
        return
    if api_key:
        secret = fresh_demo_key()
        db.session.commit()
        click.echo(f"\nAPI (docs at http://127.0.0.1:5000/api/v1/docs), a call centre's key for "
                   f"every ward:\n  curl -H 'Authorization: Bearer {secret}' "
                   "'http://127.0.0.1:5000/api/v1/sessions?ward=shibuya'")  # fmt: skip
        return
    created = 0
    for email, name, role, ward_key in DEMO_USERS:
        if auth_services.find_user_by_email(email) is not None:
            continue
        ward = find_ward(ward_key) if ward_key else None
        auth_services.create_user(
            None, email=email, password=DEMO_PASSWORD, display_name=name, role=role, ward=ward
        )
        created += 1
    programme = add_demo_programme()
    volunteers = add_demo_volunteers()
    if volunteers:
        programme.append(f"{volunteers} volunteer profile(s) with training and shifts")
    residents = add_demo_residents()
    if residents:
        programme.append(f"{residents} resident(s) with bookings, a waiting list and follow-ups")
    asked = add_demo_surveys()
    if asked:
        programme.append(f"{asked} resident(s) asked a survey: answers by call and to staff")
    devices = add_demo_loans()
    if devices:
        programme.append(f"{devices} loan smartphone(s), two lent (one overdue)")
    calls = add_demo_calls()
    if calls:
        programme.append(f"{calls} call(s) to the call centre, one per ward passed on")
    trainings = add_demo_staff_training()
    if trainings:
        programme.append(f"{trainings} staff training date(s), one attended by Shibuya's staff")
    year = clock.fiscal_year(clock.today())
    targets = seed_programme_targets(year)
    if targets:
        programme.append(f"{targets} programme target(s) for all wards")
    db.session.commit()
    for line in programme:
        click.echo(f"demo: {line}")
    click.echo(f"demo: {created} account(s) added")
    filled = _fill_scale(scale) if scale else None
    counted = refresh_figures(snapshot_keys(year))
    click.echo(f"demo: the dashboard's figures counted ({counted} metric(s) over their years)")
    if filled:
        click.echo("demo: " + ", ".join(f"{count:,} {name}" for name, count in filled.items()))
    _print_demo_logins()


def _print_demo_logins() -> None:
    """The demo accounts as the README lists them, with the wards each one works in."""
    click.echo(f"\nLog in at http://127.0.0.1:5000/login with password {DEMO_PASSWORD!r}:")
    for email, _name, role, _ward in DEMO_USERS:
        user = auth_services.find_user_by_email(email)
        if user is None:
            continue
        profile = user.volunteer_profile
        wards = [ward.slug for ward in profile.wards] if profile else [user.ward.slug] if (
            user.ward
        ) else ["all wards"]  # fmt: skip
        click.echo(f"  {role.value:<12} {email:<28} {', '.join(wards)}")


def _fill_scale(scale: str) -> dict[str, int]:
    label = f"demo: {scale} scale"
    try:
        with click.progressbar(length=scale_data.expected_rows(scale), label=label) as bar:
            return scale_data.fill(scale, bar.update)
    except scale_data.AlreadyFilled:
        raise click.ClickException(f"this database already holds {scale}-scale data") from None


def _migration_heads() -> tuple[set[str], set[str]]:
    """The revisions the database is at and the newest ones in migrations/."""
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    current = set(MigrationContext.configure(db.session.connection()).get_current_heads())
    return current, set(script.get_heads())


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Check the configuration and the database; exit 1 on any problem."""
    config = current_app.config
    problems: list[str] = []
    warnings: list[str] = []
    url = db.session.get_bind().engine.url
    click.echo(f"database:   {url.render_as_string(hide_password=True)}")
    click.echo(f"time zone:  {config['INCLUSION_TIMEZONE']}")
    click.echo(f"base URL:   {config['PUBLIC_BASE_URL'] or '(from each request)'}")
    click.echo(f"reminders:  {config['REMINDER_CHANNEL']}")
    if config["REMINDER_CHANNEL"] == "twilio":
        sender = config["TWILIO_MESSAGING_SERVICE_SID"] or config["TWILIO_SMS_FROM"] or "(none)"
        way = "two-way" if config["REMINDER_SMS_TWO_WAY"] else "one-way"
        click.echo(f"sms from:   {sender} ({way})")
        click.echo(f"calls from: {config['TWILIO_VOICE_FROM'] or '(none)'}")
        click.echo(f"voice:      {config['REMINDER_VOICE']}")
        place = f"{config['TWILIO_REGION']} via {config['TWILIO_EDGE']}"
        click.echo(f"region:     {place if config['TWILIO_REGION'] else '(Twilio default)'}")
    warnings += telephony_warnings(config)
    line_accounts, line_problems = line_check(config)
    click.echo(f"LINE:       {', '.join(line_accounts) or '(no account)'}")
    problems += line_problems
    # Wording files per ward were read before the wording became plain words per ward.
    templates = Path(current_app.template_folder)
    warnings += [
        f"{folder.relative_to(templates.parent)}/ is no longer read: rewrite that ward's "
        "messages on its reminders page"
        for folder in sorted((templates / "reminders").iterdir())
        if folder.is_dir()
    ]
    if not config["METRICS_TOKEN"]:
        warnings.append("METRICS_TOKEN is not set: /metrics answers nobody outside a debug run")
    if not config["PUBLIC_BASE_URL"]:
        warnings.append(
            "PUBLIC_BASE_URL is not set: Twilio's webhooks (replies, keys pressed, delivery) "
            "are refused, as their signatures cannot be checked"
        )
    click.echo(f"rate limit: {config['RATELIMIT_STORAGE_URI'].split('://')[0]}")
    click.echo(f"calendars:  UIDs @{config['CALENDAR_DOMAIN']}, cache {config['CACHE_TYPE']}")
    click.echo(f"staff mail: {config['MAIL_SERVER'] or '(to the log)'}")
    if config["CALENDAR_DOMAIN"] == "inclusion.invalid":
        # Fine on a laptop; in production every UID would change once it is set.
        warnings.append("set CALENDAR_DOMAIN or PUBLIC_BASE_URL before sharing calendars")
    try:
        current, heads = _migration_heads()
    except sa.exc.OperationalError as error:
        raise click.ClickException(f"database unreachable: {error.orig}") from None
    if current != heads:
        problems.append(
            f"migrations at {sorted(current) or 'none'}, newest {sorted(heads)}: "
            "run `flask --app inclusion db upgrade`"
        )
    else:
        wards = db.session.scalar(sa.select(sa.func.count()).select_from(Ward))
        admins = db.session.scalar(
            sa.select(sa.func.count()).where(User.role == Role.ADMIN, User.is_active)
        )
        click.echo(f"wards:      {wards}")
        click.echo(f"admins:     {admins}")
        warnings += [
            f"{ward.name_en} has sessions with bookings but no booking phone number: its "
            "residents get no reminders until one is set"
            for ward in wards_missing_phone()
        ]
        if wards != 23:
            problems.append(f"expected the 23 special wards, found {wards}")
        if not admins:
            problems.append("no active admin: add one with `flask --app inclusion create-user`")
    for warning in warnings:
        click.echo(f"warning:    {warning}")
    for problem in problems:
        click.echo(f"problem:    {problem}", err=True)
    if problems:
        raise SystemExit(1)
    # Warnings do not stop the app, but "ok" alone under them would read as all clear.
    click.echo(f"ok, with {len(warnings)} warning(s) above" if warnings else "ok")


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduler process (reminder planning and dispatch); one per host, one leads."""
    from inclusion.scheduler.jobs import run_scheduler

    run_scheduler(current_app._get_current_object())
