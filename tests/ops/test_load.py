"""Fifty clients for thirty seconds against gunicorn (2 workers x 4 threads) on PostgreSQL,
reading pages and booking, cancelling and claiming through the API at once: no error,
no class over its capacity, no place or reminder twice."""

import os

import pytest

from tests.conftest import BACKENDS, migrate_database, scratch_database
from tests.ops.traffic import check_invariants, fill, gunicorn_serving, run_clients

# Processes or many connections of its own: one such test at a time (PostgreSQL takes 100).
pytestmark = pytest.mark.xdist_group("heavy")

CLIENTS = 50
SECONDS = float(os.environ.get("INCLUSION_LOAD_SECONDS", "30"))


@pytest.mark.parametrize("server", [name for name in BACKENDS if name == "postgresql"])
def test_fifty_clients_for_thirty_seconds(server, tmp_path_factory, tmp_path):
    with scratch_database(server, tmp_path_factory) as url:
        migrate_database(url)
        data = fill(url)
        with gunicorn_serving(url, tmp_path) as base:
            outcomes = run_clients(base, data, CLIENTS, SECONDS)
        errors = [
            outcome
            for outcome in outcomes
            if outcome.error or outcome.status >= 500 or outcome.status in (401, 403, 429)
        ]
        assert not errors, [str(error) for error in errors[:10]]
        assert len(outcomes) > CLIENTS * 5, len(outcomes)  # real traffic, not a trickle
        check_invariants(url)
