"""With RATELIMIT_STORAGE_URI on Redis, every worker shares one count."""

import os

import pytest
import redis

from inclusion.extensions import db
from tests.conftest import make_test_app, migrate_database, scratch_database

# Both flush the same Redis database: never at once on two workers.
pytestmark = pytest.mark.xdist_group("redis")

REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip(reason="TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/15)")
    return REDIS_URL


def test_failed_logins_are_counted_across_workers(backend, tmp_path_factory, redis_url):
    # The test's own Redis database: start from no counts.
    redis.Redis.from_url(redis_url).flushdb()
    settings = {
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": False,
        "RATELIMIT_SWALLOW_ERRORS": False,
    }
    with scratch_database(backend, tmp_path_factory) as url:
        migrate_database(url)
        workers = [make_test_app(url, **settings) for _ in range(2)]
        statuses = []
        for attempt in range(6):
            client = workers[attempt % 2].test_client()
            response = client.post("/login", data={"email": "x@example.jp", "password": "nope"})
            statuses.append(response.status_code)
        for app in workers:
            with app.app_context():
                db.engine.dispose()
    assert statuses == [422] * 5 + [429]
