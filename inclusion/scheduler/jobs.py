"""The scheduler process: jobs declared as data, run by one BlockingScheduler.

Run it as its own process (``flask --app inclusion scheduler``), never inside a web
worker, or every worker would run every job. Several may run, one per host: all of them
send (their rows are claimed under row locks), and the one holding the leader's lease
also runs the jobs that must run once (``leader_only``). When it stops, another leads
within a minute.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

log = logging.getLogger(__name__)

#: How often the scheduler says it is alive; /readyz wants a beat within a few of these.
HEARTBEAT_SECONDS = 15
#: A leader stops leading this long before its lease runs out, for clocks that differ.
LEASE_MARGIN_SECONDS = 5


@dataclass(frozen=True)
class JobSpec:
    #: Stable id: APScheduler replaces a job of the same id instead of adding a second.
    id: str
    func: Callable[[], Any]
    seconds: int
    options: dict[str, Any] = field(default_factory=dict)
    #: Run by the leading scheduler only: counting, planning, once-a-day mail.
    leader_only: bool = False


class Leadership:
    """Whether this process leads, renewed with each heartbeat. It leads only until its
    lease could have run out (timed from before it asked): a heartbeat that failed or
    came late never leaves two schedulers leading."""

    def __init__(self) -> None:
        #: ``time.monotonic()`` until which this process leads (0: it does not).
        self._until = 0.0

    def leads(self) -> bool:
        return time.monotonic() < self._until

    def renew(self) -> None:
        from inclusion.scheduler.services import LEADER_LEASE, beat, lead

        was = self.leads()
        asked = time.monotonic()
        try:
            beat()
            held = lead()
        except Exception:
            self._until = 0.0
            raise
        if held:
            self._until = asked + LEADER_LEASE.total_seconds() - LEASE_MARGIN_SECONDS
            if not was:
                log.info("this scheduler leads now")
        else:
            self._until = 0.0
            if was:
                log.warning("this scheduler no longer leads")


def declared_jobs() -> list[JobSpec]:
    """Every feature's jobs (imported here: the features import ``JobSpec`` from us)."""
    from inclusion.cover.jobs import COVER_JOBS
    from inclusion.line.jobs import LINE_JOBS
    from inclusion.reminders.jobs import REMINDER_JOBS
    from inclusion.surveys.jobs import SURVEY_JOBS
    from inclusion.targets.jobs import TARGET_JOBS
    from inclusion.webhooks.jobs import WEBHOOK_JOBS

    return [*REMINDER_JOBS, *COVER_JOBS, *TARGET_JOBS, *WEBHOOK_JOBS, *SURVEY_JOBS, *LINE_JOBS]


def build_scheduler(
    app: Flask, jobs: list[JobSpec], leadership: Leadership | None = None
) -> BlockingScheduler:
    """The declared jobs, and the heartbeat that renews ``leadership`` (which a leader-only
    job waits for: it first runs when this process leads)."""
    leadership = leadership or Leadership()
    # The first beat at once: a leader is known before the other jobs' first runs.
    heartbeat = JobSpec("scheduler.heartbeat", leadership.renew, seconds=HEARTBEAT_SECONDS,
                        options={"misfire_grace_time": HEARTBEAT_SECONDS - 1,
                                 "next_run_time": datetime.now(UTC)})  # fmt: skip
    scheduler = BlockingScheduler(timezone=app.config["INCLUSION_TIMEZONE"])
    for job in [heartbeat, *jobs]:

        def run(job: JobSpec = job) -> None:
            if job.leader_only and not leadership.leads():
                return
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
    leadership = Leadership()
    scheduler = build_scheduler(app, jobs, leadership)
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
    if leadership.leads():
        from inclusion.scheduler.services import resign

        with app.app_context():
            resign()  # another scheduler leads at its next heartbeat, not a lease later
    log.info("scheduler stopped")
