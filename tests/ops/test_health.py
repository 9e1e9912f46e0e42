"""Health, readiness and metrics: what load balancers, monitors and Prometheus ask."""

from datetime import timedelta

import pytest

from inclusion import clock
from inclusion.extensions import db
from inclusion.scheduler.jobs import build_scheduler, declared_jobs
from inclusion.scheduler.services import beat, last_beat, lead, leader, resign
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


def test_one_scheduler_leads_and_another_takes_over_within_a_minute(app):
    start = clock.now()
    assert lead(start, name="host-a:1") and not lead(start, name="host-b:1")
    # The leader renews with each heartbeat; the other keeps asking.
    for beat_number in range(1, 5):
        moment = start + timedelta(seconds=15 * beat_number)
        assert lead(moment, name="host-a:1") and not lead(moment, name="host-b:1")
    assert leader().holder == "host-a:1"
    # Host a stops without a word (its last renewal was at 60 s): host b leads at the
    # first heartbeat after the lease ran out, under a minute after a went quiet.
    last = start + timedelta(seconds=60)
    takeover = next(
        last + timedelta(seconds=seconds)
        for seconds in range(15, 120, 15)
        if lead(last + timedelta(seconds=seconds), name="host-b:1")
    )
    assert takeover - last <= timedelta(minutes=1)
    assert not lead(takeover, name="host-a:1")  # back again, a follows


def test_a_scheduler_stopping_hands_over_at_once(app):
    assert lead(name="host-a:1")
    resign(name="host-a:1")
    assert leader() is None and lead(name="host-b:1")


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
