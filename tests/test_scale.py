"""``demo --scale``: made-up data with the programme's shape, for benchmarks."""

import re

import sqlalchemy as sa

from inclusion import clock
from inclusion.extensions import db
from inclusion.residents.models import Booking
from inclusion.sessions.models import Session
from inclusion.targets import metrics
from inclusion.targets.metrics import Scope
from inclusion.wards.services import find_ward


def test_the_ward_scale_fills_one_ward_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "--scale", "ward"])
    assert result.exit_code == 0, result.output
    filled = next(line for line in result.output.splitlines() if " sessions, " in line)
    counts = dict(
        (name, int(number.replace(",", "")))
        for number, name in re.findall(r"(\d[\d,]*) (\w+)", filled)
    )
    assert counts["sessions"] == 5_000 and counts["residents"] == 5_000
    assert counts["volunteers"] == 200 and counts["bookings"] > 40_000
    shibuya = find_ward("shibuya")
    sessions = db.session.scalar(sa.select(sa.func.count()).where(Session.ward_id == shibuya.id))
    assert sessions >= 5_000
    bookings = db.session.scalar(sa.select(sa.func.count()).select_from(Booking))
    assert bookings >= counts["bookings"]
    last_year = Scope(clock.fiscal_year(clock.today()) - 1, ward_ids=(shibuya.id,))
    assert metrics.consultations_held(last_year, clock.now()).value() > 100
    assert metrics.participants(last_year).value() > 1_000
    again = runner.invoke(args=["demo", "--scale", "ward"])
    assert again.exit_code == 1 and "already holds ward-scale data" in again.output
