"""With CACHE_URL on Redis, a feed built by one worker is served by every other."""

import pytest
import redis
import sqlalchemy as sa

from inclusion.extensions import db
from inclusion.wards.services import find_ward
from tests import factories
from tests.auth.test_rate_limit_redis import redis_url  # noqa: F401 (a fixture)
from tests.conftest import make_test_app, migrate_database, scratch_database

# Both flush the same Redis database: never at once on two workers.
pytestmark = pytest.mark.xdist_group("redis")


def test_workers_share_rendered_feeds(backend, tmp_path_factory, redis_url):  # noqa: F811
    redis.Redis.from_url(redis_url).flushdb()
    with scratch_database(backend, tmp_path_factory) as url:
        migrate_database(url)
        workers = [make_test_app(url, CACHE_URL=redis_url) for _ in range(2)]
        with workers[0].app_context():
            factories.make_session(factories.make_venue(find_ward("shibuya")))
            db.session.commit()
        statements = []
        for app in workers:
            with app.app_context():
                sa.event.listen(
                    db.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
                )
        first = workers[0].test_client().get("/w/shibuya/calendar.ics")
        built_with = len(statements)
        statements.clear()
        second = workers[1].test_client().get("/w/shibuya/calendar.ics")
        for app in workers:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    assert first.status_code == second.status_code == 200
    assert second.get_data() == first.get_data() and b"BEGIN:VEVENT" in first.get_data()
    # The other worker only checked the feed's fingerprint; it did not build it again.
    assert len(statements) == built_with - 1
    stored = redis.Redis.from_url(redis_url).keys("inclusion:feed:*")
    assert len(stored) == 1
