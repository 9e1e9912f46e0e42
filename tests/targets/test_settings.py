"""Coordinators set targets and share them out; staff enter survey figures."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from inclusion.audit.models import AuditLog
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.targets import services
from inclusion.targets.models import Metric, SurveyFigure, Target
from tests.conftest import log_in


def targets(**where) -> list[Target]:
    return db.session.scalars(sa.select(Target).filter_by(**where)).all()


def test_a_coordinator_sets_an_all_ward_target_and_shares_it_out(client, users, shibuya):
    log_in(client, users["coordinator"])
    response = client.post(
        "/targets/settings?year=2026",
        data={"metric": "consultations_held", "ward": "0", "first_year": "2026",
              "last_year": "2026", "value": "1,000"},
    )  # fmt: skip
    assert response.status_code == 302
    [target] = targets(ward_id=None)
    assert target.value == 1000 and target.metric == Metric.CONSULTATIONS_HELD
    client.post(f"/targets/{target.id}/split")
    shares = targets(metric=Metric.CONSULTATIONS_HELD)
    shares = [share for share in shares if share.ward_id is not None]
    assert len(shares) == 23 and sum(share.value for share in shares) == 1000
    assert {share.value for share in shares} == {Decimal(43), Decimal(44)}  # 1000 = 23×43 + 11
    page = client.get("/targets/settings?year=2026").get_data(as_text=True)
    assert "区への割り振りの合計: 1,000<" in page  # a count: no ".0"
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "target.set"))


def test_a_bad_target_is_shown_again_with_the_reason(client, users):
    log_in(client, users["coordinator"])
    response = client.post(
        "/targets/settings?year=2026",
        data={"metric": "online_procedure_share", "ward": "0", "first_year": "2026",
              "last_year": "2026", "value": "150"},
    )  # fmt: skip
    assert response.status_code == 422 and "割合の目標は100まで" in response.get_data(as_text=True)
    bad_metric = client.post("/targets/settings", data={"metric": "everything", "ward": "0",
                             "first_year": "2026", "last_year": "2026", "value": "1"})  # fmt: skip
    assert bad_metric.status_code == 422 and targets() == []


def test_ward_staff_cannot_set_targets(client, users):
    log_in(client, users["ward_staff"])
    assert client.get("/targets/settings").status_code == 403


def test_staff_enter_and_correct_a_survey_figure(client, users, shibuya):
    log_in(client, users["ward_staff"])
    url = "/manage/shibuya/targets/survey?year=2026"
    form = {"metric": "online_completion_rate", "month": "2026-07", "value": "88.5",
            "respondents": "40"}  # fmt: skip
    assert client.post(url, data=form).status_code == 302
    assert client.post(url, data={**form, "value": "91"}).status_code == 302
    [figure] = db.session.scalars(sa.select(SurveyFigure)).all()
    assert figure.value == 91 and figure.respondents == 40 and figure.ward_id == shibuya.id
    page = client.get(url).get_data(as_text=True)
    assert "2026-07" in page and "91.00 %" in page
    for bad, message in (({"month": "2026-13"}, "2026-07 のように"),
                         ({"month": "July"}, "2026-07 のように"),
                         ({"value": "120"}, "0から100の間"),
                         ({"respondents": "-3"}, "0以上")):  # fmt: skip
        response = client.post(url, data={**form, **bad})
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert client.post("/manage/shinagawa/targets/survey", data=form).status_code == 403


def test_the_survey_month_rule_holds_outside_the_form_too(users, shibuya):
    with pytest.raises(RuleViolation) as refused:
        services.enter_survey(users["ward_staff"], shibuya, Metric.ONLINE_COMPLETION_RATE,
                              date(1999, 7, 1), "90", 10)  # fmt: skip
    assert "2026-07 のように" in str(refused.value)
    assert db.session.scalars(sa.select(SurveyFigure)).all() == []
