"""With CACHE_URL on Redis, a page one host built is served by every other, and a change
still shows at once everywhere."""

import pytest
import redis
import sqlalchemy as sa

from inclusion.extensions import db
from inclusion.sessions.models import Session
from inclusion.wards.services import find_ward
from tests import factories
from tests.auth.test_rate_limit_redis import redis_url  # noqa: F401 (a fixture)
from tests.conftest import make_test_app, migrate_database, scratch_database

# Both flush the same Redis database: never at once on two workers.
pytestmark = pytest.mark.xdist_group("redis")


def test_hosts_share_pages_and_none_is_stale(backend, tmp_path_factory, redis_url):  # noqa: F811
    redis.Redis.from_url(redis_url).flushdb()
    with scratch_database(backend, tmp_path_factory) as url:
        migrate_database(url)
        hosts = [make_test_app(url, CACHE_URL=redis_url) for _ in range(2)]
        with hosts[0].app_context():
            session = factories.make_session(factories.make_venue(find_ward("shibuya")))
            db.session.commit()
            session_id = session.id
        statements = []
        for app in hosts:
            with app.app_context():
                sa.event.listen(
                    db.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
                )
        first = hosts[0].test_client().get("/w/shibuya").get_data()
        statements.clear()
        second = hosts[1].test_client().get("/w/shibuya").get_data()
        shared = [s for s in statements if not s.startswith("BEGIN")]
        with hosts[0].app_context():
            db.session.get(Session, session_id).title = "名前を変えた教室"
            db.session.commit()
        after = hosts[1].test_client().get("/w/shibuya").get_data(as_text=True)
        for app in hosts:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    assert second == first and "スマホ教室" in first.decode()
    # The other host read only the ward (and its version); it did not build the page.
    assert len(shared) == 1 and "FROM wards" in shared[0]
    assert "名前を変えた教室" in after
    assert redis.Redis.from_url(redis_url).keys("inclusion:page:*")
