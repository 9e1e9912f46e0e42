"""The targets job the scheduler process runs."""

from __future__ import annotations

from inclusion.scheduler.jobs import JobSpec
from inclusion.targets import services

#: Every minute, to notice when the figures have aged; counting runs only then. The app
#: context each run has removes the session afterwards, rolling back what failed.
TARGET_JOBS = [
    JobSpec(
        "targets.refresh",
        services.refresh_due,
        seconds=60,
        options={"misfire_grace_time": 50},
        leader_only=True,
    ),
]
