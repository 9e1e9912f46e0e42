"""The rest of the programme through the API: loans and devices (loans:read), the call
centre's calls (calls:read), staff training dates and where the surveys stand. Residents
are named by id only; a caller's number, a note and a SIM's number never leave."""

from __future__ import annotations

from datetime import timedelta

from inclusion import clock
from inclusion.api.models import ApiScope
from inclusion.calls.models import CallOutcome
from inclusion.extensions import db
from inclusion.loans.models import DeviceState
from inclusion.surveys.models import SurveyKind, SurveyOutcome, SurveyVia
from tests import factories


def test_loans_and_devices_of_a_ward(client, make_key, shibuya, shinagawa, count_queries):
    today = clock.today()
    out = factories.make_loan(shibuya, due_on=today + timedelta(days=30))
    late = factories.make_loan(shibuya, due_on=today - timedelta(days=3),
                               starts_on=today - timedelta(days=60))  # fmt: skip
    back = factories.make_loan(shibuya, returned_on=today)
    factories.make_loan(shinagawa)
    late.device.sim_e164 = "+819011112222"
    db.session.commit()
    reader = make_key(ApiScope.LOANS_READ, ward=shibuya)
    listed = client.get("/api/v1/loans", headers=reader)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json["items"]] == [out.id, late.id]
    by_id = {item["id"]: item for item in listed.json["items"]}
    assert by_id[late.id]["overdue"] is True and by_id[out.id]["overdue"] is False
    assert by_id[late.id]["resident_id"] == late.resident_id
    assert by_id[late.id]["device"]["model"] == late.device.model
    text = str(listed.json)
    assert late.resident.family_name not in text and "9011112222" not in text
    overdue = client.get("/api/v1/loans?state=overdue", headers=reader).json["items"]
    assert [item["id"] for item in overdue] == [late.id]
    returned = client.get("/api/v1/loans?state=returned", headers=reader).json["items"]
    assert [item["id"] for item in returned] == [back.id]
    assert len(client.get("/api/v1/loans?state=all", headers=reader).json["items"]) == 3
    assert client.get("/api/v1/loans?state=lost", headers=reader).status_code == 400
    assert client.get("/api/v1/loans?ward=shinagawa", headers=reader).status_code == 403
    assert client.get("/api/v1/loans", headers=make_key(ApiScope.METRICS_READ)).status_code == 403
    devices = client.get("/api/v1/devices", headers=reader).json["items"]
    assert {item["id"] for item in devices} == {out.device_id, late.device_id, back.device_id}
    lent = client.get("/api/v1/devices?state=lent", headers=reader).json["items"]
    assert {item["state"] for item in lent} <= {DeviceState.LENT.value}
    # Pages of one: the cursor walks them all.
    first = client.get("/api/v1/loans?state=all&limit=1", headers=reader).json
    second = client.get(f"/api/v1/loans?state=all&limit=1&cursor={first['next_cursor']}",
                        headers=reader).json  # fmt: skip
    assert first["items"][0]["id"] != second["items"][0]["id"]
    with count_queries() as few:
        client.get("/api/v1/loans?state=all", headers=reader)
    for _ in range(4):
        factories.make_loan(shibuya)
    db.session.commit()
    with count_queries() as many:
        assert len(client.get("/api/v1/loans?state=all", headers=reader).json["items"]) == 7
    assert len(many) == len(few)


def test_the_call_centre_s_calls_without_numbers_or_notes(client, make_key, shibuya, shinagawa):
    caller = factories.make_resident(shibuya)
    note = "娘さんの携帯 090-0000-1111"
    answered = factories.make_call(shibuya, caller, outcome=CallOutcome.ANSWERED,
                                   is_resolved=True, note=note)  # fmt: skip
    passed = factories.make_call(shibuya, None, outcome=CallOutcome.PASSED, is_resolved=False,
                                 caller_e164="+819033334444", note="折り返し希望")  # fmt: skip
    passed.received_dt = answered.received_dt + timedelta(minutes=5)
    factories.make_call(shinagawa)
    db.session.commit()
    reader = make_key(ApiScope.CALLS_READ, ward=shibuya)
    items = client.get("/api/v1/calls", headers=reader).json["items"]
    assert [item["id"] for item in items] == [passed.id, answered.id]
    assert items[0]["waiting"] is True and items[0]["resident_id"] is None
    assert items[1]["resident_id"] == caller.id and items[1]["waiting"] is False
    text = str(items)
    assert "3333" not in text and "1111" not in text and "折り返し" not in text
    waiting = client.get("/api/v1/calls?waiting=true", headers=reader).json["items"]
    assert [item["id"] for item in waiting] == [passed.id]
    every = make_key(ApiScope.CALLS_READ)
    assert len(client.get("/api/v1/calls", headers=every).json["items"]) == 3
    assert client.get("/api/v1/calls", headers=make_key(ApiScope.LOANS_READ)).status_code == 403


def test_staff_training_dates_of_a_ward_and_of_every_ward(client, make_key, shibuya, shinagawa):
    own = factories.make_staff_training(shibuya)
    every = factories.make_staff_training(None, title="全区合同研修")
    factories.make_staff_training(shinagawa)
    held = factories.make_staff_training(shibuya)
    held.starts_dt = clock.now() - timedelta(days=3)
    held.ends_dt = held.starts_dt + timedelta(hours=2)
    factories.make_staff_enrolment(shibuya)  # a place at another training of Shibuya's
    db.session.commit()
    reader = make_key(ApiScope.SESSIONS_READ, ward=shibuya)
    coming = client.get("/api/v1/staff-trainings", headers=reader).json["items"]
    ids = [item["id"] for item in coming]
    assert own.id in ids and every.id in ids and held.id not in ids
    assert all(item["ward"] in ("shibuya", None) for item in coming)
    assert next(item for item in coming if item["id"] == every.id)["ward"] is None
    assert any(item["places_taken"] == 1 for item in coming)
    past = client.get("/api/v1/staff-trainings?when=past", headers=reader).json["items"]
    assert [item["id"] for item in past] == [held.id]


def test_where_the_surveys_stand_and_the_figures_sample(client, make_key, shibuya, shinagawa):
    residents = [factories.make_resident(shibuya) for _ in range(4)]
    for resident in residents:
        factories.make_consent(resident, ("record", "survey"))
    asks = [factories.make_survey_ask(shibuya, resident) for resident in residents]
    asks[0].outcome, asks[0].via, asks[0].resolved = (SurveyOutcome.ANSWERED, SurveyVia.CALL,
                                                      True)  # fmt: skip
    asks[1].outcome, asks[1].via, asks[1].resolved = (SurveyOutcome.ANSWERED, SurveyVia.STAFF,
                                                      False)  # fmt: skip
    asks[2].outcome = SurveyOutcome.DECLINED
    factories.make_survey_ask(shinagawa, kind=SurveyKind.FOLLOW_UP)
    db.session.commit()
    reader = make_key(ApiScope.METRICS_READ, ward=shibuya)
    found = client.get("/api/v1/surveys", headers=reader).json
    assert found["fiscal_year"] == clock.fiscal_year(clock.today())
    [ward] = found["wards"]
    yearly = next(item for item in ward["surveys"] if item["survey"] == "yearly")
    assert (yearly["asked"], yearly["answered"], yearly["declined"], yearly["to_call"]) == (
        4, 2, 1, 1)  # fmt: skip
    assert yearly["response_rate"] == 50 and yearly["answered_by"] == {"call": 1, "staff": 1}
    every = client.get("/api/v1/surveys", headers=make_key(ApiScope.METRICS_READ)).json
    assert len(every["wards"]) == 23
    figures = client.get("/api/v1/metrics", headers=reader).json["figures"]
    divide = next(item for item in figures if item["metric"] == "divide_resolution_rate")
    assert divide["value"] == 50 and divide["residents_asked"] == 4
    assert divide["response_rate"] == 50
    held = next(item for item in figures if item["metric"] == "sessions_held")
    assert held["residents_asked"] is None and held["response_rate"] is None
