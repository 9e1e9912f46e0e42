"""inclusion: a ward's digital-inclusion programme on the web."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, settings_from_env
from inclusion import logs
from inclusion.extensions import babel, cache, csrf, db, limiter, login_manager

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None, *, commands: bool = True) -> Flask:
    """Build the app: defaults, then the environment, then ``test_config``. A web worker
    (``wsgi.py``) leaves out the commands and migrations, and the memory they take."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Config)
    environ = dict(os.environ)
    if test_config:
        environ.update({k: str(v) for k, v in test_config.items() if k in _ENV_OVERRIDES})
    app.config.update(settings_from_env(environ, Path(app.instance_path)))
    if test_config:
        app.config.update({k: v for k, v in test_config.items() if k not in _ENV_OVERRIDES})
    logs.init_app(app)

    from inclusion.caching.front import FrontCache

    app.wsgi_app = FrontCache(app, app.wsgi_app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.jinja_env.add_extension("jinja2.ext.do")
    register_extensions(app)
    register_blueprints(app)
    register_listeners()
    # Every model is imported by now: set up their relationships here, not in the first
    # query of each worker (a backref such as User.volunteer_profile exists only then).
    sa.orm.configure_mappers()
    if commands:
        register_cli(app)
    return app


#: Settings a test may give as if they came from the environment, so they are parsed.
_ENV_OVERRIDES = frozenset(
    {
        "DATABASE_URL",
        "INCLUSION_TIMEZONE",
        "PUBLIC_BASE_URL",
        "PROXY_FIX_HOPS",
        "RATELIMIT_STORAGE_URI",
        "LOGIN_RATE_LIMIT",
        "PARTICIPANTS_PER_ASSISTANT",
        "SHIFT_RELEASE_CUTOFF_HOURS",
        "SHIFT_TRAVEL_BUFFER_MINUTES",
        "REMINDER_CHANNEL",
        "REMINDER_CALL_HOURS",
        "REMINDER_SMS_HOURS",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_API_BASE_URL",
        "RESIDENT_RETENTION_YEARS",
        "REMINDER_SMS_PER_SECOND",
        "REMINDER_LINE_PER_SECOND",
        "TWILIO_TIMEOUT_SECONDS",
        "REMINDER_VOICE",
        "REMINDER_NO_ANSWER_RETRY_MINUTES",
        "REMINDER_CALLS_PER_SECOND",
        "LEAD_SEES_RESIDENT_NAMES",
        "FOLLOW_UP_DIGEST_AT",
        "MAIL_SERVER",
        "MAIL_PORT",
        "MAIL_STARTTLS",
        "MAIL_FROM",
        "CALENDAR_DOMAIN",
        "CALENDAR_ALARM_MINUTES",
        "CALENDAR_PUBLIC_ALARM_MINUTES",
        "CACHE_URL",
        "API_RATE_LIMIT",
        "METRICS_TOKEN",
        "LOG_FORMAT",
        "SCHEDULER_HEARTBEAT_MAX_AGE_SECONDS",
    }
)


def register_extensions(app: Flask) -> None:
    from inclusion import i18n, security
    from inclusion.auth.services import load_user
    from inclusion.caching import store
    from inclusion.db import configure_engine, end_session
    from inclusion.ops import metrics

    db.init_app(app)
    app.teardown_appcontext(end_session)
    with app.app_context():
        configure_engine(db.engine)
    csrf.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)
    store.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    security.init_app(app)
    metrics.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n.LOGIN_REQUIRED_MESSAGE
    login_manager.login_message_category = "info"
    login_manager.session_protection = app.config["SESSION_PROTECTION"]
    login_manager.user_loader(load_user)


def register_blueprints(app: Flask) -> None:
    from inclusion.web import IdConverter

    app.url_map.converters["int"] = IdConverter
    from inclusion.api.key_views import bp as api_keys_bp
    from inclusion.audit.views import bp as audit_bp
    from inclusion.auth.views import bp as auth_bp
    from inclusion.calendar.views import bp as calendar_bp
    from inclusion.calls.views import bp as calls_bp
    from inclusion.cover.views import bp as cover_bp
    from inclusion.line.views import bp as line_links_bp
    from inclusion.line.webhooks import bp as line_bp
    from inclusion.loans.views import bp as loans_bp
    from inclusion.main.views import bp as main_bp
    from inclusion.ops.views import bp as ops_bp
    from inclusion.phoneline.views import bp as phoneline_staff_bp
    from inclusion.phoneline.webhooks import bp as phoneline_bp
    from inclusion.public.views import bp as public_bp
    from inclusion.reminders.views import bp as reminders_bp
    from inclusion.reminders.webhooks import bp as twilio_bp
    from inclusion.residents.views import bp as residents_bp
    from inclusion.sessions.views import bp as sessions_bp
    from inclusion.staff_training.views import bp as staff_training_bp
    from inclusion.surveys.views import bp as surveys_bp
    from inclusion.surveys.webhooks import bp as survey_calls_bp
    from inclusion.targets.views import bp as targets_bp
    from inclusion.venues.views import bp as venues_bp
    from inclusion.volunteers.views import bp as volunteers_bp
    from inclusion.wards.views import bp as wards_bp
    from inclusion.webhooks.views import bp as webhooks_bp

    blueprints = (
        main_bp,
        auth_bp,
        wards_bp,
        audit_bp,
        venues_bp,
        sessions_bp,
        volunteers_bp,
        cover_bp,
        residents_bp,
        loans_bp,
        line_links_bp,
        calls_bp,
        phoneline_staff_bp,
        staff_training_bp,
        surveys_bp,
        reminders_bp,
        twilio_bp,
        survey_calls_bp,
        phoneline_bp,
        line_bp,
        calendar_bp,
        targets_bp,
        api_keys_bp,
        webhooks_bp,
        ops_bp,
    )
    for blueprint in (*blueprints, public_bp):
        app.register_blueprint(blueprint)
    from inclusion.api.views import register as register_api

    register_api(app)


def register_listeners() -> None:
    """Connect the signal receivers: the reminder outbox, courses' waiting lists, the
    webhook queue and the wards' cache versions."""
    import inclusion.caching.versions  # noqa: F401
    import inclusion.courses.listeners  # noqa: F401
    import inclusion.cover.listeners  # noqa: F401
    import inclusion.line.listeners  # noqa: F401
    import inclusion.reminders.listeners  # noqa: F401
    import inclusion.webhooks.listeners  # noqa: F401


def register_cli(app: Flask) -> None:
    from flask_migrate import Migrate

    from inclusion.cli import register_commands

    Migrate(render_as_batch=True, compare_type=True).init_app(
        app, db, directory=str(ROOT / "migrations")
    )

    register_commands(app)
