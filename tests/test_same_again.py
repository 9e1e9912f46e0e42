"""Entering what is already stored changes nothing and claims no change in the audit log."""

from datetime import date

import sqlalchemy as sa

from inclusion.audit.models import AuditLog
from inclusion.auth import services as auth_services
from inclusion.auth.models import LoginSession
from inclusion.extensions import db
from inclusion.targets import services as target_services
from inclusion.targets.models import Metric
from tests import factories


def actions(name: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == name)
    )


def test_the_same_target_again(shibuya, users):
    coordinator = users["coordinator"]
    for _ in range(2):
        target_services.set_target(coordinator, Metric.CONSULTATIONS_HELD, shibuya, 2026, 2026,
                                   "1,000")  # fmt: skip
    assert actions("target.set") == 1
    target_services.set_target(coordinator, Metric.CONSULTATIONS_HELD, shibuya, 2026, 2026, "900")
    assert actions("target.set") == 2


def test_the_same_survey_figure_again(shibuya, users):
    first, second = users["ward_staff"], factories.make_user(ward=shibuya)
    metric = next(metric for metric in Metric if metric.is_survey)
    figure = target_services.enter_survey(first, shibuya, metric, date(2026, 7, 1), "85%", 40)
    entered = figure.entered_dt
    target_services.enter_survey(second, shibuya, metric, date(2026, 7, 1), "85", 40)
    assert actions("survey.enter") == 1
    assert figure.entered_by_id == first.id and figure.entered_dt == entered


def test_activating_an_active_account_again(users):
    user = users["volunteer"]
    held = auth_services.start_login(user).login_session
    auth_services.set_user_active(users["admin"], user, True)
    assert actions("user.activate") == 0
    assert db.session.get(LoginSession, held) is not None  # their log-in goes on


def test_line_breaks_from_the_api_are_stored_as_the_pages_store_them(client, shibuya, users):
    from inclusion.api.models import ApiScope
    from inclusion.api.services import create_key

    resident = factories.make_resident(shibuya, kana="ヤマダ")
    _key, secret = create_key(users["admin"], "line breaks", list(ApiScope), shibuya)
    db.session.commit()
    key = {"Authorization": f"Bearer {secret}"}
    path = f"/api/v1/residents/{resident.id}"
    etag = client.get(path, headers=key).headers["ETag"]
    answer = client.patch(
        path, json={"needs": "補聴器\r\n大きな字"}, headers=key | {"If-Match": etag}
    )
    assert answer.status_code == 200, answer.json
    assert resident.needs == "補聴器\n大きな字"
