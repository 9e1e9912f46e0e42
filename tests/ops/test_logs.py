"""Logs carry each request's id, come as JSON when asked, and never hold personal data."""

import json
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.extensions import db
from inclusion.reminders import dispatch, planning
from inclusion.reminders.models import Reminder
from inclusion.residents.models import Resident
from tests import factories
from tests.conftest import log_in
from tests.residents.test_views import NEW_RESIDENT


def test_each_request_has_an_id_in_its_response_and_its_logs(client, log_lines, users):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-1234abcd"})
    assert response.headers["X-Request-ID"] == "lb-1234abcd"
    made_up = client.get("/healthz", headers={"X-Request-ID": "bad id; injected"})
    assert len(made_up.headers["X-Request-ID"]) == 32  # ours instead
    log_in(client, users["admin"])
    client.post(
        "/admin/api-keys",
        data={"name": "ログ確認", "scopes": ["metrics:read"], "ward": "0"},
        headers={"X-Request-ID": "trace-5678efgh"},
    )
    assert any("[trace-5678efgh]" in line and "api key" in line for line in log_lines())


class TestJson:
    @pytest.fixture
    def app_config(self):
        return {"LOG_FORMAT": "json"}

    def test_json_lines_with_the_request_id(self, client, log_lines, users):
        log_in(client, users["admin"])
        client.post(
            "/admin/api-keys",
            data={"name": "JSON", "scopes": ["metrics:read"], "ward": "0"},
            headers={"X-Request-ID": "req-00000001"},
        )
        records = [json.loads(line) for line in log_lines() if line.startswith("{")]
        created = [record for record in records if "api key" in record["message"]]
        assert created and created[0]["request_id"] == "req-00000001"
        assert {"time", "level", "logger", "message"} <= created[0].keys()


def test_a_residents_name_and_number_never_reach_the_logs(client, users, shibuya, log_lines):
    session = factories.make_session(
        factories.make_venue(shibuya),
        starts_dt=clock.to_utc(clock.today() + timedelta(days=2), time(10)),  # fmt: skip
    )
    db.session.commit()
    log_in(client, users["ward_staff"])
    person = {**NEW_RESIDENT, "family_name": "記録禁止", "given_name": "花子",
              "phone_1": "090-5555-1234", "reminder_channel": "sms"}  # fmt: skip
    assert client.post("/manage/shibuya/residents/new", data=person).status_code == 302
    resident = db.session.scalar(sa.select(Resident).where(Resident.family_name == "記録禁止"))
    booked = client.post(
        f"/manage/shibuya/sessions/{session.id}/book",
        data={"resident": resident.id, "source": "phone", "place": 0},
    )
    assert booked.status_code == 302
    planning.plan(clock.now())
    db.session.commit()
    due = db.session.scalar(sa.select(sa.func.min(Reminder.due_dt)))
    dispatch.dispatch_once(due + timedelta(minutes=1))
    client.get(f"/manage/shibuya/residents/{resident.id}")
    text = "\n".join(log_lines())
    assert "console sms to +81******1234" in text  # the send was logged, the number masked
    for personal in ("記録禁止", "花子", "5555", "905555", "+819055551234"):
        assert personal not in text, personal
