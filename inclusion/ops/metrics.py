"""Prometheus metrics: requests counted in each worker, the outbox read from the database.

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` (set by ``gunicorn.conf.py``) lets every
worker's counts add up whichever worker answers the scrape.
"""

from __future__ import annotations

import os
import time

import sqlalchemy as sa
from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from inclusion import clock
from inclusion.extensions import db
from inclusion.reminders.models import Reminder, ReminderStatus
from inclusion.scheduler.services import last_beat

#: Where a row whose last try failed may stand (once sent, its code is cleared).
FAILING = (ReminderStatus.PENDING, ReminderStatus.FAILED, ReminderStatus.UNKNOWN)

REQUESTS = Counter(
    "inclusion_http_requests", "HTTP requests answered", ["method", "endpoint", "status"]
)
LATENCY = Histogram(
    "inclusion_http_request_seconds", "Time to answer a request", ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)  # fmt: skip


class OutboxCollector:
    """Read at each scrape: the reminder queue by status, failures by code, the scheduler's lag."""

    def collect(self):
        depth = GaugeMetricFamily(
            "inclusion_reminders", "Reminder rows by status", labels=["status"]
        )
        counts = dict(
            db.session.execute(
                sa.select(Reminder.status, sa.func.count()).group_by(Reminder.status)
            ).all()
        )
        for status in ReminderStatus:
            depth.add_metric([status.value], counts.get(status, 0))
        yield depth
        failures = GaugeMetricFamily(
            "inclusion_reminder_send_failures",
            "Reminders whose last try failed, by the provider's or our code and where they"
            " stand (pending: waiting to try again; failed; unknown whether sent)",
            labels=["code", "status"],
        )
        for code, status, count in db.session.execute(
            sa.select(Reminder.failure_code, Reminder.status, sa.func.count())
            .where(Reminder.failure_code.is_not(None), Reminder.status.in_(FAILING))
            .group_by(Reminder.failure_code, Reminder.status)
            .order_by(Reminder.failure_code, Reminder.status)
        ):
            failures.add_metric([code, status.value], count)
        yield failures
        beat = last_beat()
        lag = GaugeMetricFamily(
            "inclusion_scheduler_lag_seconds",
            "Seconds since a scheduler last ran its jobs (absent: never)",
        )
        if beat is not None:
            lag.add_metric([], (clock.now() - beat).total_seconds())
        yield lag
        db.session.rollback()


def scrape() -> bytes:
    """The text a Prometheus server reads."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    output = generate_latest(registry)
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector())
    return output + generate_latest(outbox)


def init_app(app: Flask) -> None:
    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def count_request(response):
        count(request.method, request.endpoint, response.status_code, g.get("request_started"))
        return response


def count(method: str, endpoint: str | None, status: int, started: float | None) -> None:
    """Count an answered request, and how long it took when its start is known."""
    endpoint = endpoint or "unmatched"
    REQUESTS.labels(method, endpoint, str(status)).inc()
    if started is not None:
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
