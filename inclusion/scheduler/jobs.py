"""The scheduler process: jobs declared as data, run by one BlockingScheduler.

Run it as its own process (``flask --app inclusion scheduler``), never inside a web
worker, or every worker would run every job.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

log = logging.getLogger(__name__)

#: How often the scheduler says it is alive; /readyz wants a beat within a few of these.
HEARTBEAT_SECONDS = 15


@dataclass(frozen=True)
class JobSpec:
    #: Stable id: APScheduler replaces a job of the same id instead of adding a second.
    id: str
    func: Callable[[], Any]
    seconds: int
    options: dict[str, Any] = field(default_factory=dict)


def declared_jobs() -> list[JobSpec]:
    """Every feature's jobs (imported here: the features import ``JobSpec`` from us)."""
    from inclusion.reminders.jobs import REMINDER_JOBS
    from inclusion.scheduler.services import beat
    from inclusion.targets.jobs import TARGET_JOBS
    from inclusion.webhooks.jobs import WEBHOOK_JOBS

    heartbeat = JobSpec("scheduler.heartbeat", beat, seconds=HEARTBEAT_SECONDS,
                        options={"misfire_grace_time": HEARTBEAT_SECONDS - 1})  # fmt: skip
    return [heartbeat, *REMINDER_JOBS, *TARGET_JOBS, *WEBHOOK_JOBS]


def build_scheduler(app: Flask, jobs: list[JobSpec]) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=app.config["INCLUSION_TIMEZONE"])
    for job in jobs:

        def run(job: JobSpec = job) -> None:
            with app.app_context():
                job.func()

        scheduler.add_job(
            run,
            "interval",
            seconds=job.seconds,
            id=job.id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            **job.options,
        )
    return scheduler


def run_scheduler(app: Flask) -> None:
    """Run the declared jobs until SIGINT or SIGTERM, letting running jobs finish."""
    jobs = declared_jobs()
    scheduler = build_scheduler(app, jobs)
    started = threading.Event()
    scheduler.add_listener(lambda _event: started.set(), EVENT_SCHEDULER_STARTED)
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    # Blocked here, so in every thread started from now on: only sigwait below sees them.
    # A Python handler instead may fire inside APScheduler's own code and be lost.
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)

    def stop_on_signal() -> None:
        signum = signal.sigwait(stop_signals)
        log.info("scheduler stopping on signal %s", signum)
        started.wait()
        scheduler.shutdown()

    threading.Thread(target=stop_on_signal, name="stop-on-signal", daemon=True).start()
    log.info("scheduler starting with %s job(s): %s", len(jobs), [job.id for job in jobs])
    scheduler.start()
    log.info("scheduler stopped")
