"""Fixtures: one migrated database per backend, a rolled-back transaction per test.

Every test that touches the database runs on SQLite and, when TEST_DATABASE_URL
points at a PostgreSQL server, on PostgreSQL as well.
"""

from __future__ import annotations

import contextvars
import io
import itertools
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from inclusion import create_app
from inclusion.api import services as api_keys
from inclusion.api.models import ApiScope
from inclusion.auth.models import Role, User
from inclusion.extensions import db
from inclusion.wards.models import Ward
from inclusion.wards.services import find_ward
from tests import factories

#: Set in CI: a skipped test fails, so nothing that matters is silently left out.
REQUIRE_ALL = os.environ.get("INCLUSION_REQUIRE_ALL") == "1"

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, but INCLUSION_REQUIRE_ALL=1: {report.longrepr}"


@contextmanager
def scratch_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Create an empty database of ``backend`` and drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    server = sa.make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"inclusion_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def migrate_database(url: str) -> None:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "migrate"})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database at the newest migration, shared by the tests of one backend."""
    with scratch_database(backend, tmp_path_factory) as url:
        migrate_database(url)
        yield url


class IsolatedClient(FlaskClient):
    """Runs each request in a fresh context, as a real server would.

    The test keeps its own app context (and session) open; requests must not share
    its ``g`` or session. Afterwards the test's session reloads what requests changed.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():  # not inside a redirect that follow_redirects opened
            db.session.expire_all()
        return response


def make_test_app(database_url: str, **config: object) -> Flask:
    settings = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        "PASSWORD_HASH_METHOD": factories.PASSWORD_METHOD,
    }
    settings.update(config)
    return create_app(settings)


@contextmanager
def own_database_app(
    backend: str, tmp_path_factory: pytest.TempPathFactory, **config: object
) -> Iterator[Flask]:
    """The app on a database of its own whose data is committed, for tests in which each
    thread or process has its own connection."""
    with scratch_database(backend, tmp_path_factory) as url:
        migrate_database(url)
        app = make_test_app(url, **config)
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture
def app_config() -> dict[str, object]:
    """Override in a test module to change the app's settings."""
    return {}


@pytest.fixture
def app(database_url: str, app_config: dict[str, object]) -> Iterator[Flask]:
    """The app, bound to one connection whose transaction is rolled back after the test.

    It keeps no pages: a test's rows are flushed, never committed, so no ward's cache
    version changes. Cached pages are tested in tests/caching and wherever a real
    server runs (browser and ops tests), where every change commits as in production.
    """
    app = make_test_app(database_url, **{"PAGE_CACHE_SECONDS": 0, **app_config})
    app.test_client_class = IsolatedClient
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        engines[None] = connection
        original_session = db.session
        db.session = db._make_scoped_session({"join_transaction_mode": "create_savepoint"})
        try:
            yield app
        finally:
            db.session.remove()
            db.session = original_session
            engines[None] = engine
            transaction.rollback()
            connection.close()
            engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def ready_ward(slug: str, booking_phone: str) -> Ward:
    """A ward set up as one running the programme: residents know the number to call."""
    ward = find_ward(slug)
    ward.booking_phone = booking_phone
    db.session.flush()
    return ward


@pytest.fixture
def shibuya(app: Flask) -> Ward:
    return ready_ward("shibuya", "03-3463-1211")


@pytest.fixture
def shinagawa(app: Flask) -> Ward:
    return ready_ward("shinagawa", "03-3777-1111")


@pytest.fixture
def users(app: Flask, shibuya: Ward, shinagawa: Ward) -> dict[str, User]:
    """One user of each kind; ward staff and volunteer belong to Shibuya."""
    return {
        "admin": factories.make_user(role=Role.ADMIN),
        "coordinator": factories.make_user(role=Role.COORDINATOR),
        "ward_staff": factories.make_user(role=Role.WARD_STAFF, ward=shibuya),
        "other_ward_staff": factories.make_user(role=Role.WARD_STAFF, ward=shinagawa),
        "volunteer": factories.make_user(role=Role.VOLUNTEER, ward=shibuya),
        "operator": factories.make_user(role=Role.OPERATOR),
    }


def log_in(client: FlaskClient, user: User, password: str = factories.PASSWORD):
    return client.post("/login", data={"email": user.email, "password": password})


@pytest.fixture
def inbox():
    """A real SMTP server on 127.0.0.1 (``tests.mailbox``) and what it accepted."""
    from aiosmtpd.controller import Controller

    from tests.mailbox import SMTP_PORT, Inbox

    accepted = Inbox()
    controller = Controller(accepted, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield accepted
    controller.stop()


@pytest.fixture
def scheduler_running(app: Flask) -> None:
    """A scheduler's heartbeat, as in production, so /readyz answers 200."""
    from inclusion.scheduler.services import beat

    beat()


@pytest.fixture
def count_queries(app: Flask):
    """Count the SQL statements run inside a ``with count_queries() as counted:`` block."""

    @contextmanager
    def counter() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(_conn, _cursor, statement, *_args) -> None:
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                statements.append(statement)

        engine = db.engines[None].engine
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)

    return counter


@pytest.fixture
def query_plans(app: Flask):
    """``with query_plans("UPDATE") as plans:`` gives, once the block is over, each statement
    run inside it that starts so, with the steps its database plans for it: SQLite's
    EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN with sequential scans priced out (so one
    remains only where no index serves)."""

    @contextmanager
    def capture(starting: str) -> Iterator[list[tuple[str, list[str]]]]:
        ran: list[tuple[str, object]] = []

        def record(_conn, _cursor, statement, parameters, *_args) -> None:
            if statement.lstrip().upper().startswith(starting):
                ran.append((statement, parameters))

        engine = db.engines[None].engine
        plans: list[tuple[str, list[str]]] = []
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            yield plans
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        connection = db.session.connection().connection.driver_connection
        sqlite = engine.dialect.name == "sqlite"
        if not sqlite:
            connection.execute("SET LOCAL enable_seqscan = off")
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        for statement, parameters in ran:
            steps = connection.execute(explain + statement, parameters)
            plans.append((statement, [str(step[-1]) for step in steps]))

    return capture


def table_scans(plan: list[str]) -> list[str]:
    """The steps of a plan from ``query_plans`` that read a whole table."""
    return [step for step in plan if step.startswith("SCAN") or "Seq Scan" in step]


@pytest.fixture
def constant_queries(count_queries):
    """Assert a page runs as many queries with many rows as with few."""

    def check(client: FlaskClient, path: str, add_rows, few: int = 2, many: int = 25) -> None:
        def queries_with(count: int) -> int:
            add_rows(count)
            db.session.flush()
            with count_queries() as statements:
                assert client.get(path).status_code == 200
            return len(statements)

        with_few = queries_with(few)
        assert with_few > 0
        assert queries_with(many - few) == with_few, f"{path} runs more queries with more rows"

    return check


_key_numbers = itertools.count(1)


@pytest.fixture
def make_key(users):
    """``make_key(*scopes, ward=None)`` -> headers carrying a new live key (all scopes if none)."""

    def make(*scopes: ApiScope, ward=None) -> dict[str, str]:
        _key, secret = api_keys.create_key(
            users["admin"], f"integration {next(_key_numbers)}", scopes or list(ApiScope), ward
        )
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def log_lines(app):
    """What our handler writes, as text lines."""
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "inclusion", False))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield lambda: buffer.getvalue().splitlines()
    handler.setStream(previous)
