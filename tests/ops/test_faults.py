"""When the database is away or read-only: a friendly 503, nothing half-written, and the
app carries on by itself once it is back."""

import threading
import time

import pytest
import sqlalchemy as sa

from inclusion.auth.models import Role, User
from inclusion.extensions import db
from inclusion.wards.services import find_ward
from tests import factories
from tests.conftest import BACKENDS, make_test_app, migrate_database, scratch_database
from tests.ops.traffic import (
    check_invariants,
    fill,
    gunicorn_serving,
    needs_server_programs,
    private_postgresql,
    run_clients,
)

# Processes or many connections of its own: one such test at a time (PostgreSQL takes 100).
pytestmark = pytest.mark.xdist_group("heavy")

CLIENTS = 12
#: Seconds of traffic before the stop, of outage, and after the start.
BEFORE, OUTAGE, AFTER = 4, 5, 6


def test_a_database_that_cannot_be_reached_gives_a_friendly_503():
    # Nothing listens on port 9: every connection is refused, as while PostgreSQL restarts.
    app = make_test_app("postgresql://postgres@127.0.0.1:9/inclusion")
    client = app.test_client()
    page = client.get("/w/shibuya")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "もう一度お試しください" in page.get_data(as_text=True)
    api = client.get("/api/v1/wards")
    assert api.status_code == 503 and api.mimetype == "application/problem+json"
    assert client.get("/healthz").status_code == 200  # the process itself is fine
    assert client.get("/readyz").status_code == 503


def test_a_read_only_database_refuses_a_change_whole_and_keeps_serving_reads(tmp_path_factory):
    with scratch_database("sqlite", tmp_path_factory) as url:
        migrate_database(url)
        writable = make_test_app(url)
        with writable.app_context():
            staff = factories.make_user(role=Role.WARD_STAFF, ward=find_ward("shibuya"))
            db.session.commit()
            email = staff.email
        # The same file opened read-only, as on a full or read-only disk.
        read_only = make_test_app(f"sqlite:///file:{sa.make_url(url).database}?mode=ro&uri=true")
        client = read_only.test_client()
        assert client.get("/w/shibuya").status_code == 200
        login = client.post("/login", data={"email": email, "password": factories.PASSWORD})
        assert login.status_code == 503  # a log-in writes its audit entry and the time
        with writable.app_context():
            user = db.session.scalar(sa.select(User).where(User.email == email))
            assert user.last_login_dt is None  # nothing half-written
            again = writable.test_client().post(
                "/login", data={"email": email, "password": factories.PASSWORD}
            )
            assert again.status_code == 302


def drop_connections(url: str) -> int:
    """What a restart does to every open connection of the database."""
    admin = sa.create_engine(sa.make_url(url).set(database="postgres"),
                             isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as connection:
        dropped = connection.execute(
            sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"),
            {"name": sa.make_url(url).database},
        ).scalar()  # fmt: skip
    admin.dispose()
    return dropped


@pytest.mark.parametrize("server", [name for name in BACKENDS if name == "postgresql"])
def test_the_app_reconnects_by_itself_after_postgresql_drops_it(server, tmp_path_factory):
    with scratch_database(server, tmp_path_factory) as url:
        migrate_database(url)
        app = make_test_app(url)
        client = app.test_client()
        assert client.get("/w/shibuya").status_code == 200
        assert drop_connections(url) >= 1
        assert client.get("/w/shibuya").status_code == 200  # the closed one is not handed out
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("server", [name for name in BACKENDS if name == "postgresql"])
def test_a_connection_cut_before_the_request_ends_is_no_error(server, tmp_path_factory):
    with scratch_database(server, tmp_path_factory) as url:
        migrate_database(url)
        app = make_test_app(url)
        with app.app_context():
            assert find_ward("shibuya") is not None  # a transaction is open
            assert drop_connections(url) >= 1
        # The context ended without raising (its ROLLBACK met a cut connection), and the
        # next one works.
        with app.app_context():
            assert find_ward("shibuya") is not None
        with app.app_context():
            db.engine.dispose()


@needs_server_programs
@pytest.mark.parametrize("server", [name for name in BACKENDS if name == "postgresql"])
def test_postgresql_restarted_under_load(server, tmp_path):
    moments: dict[str, float] = {}

    def restart(postgres) -> None:
        time.sleep(BEFORE)
        moments["stopping"] = time.monotonic()
        postgres.stop()
        moments["stopped"] = time.monotonic()
        time.sleep(OUTAGE)
        moments["starting"] = time.monotonic()
        postgres.start()
        moments["back"] = time.monotonic()

    with private_postgresql() as postgres:
        migrate_database(postgres.url)
        data = fill(postgres.url)
        with gunicorn_serving(postgres.url, tmp_path) as base:
            restarter = threading.Thread(target=restart, args=(postgres,))
            restarter.start()
            outcomes = run_clients(base, data, CLIENTS, BEFORE + OUTAGE + AFTER)
            restarter.join()
        check_invariants(postgres.url)
    log = (tmp_path / "gunicorn.log").read_text()
    # No request hung or lost its connection, and none answered anything but 503 or a rule.
    assert not [str(outcome) for outcome in outcomes if outcome.error]
    assert not [str(o) for o in outcomes if o.status >= 500 and o.status != 503]
    assert "WORKER TIMEOUT" not in log and "Traceback" not in log
    # Sent and answered while the server was down; one sent then but answered after the
    # restart (queued behind busy threads) may rightly be served.
    down = [o for o in outcomes
            if moments["stopped"] <= o.began and o.ended < moments["starting"]]  # fmt: skip
    assert len(down) > CLIENTS and all(outcome.status == 503 for outcome in down)
    for outcome in (o for o in outcomes if o.status == 503):
        # Thirty seconds, or later when the API's rate window resets later (Flask-Limiter).
        assert int(outcome.retry_after) >= 29, outcome
        if outcome.action == "page":
            assert outcome.mimetype == "text/html" and "もう一度お試しください" in outcome.text
        else:
            assert outcome.mimetype == "application/problem+json", outcome
    # Before the stop and from the start on, every request is served: no restart needed.
    before = [o for o in outcomes if o.ended < moments["stopping"]]
    after = [o for o in outcomes if o.began > moments["back"]]
    assert len(before) > CLIENTS and len(after) > CLIENTS
    assert not [str(o) for o in before + after if o.status == 503]
