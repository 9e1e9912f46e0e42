"""A resident's consent through the API: read with residents:read (audit-logged), changed
with residents:write, with the same immediate effect as the staff page."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from inclusion import clock
from inclusion.api.models import ApiScope
from inclusion.audit.models import AuditLog
from inclusion.extensions import db
from inclusion.reminders.models import Recipient, Reminder, ReminderStatus
from inclusion.residents.models import Resident
from tests import factories
from tests.api.test_sessions import at, day_ahead


def test_stopping_a_contact_s_reminders_drops_what_waits_to_go(client, make_key, shibuya):
    resident = factories.make_resident(shibuya, proxy_name="山田一郎",
                                       proxy_phone_e164="+819055551111")  # fmt: skip
    session = factories.make_session(factories.make_venue(shibuya), starts_dt=at(day_ahead(4), 10))
    booking = factories.make_booking(session, resident)
    to_resident = factories.make_reminder(booking, ReminderStatus.PENDING,
                                          due_dt=clock.now() + timedelta(days=2))  # fmt: skip
    to_proxy = factories.make_reminder(booking, ReminderStatus.PENDING, recipient=Recipient.PROXY,
                                       to_e164="+819055551111",
                                       due_dt=clock.now() + timedelta(days=2))  # fmt: skip
    db.session.commit()
    writer = make_key(ApiScope.RESIDENTS_WRITE, ward=shibuya)
    path = f"/api/v1/residents/{resident.id}/consent/reminders"
    choice = {"contact": "proxy", "gets_reminders": False, "reason": "ご家族から電話で停止の希望"}
    stopped = client.post(path, json=choice, headers=writer)
    assert stopped.status_code == 200, stopped.json
    # A write key learns which record, and nothing of the person in it.
    assert stopped.json == {"resident_id": resident.id}
    db.session.expire_all()
    statuses = dict(db.session.execute(sa.select(Reminder.id, Reminder.status)).all())
    assert statuses[to_proxy.id] != ReminderStatus.PENDING
    assert statuses[to_resident.id] == ReminderStatus.PENDING
    entry = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "resident.opt_out")
    ).one()
    assert entry.details["contact"] == "proxy" and "電話" in entry.details["reason"]

    reader = make_key(ApiScope.RESIDENTS_READ, ward=shibuya)
    state = client.get(f"/api/v1/residents/{resident.id}/consent", headers=reader).json
    assert [(c["contact"], c["gets_reminders"], c["stopped_by"]) for c in state["contacts"]] == [
        ("resident", True, None),
        ("proxy", False, "staff"),
    ]
    assert state["renewal_due"] is True and state["records"] == []
    read = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "resident.view")).one()
    assert read.target_id == resident.id and "consent" in read.details["via"]

    restarted = client.post(path, json={"contact": "proxy", "gets_reminders": True,
                                        "reason": "再開の希望"}, headers=writer)  # fmt: skip
    assert restarted.status_code == 200
    assert db.session.get(Resident, resident.id).proxy_opted_out_dt is None


def test_this_year_s_consent_is_recorded_and_renewal_no_longer_due(client, make_key, shibuya):
    resident = factories.make_resident(shibuya)
    db.session.commit()
    both = make_key(ApiScope.RESIDENTS_READ, ApiScope.RESIDENTS_WRITE, ward=shibuya)
    given = client.post(f"/api/v1/residents/{resident.id}/consents", headers=both, json={
        "scopes": ["record", "reminders"], "method": "phone", "given_on": clock.today().isoformat()
    })  # fmt: skip
    assert given.status_code == 201, given.json
    assert given.json["renewal_due"] is False
    assert given.json["records"][0]["scopes"] == ["record", "reminders"]
    without_record = client.post(f"/api/v1/residents/{resident.id}/consents", headers=both, json={
        "scopes": ["reminders"], "method": "phone", "given_on": clock.today().isoformat()
    })  # fmt: skip
    assert without_record.status_code == 422 and without_record.json["field"] == "scopes"
    future = client.post(f"/api/v1/residents/{resident.id}/consents", headers=both, json={
        "scopes": ["record"], "method": "paper",
        "given_on": (clock.today() + timedelta(days=3)).isoformat(),
    })  # fmt: skip
    assert future.status_code == 422 and future.json["field"] == "given_on"


def test_consent_needs_the_resident_scopes_and_the_ward(client, make_key, shibuya, shinagawa):
    resident = factories.make_resident(shibuya)
    db.session.commit()
    path = f"/api/v1/residents/{resident.id}/consent"
    assert client.get(path, headers=make_key(ApiScope.RESIDENTS_WRITE)).status_code == 403
    assert client.get(path, headers=make_key(ApiScope.RESIDENTS_READ, ward=shinagawa)
                      ).status_code == 404  # fmt: skip
    refused = client.post(f"{path}/reminders", json={"gets_reminders": False, "reason": "x"},
                          headers=make_key(ApiScope.RESIDENTS_READ))  # fmt: skip
    assert refused.status_code == 403
    no_reason = client.post(f"{path}/reminders", json={"gets_reminders": False},
                            headers=make_key(ApiScope.RESIDENTS_WRITE))  # fmt: skip
    assert no_reason.status_code == 400
    no_proxy = client.post(f"{path}/reminders", json={"contact": "proxy", "gets_reminders": False,
                                                      "reason": "停止"},
                           headers=make_key(ApiScope.RESIDENTS_WRITE))  # fmt: skip
    assert no_proxy.status_code == 422
    assert db.session.get(Resident, resident.id).opted_out_dt is None
