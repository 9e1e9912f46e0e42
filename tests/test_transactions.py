"""How a web request meets the database: a request that only reads runs each statement
on its own on PostgreSQL (on SQLite, in a transaction that takes no write lock); one that
writes is one transaction, and the connection it gets is never left reading alone."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from inclusion.db import lock_row
from inclusion.extensions import db
from inclusion.venues.models import Venue
from inclusion.wards.models import Ward
from tests import factories
from tests.conftest import own_database_app, ready_ward


def try_out_a_venue() -> str:
    """A GET that reads, then tries changes in a savepoint and under a row lock and keeps
    none of them, as a preview of what a confirmation would create does."""
    ward = db.session.scalar(sa.select(Ward).where(Ward.slug == "shibuya"))
    with db.session.begin_nested() as savepoint:
        factories.make_venue(ward)
        savepoint.rollback()
    lock_row(Ward, ward.id)
    factories.make_venue(ward)
    return "tried"


def venues() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Venue))


@pytest.fixture(scope="module")
def volunteer_app(backend, tmp_path_factory):
    with own_database_app(backend, tmp_path_factory) as app:
        app.add_url_rule("/try-out", view_func=try_out_a_venue)
        with app.app_context():
            volunteer = factories.make_volunteer(ready_ward("shibuya", "03-3463-1873"))
            db.session.commit()
            app.config["volunteer"] = volunteer.email
        yield app


def in_transaction(dbapi_connection) -> bool:
    if isinstance(dbapi_connection, sqlite3.Connection):
        return dbapi_connection.in_transaction
    return not dbapi_connection.autocommit


@contextmanager
def statements(app) -> Iterator[list[tuple[str, bool]]]:
    """Each statement run inside the block: its text, and whether a transaction held it."""
    ran: list[tuple[str, bool]] = []

    def record(connection, _cursor, statement, *_args) -> None:
        ran.append((statement, in_transaction(connection.connection.dbapi_connection)))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "after_cursor_execute", record)
    try:
        yield ran
    finally:
        sa.event.remove(engine, "after_cursor_execute", record)


def test_a_read_holds_no_transaction_open_and_a_write_is_one(volunteer_app, backend):
    client = volunteer_app.test_client()
    with statements(volunteer_app) as logging_in:
        client.post(
            "/login", data={"email": volunteer_app.config["volunteer"],
                            "password": factories.PASSWORD},
        )  # fmt: skip
    assert logging_in and all(held for _statement, held in logging_in), logging_in
    if backend == "sqlite":
        assert {s for s, _held in logging_in if s.startswith("BEGIN")} == {"BEGIN IMMEDIATE"}

    for _ in range(6):
        with statements(volunteer_app) as reading:
            assert client.get("/shifts").status_code == 200
        queries = [held for statement, held in reading if not statement.startswith("BEGIN")]
        assert queries, reading
        if backend == "sqlite":  # one snapshot, no write lock
            assert all(queries) and [s for s, _ in reading if s.startswith("BEGIN")] == ["BEGIN"]
        else:
            assert not any(queries), reading

    with volunteer_app.app_context():
        # The connection the reads had is back in the pool, beginning transactions again.
        connection = db.session.connection()
        connection.execute(sa.text("SELECT 1"))
        assert in_transaction(connection.connection.dbapi_connection)
        if backend == "postgresql":
            # No ROLLBACK discarded what psycopg prepared: the log-in is planned once.
            prepared = connection.execute(
                sa.text("SELECT statement FROM pg_prepared_statements")
            ).scalars()
            assert any("FROM login_sessions" in statement for statement in prepared)
        db.session.rollback()


def test_a_reading_request_streams_a_calendar_in_a_transaction(volunteer_app, backend):
    """A calendar is read through a server-side cursor, which PostgreSQL declares only in
    a transaction: the read that otherwise runs each statement on its own begins one."""
    with volunteer_app.app_context():
        ward = db.session.scalar(sa.select(Ward).where(Ward.slug == "shibuya"))
        factories.make_session(factories.make_venue(ward))
        db.session.commit()
    client = volunteer_app.test_client()
    with statements(volunteer_app) as reading:
        answer = client.get("/w/shibuya/calendar.ics")
    assert answer.status_code == 200 and b"BEGIN:VEVENT" in answer.data
    if backend == "postgresql":  # the statements before it still ran on their own
        assert not reading[0][1] and reading[-1][1], reading
    with volunteer_app.app_context():
        connection = db.session.connection()
        connection.execute(sa.text("SELECT 1"))
        assert in_transaction(connection.connection.dbapi_connection)
        db.session.rollback()


def test_a_reading_request_that_tries_changes_does_so_in_a_transaction(volunteer_app, backend):
    """What a GET writes, in a savepoint or not, is in a transaction that begins with it
    and is rolled back with the request: nothing stays."""
    with volunteer_app.app_context():
        before = venues()
    with statements(volunteer_app) as trying:
        answer = volunteer_app.test_client().get("/try-out")
    assert answer.status_code == 200, answer.data
    writes = [held for statement, held in trying if statement.startswith(("INSERT", "SAVE"))]
    assert writes and all(writes), trying
    if backend == "postgresql":
        assert not trying[0][1], trying  # the read before them ran on its own
    with volunteer_app.app_context():
        assert venues() == before
