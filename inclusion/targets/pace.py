"""Pace: where a figure should be by today if spread evenly, and where it is heading."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Pace:
    target: float
    actual: float
    #: What an even spread over the period reaches by today.
    expected: float
    #: The actual figure carried on at its rate to the period's end.
    projected: float
    #: Share of the period gone, 0 to 1.
    elapsed: float

    @property
    def on_track(self) -> bool:
        return self.projected >= self.target

    @property
    def behind_by(self) -> int:
        """How many short of the even spread today (0 when ahead)."""
        return max(0, math.ceil(self.expected - self.actual))

    @property
    def share(self) -> float:
        """Actual as a share of the target, for the progress bar (0 to 1)."""
        return min(1.0, self.actual / self.target) if self.target else 1.0


def pace(target: float, actual: float, first_day: date, last_day: date, today: date) -> Pace:
    """Even-spread pace over ``first_day``..``last_day`` (inclusive), judged on ``today``."""
    total_days = (last_day - first_day).days + 1
    gone_days = min(max((today - first_day).days + 1, 0), total_days)
    elapsed = gone_days / total_days
    projected = actual / elapsed if elapsed else 0.0
    return Pace(
        target=target,
        actual=actual,
        expected=target * elapsed,
        projected=projected,
        elapsed=elapsed,
    )
