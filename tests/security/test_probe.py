"""The outside probe, kept: every route, as every kind of caller, with hostile records and
hostile input. It fails on an error (500), on a resident's personal data reaching someone
who may not read it or going out without an audit entry, on a CSV cell that a spreadsheet
would run as a formula, and on a line break that escapes into a header or a calendar
property.

Routes come from the app's route table, so a new route is probed without being listed;
a new URL argument or API body needs a sample below.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from openpyxl import load_workbook
from werkzeug.routing import Rule

from inclusion import clock
from inclusion.api.models import ApiScope
from inclusion.api.openapi import operations, spec
from inclusion.api.services import create_key
from inclusion.audit.models import READ_ACTIONS, AuditLog
from inclusion.auth.models import Role, User
from inclusion.extensions import db
from inclusion.phones import display_phone
from inclusion.reminders.models import ReminderStatus, ReminderStep
from inclusion.residents.models import BookingStatus
from inclusion.volunteers.models import ShiftRole
from inclusion.wards.models import Ward
from tests import factories
from tests.auth.test_access_matrix import routes
from tests.conftest import log_in

#: Text a spreadsheet would run, and line breaks that would start a new header or property:
#: stored as they are (as an old import or a direct write could), so output must cope.
FORMULA = '=HYPERLINK("http://evil.example","x")'
INJECTED = "\r\nX-INJECTED:yes"
#: What a cell may not start with unless written as text (after a leading apostrophe).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: What query arguments the pages and the API read get, one hostile value at a time.
HOSTILE_VALUES = [
    "\r\nSet-Cookie: probe=1", "<script>alert('probe')</script>", "' OR 1=1 --", "\x00",
    "9" * 40, "-1", "2026-02-30", "../../../etc/passwd", "ｘ" * 500, FORMULA, "%ff%fe",
]  # fmt: skip
QUERY_NAMES = ["q", "next", "before", "after", "from", "to", "year", "view", "show", "role",
               "date", "resident", "series", "ward", "venue", "kind", "topic", "status",
               "cursor", "limit", "phone", "lang", "fiscal_year", "month", "week"]  # fmt: skip
#: Personal fields of a resident, as the API names them.
#: Listed here, not read from the schemas, so a schema that forgets the rule is caught.
PERSONAL_FIELDS = {
    "family_name", "given_name", "family_kana", "given_kana", "birth_year", "age_band",
    "phones", "e164", "needs", "proxy_name", "proxy_relation", "proxy_phone",
    "proxy_gets_reminders", "call_from", "call_until", "reminder_channel", "opted_out",
    "body", "told", "contacts", "records", "gets_reminders", "renewal_due",
}  # fmt: skip
#: A volunteer's fields that only a key with volunteers:read may get.
VOLUNTEER_FIELDS = {"display_name", "name_kana", "skills", "languages", "training",
                    "minutes_this_year"}  # fmt: skip


@dataclass
class WardRecords:
    """One ward's records, each carrying marks that show where they leak."""

    ward: Ward
    markers: tuple[str, ...]
    values: dict[str, int] = field(default_factory=dict)


def records_of(ward: Ward, mark: str, kana: str, number: str) -> WardRecords:
    venue = factories.make_venue(ward, name=f"+会館{INJECTED}")
    session = factories.make_session(venue, title=f"{FORMULA} 教室{INJECTED}")
    past = factories.make_session(
        venue, starts_dt=clock.now() - timedelta(days=2), title=f"-2+3 過去{INJECTED}"
    )
    resident = factories.make_resident(
        ward, kana=f"ヒミツ{kana}", family_name=f"秘密{mark}", given_name=FORMULA,
        phones=(number,), needs=f"聴こえ{mark}", proxy_name=f"代理{mark}",
    )  # fmt: skip
    booking = factories.make_booking(session, resident)
    factories.make_booking(past, resident, status=BookingStatus.ATTENDED)
    reminder = factories.make_reminder(booking, status=ReminderStatus.FAILED,
                                       last_error=f"{FORMULA}{INJECTED}")  # fmt: skip
    volunteer = factories.make_volunteer(ward)
    volunteer.display_name = f"@SUM(1){INJECTED}"
    shift = factories.make_shift(session, volunteer, role=ShiftRole.ASSISTANT)
    factories.make_shift(past, volunteer, role=ShiftRole.LEAD)
    enrolment = factories.make_enrolment(ward)
    reply = factories.make_reply(ward, resident_ids=[resident.id], from_e164=number)
    loan = factories.make_loan(ward, resident)
    records = WardRecords(
        ward,
        markers=(f"秘密{mark}", f"聴こえ{mark}", f"代理{mark}", number, display_phone(number)),
        values={
            "venue_id": venue.id, "session_id": session.id, "resident_id": resident.id,
            "booking_id": booking.id, "reminder_id": reminder.id, "user_id": volunteer.id,
            "volunteer_id": volunteer.id,
            "shift_id": shift.id, "enrolment_id": enrolment.id,
            "series_id": enrolment.series_id, "reply_id": reply.id,
            "follow_up_id": factories.make_follow_up(resident).id,
            "request_id": factories.make_cover_request(ward).id,
            "swap_id": factories.make_swap(ward).id,
            "device_id": loan.device_id,
            "loan_id": loan.id,
            "call_id": factories.make_call(ward, resident).id,
            "training_id": factories.make_staff_training(ward).id,
            "place_id": factories.make_staff_enrolment(ward).id,
            "ask_id": factories.make_survey_ask(ward, resident).id,
            "import_id": factories.make_calendar_import(ward).id,
            "step_id": db.session.scalar(
                sa.select(ReminderStep.id).where(ReminderStep.ward_id == ward.id).limit(1)
            ),
        },
    )  # fmt: skip
    return records


@dataclass
class Caller:
    name: str
    user: User | None = None
    scopes: tuple[ApiScope, ...] = ()
    key_ward: Ward | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def may_read_all(self) -> bool:
        return ApiScope.RESIDENTS_READ in self.scopes

    def may_read_residents_of(self, ward: Ward) -> bool:
        if self.headers:
            return ApiScope.RESIDENTS_READ in self.scopes and (
                self.key_ward is None or self.key_ward.id == ward.id
            )
        if self.user is None:
            return False
        return self.user.role in (Role.ADMIN, Role.WARD_STAFF) and self.user.can_access_ward(ward)


@pytest.fixture
def world(app, users, shibuya, shinagawa):
    wards = [records_of(shibuya, "渋谷", "シブヤ", "+81355551234"),
             records_of(shinagawa, "品川", "シナガワ", "+81355555678")]  # fmt: skip
    for name, secret_scopes, key_ward in [
        ("every scope", list(ApiScope), None),
        *((f"only {scope.value}", [scope], shibuya) for scope in ApiScope),
        ("all but residents:read",
         [scope for scope in ApiScope if scope != ApiScope.RESIDENTS_READ], None),
        ("shinagawa's reader", list(ApiScope), shinagawa),
    ]:  # fmt: skip
        key, secret = create_key(users["admin"], f"probe {name}", secret_scopes, key_ward)
        wards[0].values.setdefault("keys", []).append(
            Caller(
                name,
                key.user,
                tuple(secret_scopes),
                key_ward,
                {"Authorization": f"Bearer {secret}"},
            )  # fmt: skip
        )
    wards[0].values["target_id"] = factories.make_target().id
    wards[0].values["key_id"] = factories.make_api_key().id
    sent = factories.make_webhook_delivery(shibuya)
    wards[0].values["endpoint_id"], wards[0].values["delivery_id"] = sent.endpoint_id, sent.id
    db.session.commit()
    return wards


#: Values of URL arguments that are not a ward's record.
SHARED_VALUES = {"name": "sms_resident.txt", "token": "not-a-live-token", "feed": "volunteer",
                 "answer": "agree", "decision": "approve", "step": 0,
                 "account": "shared"}  # fmt: skip


def path_of(rule: Rule, records: WardRecords, shared: WardRecords) -> str:
    values = {}
    for argument in rule.arguments:
        if argument == "ward":
            values[argument] = records.ward.slug
        elif argument in SHARED_VALUES:
            values[argument] = SHARED_VALUES[argument]
        elif argument in records.values:
            values[argument] = records.values[argument]
        else:
            assert argument in shared.values, f"add a sample for <{argument}> of {rule.rule}"
            values[argument] = shared.values[argument]
    return rule.build(values)[1]


def audit_high_water() -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditLog.id), 0)))


def reads_logged_since(mark: int, actor: User, ward: Ward) -> bool:
    """Whether ``actor``'s look at residents of ``ward`` since ``mark`` is in the audit
    log, naming whose records (or, for an export, the ward's list as a whole)."""
    entries = db.session.scalars(
        sa.select(AuditLog).where(
            AuditLog.id > mark, AuditLog.actor_id == actor.id, AuditLog.ward_id == ward.id,
            AuditLog.action.in_(READ_ACTIONS),
        )
    )  # fmt: skip
    return any(
        entry.target_type == "residents"
        or entry.details.get("residents")
        or entry.action == "resident.export"
        for entry in entries
    )


#: A spreadsheet's media type: its cells are read as a person opening it would.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def readable(response) -> str:
    """The body as a person reads it: JSON's \\uXXXX escapes written out as characters, a
    spreadsheet's cells one per line."""
    if response.mimetype == XLSX:
        book = load_workbook(io.BytesIO(response.data))
        return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)  # fmt: skip
    body = response.get_data(as_text=True)
    if response.is_json and body:
        return json.dumps(json.loads(body), ensure_ascii=False)
    return body


def problems_in(response, caller: Caller, world: list[WardRecords], mark: int) -> list[str]:
    """What is wrong with one answer: the checks every request gets."""
    found = []
    if response.status_code >= 500:
        found.append(f"answered {response.status_code}")
    for name, value in response.headers.items():
        if "\r" in value or "\n" in value:
            found.append(f"a line break in the {name} header")
    location = response.headers.get("Location", "")
    if location and not (location.startswith("/") and not location.startswith("//")):
        if not location.startswith("http://localhost/"):
            found.append(f"redirects away: {location[:80]}")
    body = readable(response)
    if response.mimetype == "text/html" and "<script>alert('probe')" in body:
        found.append("echoes a script unescaped")
    for records in world:
        if not any(marker in body for marker in records.markers):
            continue
        if not caller.may_read_residents_of(records.ward):
            found.append(f"shows a resident of {records.ward.slug} to {caller.name}")
        elif caller.user is not None and not reads_logged_since(mark, caller.user, records.ward):
            found.append(f"shows a resident of {records.ward.slug} with no audit entry")
    kind = response.mimetype
    if kind == XLSX:
        for cell in body.split("\n"):
            if cell.startswith(FORMULA_START):
                found.append(f"a spreadsheet cell that would run: {cell[:40]!r}")
    if kind == "text/csv":
        for row in csv.reader(io.StringIO(body)):
            for cell in row:
                if cell.startswith(FORMULA_START):
                    found.append(f"a CSV cell a spreadsheet would run: {cell[:40]!r}")
    if kind == "text/calendar":
        unfolded = re.sub(r"\r\n[ \t]", "", body)
        for line in unfolded.split("\r\n"):
            if line.startswith("X-INJECTED") or re.search(r"[\x00-\x08\x0a-\x1f\x7f]", line):
                found.append(f"a calendar line broken open: {line[:60]!r}")
    if (
        kind == "application/json"
        and caller.headers
        and not caller.may_read_all()
        and (
            not response.request.path.endswith("/openapi.json")  # describes fields, holds none
        )
    ):
        leaked = personal_keys(json.loads(body or "null"))
        if leaked:
            found.append(f"personal fields {sorted(leaked)} to a key without residents:read")
    if (
        kind == "application/json"
        and caller.headers
        and ApiScope.VOLUNTEERS_READ not in caller.scopes
        and not response.request.path.endswith("/openapi.json")
    ):
        leaked = personal_keys(json.loads(body or "null"), VOLUNTEER_FIELDS)
        if leaked:
            found.append(f"a volunteer's {sorted(leaked)} to a key without volunteers:read")
    return found


def personal_keys(data, names: set[str] = PERSONAL_FIELDS) -> set[str]:
    if isinstance(data, dict):
        keys = {name for name in data if name in names}
        return keys.union(*(personal_keys(value, names) for value in data.values()))
    if isinstance(data, list):
        return set().union(*(personal_keys(item, names) for item in data))
    return set()


def page_callers(users, world) -> list[Caller]:
    return [Caller("anonymous"), *(Caller(name, users[name]) for name in
            ("admin", "coordinator", "ward_staff", "other_ward_staff", "volunteer"))]  # fmt: skip


def walk(
    app: Flask, caller: Caller, world: list[WardRecords], requests, seen: Counter | None = None
) -> list[str]:
    """Send each (method, path, options) as ``caller``; every problem found, by request.

    ``seen`` counts what the answers held (personal data, CSV, calendars), so a test can
    tell that the probe reached what it checks."""
    client = app.test_client()
    if caller.user is not None and not caller.headers:
        assert log_in(client, caller.user).status_code == 302
    failures = []
    seen = Counter() if seen is None else seen
    for method, path, options in requests:
        mark = audit_high_water()
        headers = {**caller.headers, **options.pop("headers", {})}
        response = client.open(path, method=method, headers=headers, **options)
        failures += [f"{method} {path[:120]} as {caller.name}: {problem}"
                     for problem in problems_in(response, caller, world, mark)]  # fmt: skip
        body = readable(response)
        seen[response.mimetype] += 1
        seen["personal"] += any(marker in body for one in world for marker in one.markers)
    return failures


#: Query arguments an API read needs to find anything.
API_QUERIES: dict[str, Callable[[WardRecords], dict]] = {
    "api_residents.find_residents": lambda records: {
        "phone": records.markers[3], "ward": records.ward.slug
    },
}  # fmt: skip


def get_requests(app: Flask, world: list[WardRecords]):
    for rule in routes(app):
        if "GET" not in rule.methods:
            continue
        for records in world if rule.arguments - {"name", "token", "feed"} else world[:1]:
            query = API_QUERIES.get(rule.endpoint, lambda records: {})(records)
            yield "GET", path_of(rule, records, world[0]), {"query_string": query}


@pytest.mark.parametrize("persona", ["anonymous", "admin", "coordinator", "ward_staff",
                                     "other_ward_staff", "volunteer"])  # fmt: skip
def test_every_page_as_every_caller(app, users, world, persona, scheduler_running):
    caller = next(one for one in page_callers(users, world) if one.name == persona)
    seen: Counter = Counter()
    failures = walk(app, caller, world, list(get_requests(app, world)), seen)
    assert not failures, "\n".join(failures[:30])
    if persona in ("admin", "ward_staff"):  # the probe reached what it checks
        assert seen["personal"] >= 8 and seen["text/csv"] >= 2, seen
    if persona == "volunteer":
        assert seen["text/calendar"] >= 1, seen


def test_every_api_read_as_every_key(app, world, scheduler_running):
    requests = [request for request in get_requests(app, world) if "/api/" in request[1]]
    failures = []
    seen: Counter = Counter()
    for caller in world[0].values["keys"]:
        failures += walk(app, caller, world, requests, seen)
    assert not failures, "\n".join(failures[:30])
    assert seen["personal"] >= 3, seen


@pytest.mark.parametrize("persona", ["admin", "ward_staff"])
def test_hostile_query_arguments_on_every_page(app, users, world, persona, scheduler_running):
    """Every argument any page reads, set to each hostile value at once, on every page."""
    requests = [
        (method, path, {"query_string": {name: value for name in QUERY_NAMES}})
        for method, path, _ in get_requests(app, world[:1])
        for value in HOSTILE_VALUES
    ]
    failures = walk(app, Caller(persona, users[persona]), world, requests)
    assert not failures, "\n".join(failures[:30])


#: Form data that lets a page's POST do its real work (others are posted empty).
FORMS: dict[str, dict[str, str]] = {
    "residents.export": {"reason": "監査の確認"},
    "main.set_language": {"lang": "en"},
    "volunteers.claim": {"role": "assistant"},
}
#: POSTs that would end the probe's own log-in.
LEAVES = {"auth.logout"}


@pytest.mark.parametrize("persona", ["anonymous", "admin", "coordinator", "ward_staff",
                                     "other_ward_staff", "volunteer"])  # fmt: skip
def test_every_form_posted_as_every_caller(app, users, world, persona, scheduler_running):
    caller = next(one for one in page_callers(users, world) if one.name == persona)
    requests = [
        ("POST", path_of(rule, records, world[0]), {"data": FORMS.get(rule.endpoint, {})})
        for rule in routes(app)
        if "POST" in rule.methods and rule.endpoint not in LEAVES
        and not rule.rule.startswith(("/api/", "/twilio/"))  # keys and signatures: below, and
        for records in world                                  # in the webhook tests
    ]  # fmt: skip
    failures = walk(app, caller, world, requests)
    assert not failures, "\n".join(failures[:30])


def _session_body(records: WardRecords) -> dict:
    day = clock.today() + timedelta(days=20)
    return {"venue_id": records.values["venue_id"], "kind": "class", "title": "探査の教室",
            "date": day.isoformat(), "starts_time": "10:00", "ends_time": "11:30"}  # fmt: skip


#: A body for each API route that takes one, so each write is tried for real.
API_BODIES: dict[str, Callable[[WardRecords], dict | list[dict]]] = {
    "api_sessions.create_session": _session_body,
    "api_sessions.update_session": lambda records: {"title": "探査の教室 改"},
    "api_sessions.cancel_session": lambda records: {"reason": "探査"},
    "api_sessions.claim_shift": lambda records: {
        "volunteer_id": records.values["user_id"], "role": "lead"
    },
    "api_sessions.release_shift": lambda records: {},
    "api_residents.create_resident": lambda records: [  # a likely duplicate (409), then not
        {"ward": records.ward.slug, "family_name": records.markers[0], "family_kana": "ヒミツ",
         "phones": [records.markers[3]], "confirmed_new": confirmed}
        for confirmed in (False, True)
    ],
    "api_residents.update_resident": lambda records: {},
    "api_residents.book": lambda records: {"resident_id": records.values["resident_id"]},
    "api_residents.cancel_booking": lambda records: {"reason": "探査"},
    "api_residents.attendance": lambda records: {"attended": True},
    "api_residents.enrol": lambda records: {"resident_id": records.values["resident_id"]},
    "api_residents.cancel_enrolment": lambda records: {"reason": "探査"},
    "api_residents.change_reminders": lambda records: {"gets_reminders": False, "reason": "探査"},
    "api_residents.record_consent": lambda records: {
        "scopes": ["record"], "method": "phone", "given_on": clock.today().isoformat()
    },
    "api_residents.create_course": lambda records: {**_session_body(records), "weeks": 3},
    "api_wards.create_venue": lambda records: {
        "name": f"探査会館{INJECTED}", "kind": "library", "address": "探査", "default_capacity": 10
    },
    "api_wards.update_venue": lambda records: {"default_capacity": 12},
    "api_wards.archive_venue": lambda records: {},
    "api_wards.update_ward": lambda records: {"booking_hours": f"平日{INJECTED}"},
}  # fmt: skip


def test_every_api_write_as_every_key(app, world, scheduler_running):
    """Each write, by each key: none answers with more of a resident than the key may read,
    which an empty correction once did (it echoed the whole record)."""
    reader = world[0].values["keys"][0]
    client = app.test_client()
    writes = []
    for rule in routes(app):
        for method in sorted(rule.methods & {"POST", "PATCH", "PUT", "DELETE"}):
            if not rule.rule.startswith("/api/"):
                continue
            assert rule.endpoint in API_BODIES, f"add a body for {method} {rule.rule}"
            for records in world:
                path = path_of(rule, records, world[0])
                version = client.get(path, headers=reader.headers).headers.get("ETag", "*")
                bodies = API_BODIES[rule.endpoint](records)
                writes += [
                    (method, path, {"json": body, "headers": {"If-Match": version}})
                    for body in (bodies if isinstance(bodies, list) else [bodies])
                ]
    failures = []
    seen: Counter = Counter()
    # Least power first, so the records are still there when the narrow keys try them.
    for caller in sorted(world[0].values["keys"], key=lambda key: len(key.scopes)):
        for method, path, options in writes:
            failures += walk(app, caller, world, [(method, path, dict(options))], seen)
    assert not failures, "\n".join(failures[:30])
    assert seen["application/json"] >= 10 and seen["personal"] >= 4, seen


def test_hostile_values_in_every_api_query_argument(app, world, scheduler_running):
    """Each argument an API read documents, set to each hostile value, with a key that
    may do everything (so the argument is read, not refused for want of a key)."""
    with app.test_request_context():
        documented = {(item["method"], item["path"]): item for item in operations(spec())}
    everything = world[0].values["keys"][0]
    requests = []
    for rule in routes(app):
        operation = documented.get(("get", re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)))
        if operation is None:
            continue
        path = path_of(rule, world[0], world[0])
        sample = API_QUERIES.get(rule.endpoint, lambda records: {})(world[0])
        requests += [
            ("GET", path, {"query_string": {**sample, parameter["name"]: value}})
            for parameter in operation["parameters"] if parameter.get("in") == "query"
            for value in HOSTILE_VALUES
        ]  # fmt: skip
    assert len(requests) > 50
    failures = walk(app, everything, world, requests)
    assert not failures, "\n".join(failures[:30])
