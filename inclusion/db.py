"""Declarative base, constraint naming and the UTC datetime column type."""

from __future__ import annotations

import enum
import json
import logging
import select
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, registry

log = logging.getLogger(__name__)

#: Stable constraint names, so migrations can find them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware datetime, always stored and returned in UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given; pass an aware datetime")
        value = value.astimezone(UTC)
        # SQLite keeps no offset: store naive UTC there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def string_enum(kind: type[enum.Enum], name: str, length: int = 20) -> sa.Enum:
    """An enum stored as its values in a string column, checked on every database."""
    return sa.Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


#: Values one INSERT may carry: SQLite takes at most 32,766, PostgreSQL 65,535.
INSERT_VALUES = 30_000


def insert_new(model: type, rows: list[dict], unique: list[str] | None = None) -> int:
    """Insert ``rows``, leaving alone any that a unique constraint (``unique``'s, or any)
    already holds; in parts that fit one statement. Returns how many were added."""
    from inclusion.extensions import db  # extensions imports this module's Base

    if not rows:
        return 0
    insert = postgresql_insert if _on_postgresql() else sqlite_insert
    part = max(1, INSERT_VALUES // len(rows[0]))
    added = 0
    for start in range(0, len(rows), part):
        statement = insert(model).values(rows[start : start + part])
        statement = statement.on_conflict_do_nothing(index_elements=unique)
        added += db.session.execute(statement.execution_options(preserve_rowcount=True)).rowcount
    return added


def lock_row(model: type, row_id: object) -> None:
    """Take a row's lock until commit (PostgreSQL); SQLite writers already queue."""
    from inclusion.extensions import db  # extensions imports this module's Base

    db.session.execute(sa.select(model.id).where(model.id == row_id).with_for_update())


def _on_postgresql() -> bool:
    from inclusion.extensions import db

    return db.session.get_bind().dialect.name == "postgresql"


def among(column: sa.ColumnElement, values: Iterable[object]) -> sa.ColumnElement[bool]:
    """``column IN values``; on PostgreSQL as one array parameter, so the statement reads
    the same for any batch: psycopg then prepares it and PostgreSQL plans it once, where a
    hundred parameters had it converted and planned anew at each execution."""
    if _on_postgresql():
        return column == sa.any_(sa.cast(sa.bindparam(None, list(values)), ARRAY(column.type)))
    return column.in_(list(values))


def texts_by_id(texts: Mapping[int, str | None]) -> sa.FromClause:
    """``texts`` as rows (``id``, ``text``) an UPDATE ... FROM can join to by id: one
    statement for a batch's own values, each passed as one parameter (PostgreSQL arrays,
    SQLite JSON) rather than one or two a row, so building, parsing and planning it do not
    grow with the batch."""
    if _on_postgresql():
        return (
            sa.func.unnest(
                sa.cast(sa.bindparam(None, list(texts)), ARRAY(sa.BigInteger)),
                sa.cast(sa.bindparam(None, list(texts.values())), ARRAY(sa.Text)),
            )
            .table_valued("id", "text")
            .render_derived()
        )
    each = sa.func.json_each(sa.bindparam(None, json.dumps(list(texts.items())))).table_valued(
        "value"
    )
    return sa.select(
        sa.func.json_extract(each.c.value, "$[0]").label("id"),
        sa.func.json_extract(each.c.value, "$[1]").label("text"),
    ).subquery()


class likely(sa.sql.functions.FunctionElement):  # noqa: N801 - an SQL function, named like one
    """A condition that holds for almost every row it is asked of: SQLite's planner then
    reaches the rows by another index (PostgreSQL keeps statistics and needs no hint)."""

    type = sa.Boolean()
    inherit_cache = True
    name = "likely"


@compiles(likely)
def _likely(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(likely, "sqlite")
def _likely_sqlite(element, compiler, **kw) -> str:
    return f"likely({compiler.process(element.clauses, **kw)})"


def read_one(statement: sa.Executable, params: Mapping[str, object]) -> sa.Row | None:
    """The first row of ``statement``, read on its own (no BEGIN, no ROLLBACK) while the
    context's session has no transaction: on PostgreSQL one round trip instead of three,
    and none of the session's work (a kept page's version check is all its request asks
    the database)."""
    from inclusion.extensions import db

    session = db.session()
    bind = session.get_bind()
    # A test's session is bound to a connection whose rows are not committed: read there.
    if isinstance(bind, sa.Engine) and not session.in_transaction():
        with _single_statements(bind).connect() as connection:
            return connection.execute(statement, params).first()
    return session.connection().execute(statement, params).first()


#: Marks connections that run each statement on its own (see ``on_begin``).
_NO_BEGIN = "inclusion_no_begin"


@lru_cache(maxsize=8)
def _single_statements(engine: sa.Engine) -> sa.Engine:
    """The engine's pool, handing out connections that run each statement on its own."""
    if engine.dialect.name == "sqlite":
        # pysqlite runs a statement outside BEGIN already; only ``on_begin`` must not begin.
        return engine.execution_options(**{_NO_BEGIN: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def configure_engine(engine: sa.Engine) -> None:
    """Check a server's connections before use; switch on what SQLite needs to behave
    like a real database."""
    if engine.dialect.name != "sqlite":
        sa.event.listen(engine, "connect", _note_new)
        sa.event.listen(engine, "connect", _plan_cursors_whole)
        sa.event.listen(engine, "checkout", _refuse_closed)
        sa.event.listen(engine, "begin", _reads_alone)
        sa.event.listen(engine, "before_cursor_execute", _transaction_when_needed)
        sa.event.listen(engine, "checkin", _transactions_again)
        return

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (savepoints work).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL cannot corrupt the database; a power cut may lose the last
            # commits, which the outbox survives (a lost "sent" mark leaves "unknown").
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection) -> None:
        if connection.get_execution_options().get(_NO_BEGIN):
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


#: Marks a connection not yet handed out since it was made.
_NEW = "inclusion_new"


def _note_new(_dbapi_connection, record) -> None:
    record.info[_NEW] = True


#: Marks a connection lent to a web request that only reads (see ``_reads_alone``).
_READS_ALONE = "inclusion_reads_alone"


def _reads_alone(connection: sa.Connection) -> None:
    """A web request that only reads runs each statement on its own on PostgreSQL, as
    SQLite's reads do outside a write: no BEGIN and no ROLLBACK around it (two round trips
    of three for a kept page), and the statements psycopg has prepared are kept, where a
    ROLLBACK would discard them and each log-in's join be planned anew. A statement that
    needs a transaction begins one (``_transaction_when_needed``)."""
    if _may_write():
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.autocommit or dbapi_connection.info.transaction_status:
        return  # already on its own, or inside a transaction begun outside (a test's)
    dbapi_connection.autocommit = True
    connection.connection.info[_READS_ALONE] = True


def _transaction_when_needed(connection, _cursor, statement, _parameters, context, _many):
    """A reading request's statement that needs a transaction begins one, which holds the
    rest of the request: a write or savepoint (a preview made and rolled back), a row lock,
    or a result streamed through a server-side cursor (PostgreSQL declares its cursors only
    in a transaction)."""
    if not connection.connection.info.get(_READS_ALONE):
        return
    dbapi_connection = connection.connection.dbapi_connection
    if not dbapi_connection.autocommit:
        return
    streams = context is not None and context.execution_options.get("stream_results")
    if statement.startswith("SELECT") and " FOR " not in statement and not streams:
        return
    dbapi_connection.autocommit = False


def _transactions_again(dbapi_connection, record) -> None:
    """A connection back from a reading request begins transactions again."""
    if record.info.pop(_READS_ALONE, False) and dbapi_connection is not None:
        dbapi_connection.autocommit = False


def _plan_cursors_whole(dbapi_connection, _record) -> None:
    """Every result this app streams is read to its end (a calendar, an export): plan it
    for all its rows, not for PostgreSQL's default first tenth. (A venue's calendar got a
    fast-start plan that took 100 ms instead of 2.)"""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET cursor_tuple_fraction = 1")
    dbapi_connection.commit()  # a SET in a transaction rolled back would be undone


def _refuse_closed(dbapi_connection, record, _proxy) -> None:
    """Hand out no connection the server has closed (a restart, an administrator, an idle
    timeout), so that no request fails on one: the pool then takes another.

    A server that ends a connection sends its last message and closes the socket, so an
    idle connection with anything to read is gone (we LISTEN to nothing); one the network
    dropped errs once TCP keepalives go unanswered (``config.KEEPALIVES``). Seen without a
    round trip, where ``pool_pre_ping`` asks the server each time (a quarter of a kept
    page's time).
    """
    if record.info.pop(_NEW, False):
        # Just made: a server shutting down may end it at once, and the pool would try
        # only three times before a bare error; the request's own query then fails with
        # the server's reason, which is answered 503.
        return
    if dbapi_connection.closed or dbapi_connection.broken:
        raise sa.exc.DisconnectionError("closed")
    # poll, not select: a busy worker's descriptors may be numbered past select's 1024.
    waiting = select.poll()
    waiting.register(dbapi_connection.fileno(), select.POLLIN)
    if waiting.poll(0):  # something to read, a hang-up or an error (TCP keepalives)
        raise sa.exc.DisconnectionError("the server or the network ended the connection")


def end_session(_error: BaseException | None = None) -> None:
    """End the context's session; a connection the server cut meanwhile is thrown away.

    Runs before Flask-SQLAlchemy's own teardown (registered after it): there, the ROLLBACK
    on a connection PostgreSQL just cut (a restart) would turn an answered request into
    a bare 500 from gunicorn.
    """
    from inclusion.extensions import db

    try:
        db.session.remove()
    except sa.exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        # SQLAlchemy has thrown the connection away; the session is left clean.
        log.warning("connection lost at the end of a request: %s", str(error.orig)[:200])
        db.session.remove()


def writes_on_read(view):
    """Mark a GET view that writes (an audit entry of who saw personal data)."""
    view.writes_on_read = True
    return view


#: Set by ``begin_as``: how the transactions begun inside it begin, whatever the context.
_begin_as_writer: ContextVar[bool | None] = ContextVar("begin_as_writer", default=None)


@contextmanager
def begin_as(writer: bool) -> Iterator[None]:
    """Begin the transactions inside as writers, or as readers that take no write lock.

    For work that reads long and then writes briefly (counting the figures): on SQLite
    the long read must not hold the write lock that every booking waits for.
    """
    token = _begin_as_writer.set(writer)
    try:
        yield
    finally:
        _begin_as_writer.reset(token)


def _may_write() -> bool:
    """Whether this transaction may write: everything but a read-only web request.

    On SQLite a writer takes the write lock when it begins (waiting up to
    busy_timeout), so two writers queue instead of one failing half-way.
    """
    if _begin_as_writer.get() is not None:
        return _begin_as_writer.get()
    if has_request_context():
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            return True
        view = current_app.view_functions.get(request.endpoint or "")
        return getattr(view, "writes_on_read", False)
    return True
