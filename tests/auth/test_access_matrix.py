"""Every route × every role: allowed, or refused (403, or the log-in page when anonymous).

A new route joins this test by itself. It must declare who may open it with
``@public`` or ``@require(...)``, and any new URL argument needs a sample below.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import Rule

from inclusion.auth.access import AccessRule
from inclusion.auth.models import Role, User
from inclusion.extensions import db
from inclusion.reminders.models import ReminderStep
from inclusion.wards.models import Ward
from tests import factories
from tests.conftest import log_in

#: The signed-in kinds of user; ward staff work for Shibuya.
PERSONAS = ["anonymous", "admin", "coordinator", "ward_staff", "volunteer", "operator"]

#: Sample values of URL arguments other than <ward>, made fresh for each request in the
#: URL's ward (or Shibuya when the URL has none).
URL_SAMPLES: dict[str, Callable[[Ward], object]] = {
    "user_id": lambda ward: factories.make_volunteer(ward).id,
    "shift_id": lambda ward: (
        factories.make_shift(
            factories.make_session(factories.make_venue(ward)), factories.make_volunteer(ward)
        ).id
    ),
    "venue_id": lambda ward: factories.make_venue(ward).id,
    "volunteer_id": lambda ward: factories.make_volunteer(ward).id,
    "endpoint_id": lambda ward: factories.make_webhook_delivery(ward).endpoint_id,
    "delivery_id": lambda ward: factories.make_webhook_delivery(ward).id,
    "session_id": lambda ward: factories.make_session(factories.make_venue(ward)).id,
    "resident_id": lambda ward: factories.make_resident(ward).id,
    "booking_id": lambda ward: (
        factories.make_booking(
            factories.make_session(factories.make_venue(ward)), factories.make_resident(ward)
        ).id
    ),
    "reminder_id": lambda ward: (
        factories.make_reminder(
            factories.make_booking(
                factories.make_session(factories.make_venue(ward)), factories.make_resident(ward)
            )
        ).id
    ),
    "step_id": lambda ward: db.session.scalar(
        sa.select(ReminderStep.id).where(ReminderStep.ward_id == ward.id).limit(1)
    ),
    "follow_up_id": lambda ward: factories.make_follow_up(factories.make_resident(ward)).id,
    "name": lambda ward: "sms_resident.txt",
    "token": lambda ward: "not-a-live-token",
    "feed": lambda ward: "volunteer",
    "import_id": lambda ward: factories.make_calendar_import(ward).id,
    "target_id": lambda ward: factories.make_target().id,
    "key_id": lambda ward: factories.make_api_key().id,
    "reply_id": lambda ward: factories.make_reply(ward).id,
    "series_id": lambda ward: factories.make_series(ward).id,
    "enrolment_id": lambda ward: factories.make_enrolment(ward).id,
    "request_id": lambda ward: factories.make_cover_request(ward).id,
    "swap_id": lambda ward: factories.make_swap(ward).id,
    "device_id": lambda ward: factories.make_device(ward).id,
    "loan_id": lambda ward: factories.make_loan(ward).id,
    "call_id": lambda ward: factories.make_call(ward).id,
    "training_id": lambda ward: factories.make_staff_training(ward).id,
    "place_id": lambda ward: factories.make_staff_enrolment(ward).id,
    "ask_id": lambda ward: factories.make_survey_ask(ward).id,
    "answer": lambda ward: "agree",
    "decision": lambda ward: "approve",
    "step": lambda ward: 0,
    "number": lambda ward: 1,
    "account": lambda ward: "shared",
}
#: URL arguments that name the same thing in every ward, not one ward's record.
SHARED_ARGUMENTS = {"ward", "name", "answer", "decision", "step", "account", "number"}

#: Form data for POST routes so an allowed request does real work.
POST_DATA = {
    "auth.set_active": {"active": "1"},
    "main.set_language": {"lang": "en"},
    "volunteers.claim": {"role": "assistant"},
}


def routes(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def access_of(app: Flask, rule: Rule) -> AccessRule:
    view = app.view_functions[rule.endpoint]
    access = getattr(view, "access", None)
    assert isinstance(access, AccessRule), (
        f"{rule.endpoint} ({rule.rule}) declares no access: decorate it with @public or @require"
    )
    return access


def expected_allowed(access: AccessRule, user: User | None, ward: Ward | None) -> bool:
    if access.signed or access.api_scope:  # refused without a signature or key, cookie or not
        return False
    if access.is_public:
        return True
    if user is None or user.role not in access.roles:
        return False
    return ward is None or user.can_access_ward(ward)


def test_every_route_declares_its_access(app):
    for rule in routes(app):
        access = access_of(app, rule)
        if "ward" in rule.arguments and not access.is_public and not access.signed:
            assert access.ward_scoped, f"{rule.endpoint} takes <ward> but is not ward-scoped"


@pytest.mark.parametrize("persona", PERSONAS)
def test_access_matrix(app, users, shibuya, shinagawa, persona, scheduler_running):
    user = None if persona == "anonymous" else users[persona]
    failures = []
    checked = 0
    for rule in routes(app):
        access = access_of(app, rule)
        wards = [shibuya, shinagawa] if "ward" in rule.arguments else [None]
        for ward in wards:
            for method in sorted(rule.methods & {"GET", "POST"}):
                values: dict[str, object] = {}
                for argument in rule.arguments:
                    if argument == "ward":
                        values[argument] = ward.slug
                    else:
                        assert argument in URL_SAMPLES, (
                            f"add a sample for <{argument}> of {rule.rule}"
                        )
                        values[argument] = URL_SAMPLES[argument](ward or shibuya)
                path = rule.build(values)[1]
                client = app.test_client()
                if user is not None:
                    assert log_in(client, user).status_code == 302
                if method == "GET":
                    response = client.get(path)
                else:
                    response = client.post(path, data=POST_DATA.get(rule.endpoint, {}))
                status = response.status_code
                to_login = status == 302 and response.headers["Location"].startswith("/login")
                allowed = expected_allowed(access, user, ward)
                checked += 1
                if status >= 500:
                    failures.append(f"{method} {path}: {status}")
                elif allowed and (status in (401, 403) or to_login):
                    failures.append(f"{method} {path}: refused ({status}) but should be allowed")
                elif access.signed and status != 403:
                    failures.append(f"{method} {path}: {status}, expected 403 without a signature")
                elif access.api_scope:
                    if status != 401:
                        failures.append(f"{method} {path}: {status}, expected 401 without a key")
                elif not allowed and user is None and not to_login and access.roles:
                    failures.append(f"{method} {path}: {status}, expected the log-in page")
                elif not allowed and user is not None and status != 403:
                    failures.append(f"{method} {path}: {status}, expected 403")
    assert checked > 10
    assert not failures, "\n".join(failures)


def ward_routes(app: Flask) -> list[Rule]:
    """Pages of one ward; API routes answer keys, not log-ins, and are tried with a key of
    another ward in ``tests/security/test_probe.py``; a ward's phone line answers Twilio's
    signature, not a log-in (``tests/phoneline``)."""
    return [
        rule
        for rule in routes(app)
        if "ward" in rule.arguments
        and not access_of(app, rule).is_public
        and not access_of(app, rule).api_scope
        and not access_of(app, rule).signed
    ]


def test_ward_staff_reach_nothing_of_another_ward(app, users, shinagawa):
    """The promise in plain words: every ward-scoped page of Shinagawa refuses Shibuya staff."""
    client = app.test_client()
    log_in(client, users["ward_staff"])
    assert ward_routes(app)
    for rule in ward_routes(app):
        values = {
            arg: shinagawa.slug if arg == "ward" else URL_SAMPLES[arg](shinagawa)
            for arg in rule.arguments
        }
        path = rule.build(values)[1]
        assert client.get(path).status_code in (403, 405), path
        if "POST" in rule.methods:
            assert client.post(path).status_code == 403, path
        # By official code too.
        values["ward"] = shinagawa.code
        assert client.get(rule.build(values)[1]).status_code in (403, 405)


def test_another_wards_record_under_ones_own_ward_is_404(app, users, shinagawa):
    """Shibuya's URL with Shinagawa's venue or session id finds nothing, whoever asks."""
    clients = {}
    for persona in ("ward_staff", "coordinator"):
        clients[persona] = app.test_client()
        log_in(clients[persona], users[persona])
    for rule in ward_routes(app):
        if set(rule.arguments) <= SHARED_ARGUMENTS:
            continue
        roles = access_of(app, rule).roles
        client = clients["ward_staff" if Role.WARD_STAFF in roles else "coordinator"]
        values = {
            arg: "shibuya" if arg == "ward" else URL_SAMPLES[arg](shinagawa)
            for arg in rule.arguments
        }
        path = rule.build(values)[1]
        method = client.get if "GET" in rule.methods else client.post
        assert method(path).status_code == 404, path


def test_unknown_ward_is_404(client, users):
    log_in(client, users["admin"])
    assert client.get("/manage/atlantis").status_code == 404
    assert client.get("/manage/%E6%B8%8B%E8%B0%B7").status_code == 404
