"""Health, readiness and metrics: what load balancers, monitors and Prometheus ask."""

from datetime import timedelta

import pytest

from inclusion import clock
from inclusion.extensions import db
from inclusion.scheduler.jobs import build_scheduler, declared_jobs
from inclusion.scheduler.services import beat, last_beat
from tests import factories


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_wants_the_database_and_a_recent_heartbeat(client):
    waiting = client.get("/readyz")
    assert waiting.status_code == 503
    assert waiting.json["checks"] == {"database": "ok", "scheduler": "no heartbeat yet"}
    beat(clock.now() - timedelta(minutes=5), name="old-host:1")
    stale = client.get("/readyz")
    assert stale.status_code == 503 and "s ago" in stale.json["checks"]["scheduler"]
    beat()
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "ok"


def test_the_heartbeat_is_one_row_per_process_and_moves_forward(app):
    first = clock.now()
    beat(first, name="host:1")
    beat(first + timedelta(seconds=15), name="host:1")
    assert last_beat() == first + timedelta(seconds=15)
    job = build_scheduler(app, declared_jobs()).get_job("scheduler.heartbeat")
    assert job.max_instances == 1 and job.misfire_grace_time == 14


def test_metrics_count_requests_and_read_the_outbox(client, shibuya):
    booking = factories.make_booking(
        factories.make_session(factories.make_venue(shibuya)), factories.make_resident(shibuya)
    )
    factories.make_reminder(booking)
    db.session.commit()
    beat()
    client.get("/healthz")
    text = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    assert (
        'inclusion_http_requests_total{endpoint="ops.healthz",method="GET",status="200"}' in text
    )
    assert 'inclusion_reminders{status="sent"} 1.0' in text
    assert 'inclusion_reminders{status="pending"} 0.0' in text
    assert "inclusion_scheduler_lag_seconds " in text
    assert "inclusion_http_request_seconds_bucket" in text


def test_metrics_are_not_for_everyone(app, client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    # In production, without a token, not even from this host (a local proxy's address).
    app.testing = False
    try:
        local = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert local.status_code == 404
    finally:
        app.testing = True


class TestMetricsToken:
    @pytest.fixture
    def app_config(self):
        return {"METRICS_TOKEN": "scrape-secret"}

    def test_with_a_token_only_its_bearer_scrapes(self, client):
        assert client.get("/metrics").status_code == 404
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 404
        right = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"})  # fmt: skip
        assert right.status_code == 200 and right.mimetype == "text/plain"
