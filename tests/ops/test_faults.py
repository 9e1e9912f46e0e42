"""When the database is away or read-only: a friendly 503, nothing half-written, and the
app carries on by itself once it is back."""

import pytest
import sqlalchemy as sa

from inclusion.auth.models import Role, User
from inclusion.extensions import db
from inclusion.wards.services import find_ward
from tests import factories
from tests.conftest import BACKENDS, make_test_app, migrate_database, scratch_database


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


@pytest.mark.parametrize("server", [name for name in BACKENDS if name == "postgresql"])
def test_the_app_reconnects_by_itself_after_postgresql_drops_it(server, tmp_path_factory):
    with scratch_database(server, tmp_path_factory) as url:
        migrate_database(url)
        app = make_test_app(url)
        client = app.test_client()
        assert client.get("/w/shibuya").status_code == 200
        admin = sa.create_engine(sa.make_url(url).set(database="postgres"),
                                 isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as connection:  # what a restart does to every open connection
            dropped = connection.execute(
                sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"),
                {"name": sa.make_url(url).database},
            ).scalar()  # fmt: skip
        admin.dispose()
        assert dropped >= 1
        assert client.get("/w/shibuya").status_code == 200  # pool_pre_ping: a fresh connection
        with app.app_context():
            db.engine.dispose()
