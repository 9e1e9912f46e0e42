"""Schemathesis against our own OpenAPI description: every operation, data that fits it
and data that does not, a fixed number of examples each, each called with a key holding
only the permission the operation states (public ones with none). No answer may be a
server error, every answer must match what the description says (status, media type,
headers, body), data that fits must succeed (2xx) at least once per operation, and data
that does not must be refused (4xx)."""

import itertools

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.modes import GenerationMode

from inclusion import clock
from inclusion.api import services
from inclusion.api.openapi import operations as documented_operations
from inclusion.api.openapi import spec
from inclusion.auth.models import Role, User
from inclusion.extensions import db
from inclusion.residents.models import SEATED, Booking, BookingStatus, Resident
from inclusion.sessions.models import Series, Session, SessionStatus
from inclusion.venues.models import Venue
from inclusion.volunteers.models import Shift
from tests.conftest import own_database_app

#: Per operation and kind of data: enough fitting data for each operation to succeed at
#: least once; fewer that does not fit, as each is refused quickly. Keeps CI within minutes.
EXAMPLES = {GenerationMode.POSITIVE: 50, GenerationMode.NEGATIVE: 25}


def _ids(query) -> list[int]:
    return list(db.session.scalars(query.limit(20)))


@pytest.fixture(scope="module")
def api_schema(backend, tmp_path_factory):
    """The API of an app with demo data; a key per permission, and real ids to call with."""
    with own_database_app(backend, tmp_path_factory, API_RATE_LIMIT="100000 per minute") as app:
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        with app.app_context(), app.test_request_context():
            keys = {scope.value: services.create_key(None, f"schemathesis {scope.value}",
                                                     [scope], None)[1]
                    for scope in services.ApiScope}  # fmt: skip
            keys["everything"] = services.create_key(None, "schemathesis reader",
                                                     list(services.ApiScope), None)[1]  # fmt: skip
            db.session.commit()
            needs = {(op["method"].upper(), op["path"]): (op["scopes"] or [None])[0]
                     for op in documented_operations(spec())}  # fmt: skip
            scheduled = Session.status == SessionStatus.SCHEDULED
            pools = {
                "session_id": _ids(sa.select(Session.id).where(scheduled)),
                "resident_id": _ids(
                    sa.select(Resident.id).where(Resident.anonymised_dt.is_(None))
                ),
                "booking_id": _ids(sa.select(Booking.id).where(Booking.status.in_(
                    [BookingStatus.BOOKED, BookingStatus.WAITLISTED]))),
                "venue_id": _ids(sa.select(Venue.id)),
                "series_id": _ids(sa.select(Series.id).where(Series.is_course)),
                "shift_id": _ids(sa.select(Shift.id)),
                "volunteer_id": _ids(sa.select(User.id).where(User.role == Role.VOLUNTEER)),
            }  # fmt: skip
            pools["enrolment_id"] = pools["series_id"]
            # Attendance is recorded once a session has started: the demo's held class.
            pools["held_booking_id"] = _ids(
                sa.select(Booking.id).join(Session, Session.id == Booking.session_id).where(
                    Session.starts_dt < clock.now(), Booking.status.in_(SEATED))
            )  # fmt: skip
            pools["ward"] = ["shibuya", "shinagawa", "131130"]
            pools["phone"] = ["03-5555-0101", "090-1111-0111", "+81355550103"]
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        # Data that fits the schema may still break a rule of the programme (409, 422) or
        # come with a made-up If-Match (412); anything else must be accepted.
        schema.config.checks.positive_data_acceptance.expected_statuses += ["409", "412", "422"]
        yield schema, keys, needs, pools, app


def operations(schema) -> list:
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 40, "every route of the API is described"
    return found


def with_real_ids(case, pools: dict[str, list], turn: int) -> None:
    """Fitting data names records that exist: wards and ids in the path, the query and the
    body, and residents' numbers, from the demo."""
    if (case.method, case.path) == ("POST", "/api/v1/residents") and isinstance(case.body, dict):
        case.body.setdefault("ward", "shibuya")  # a key of every ward names the ward
    if case.path.endswith("/attendance"):
        held = pools["held_booking_id"]
        case.path_parameters["booking_id"] = held[turn % len(held)]
        return
    for values in (case.path_parameters, case.query, case.body):
        if not isinstance(values, dict):
            continue
        for name in values.keys() & {"ward", "phone", "resident_id", "venue_id",
                                     "volunteer_id", *(case.path_parameters or {})}:  # fmt: skip
            if pools.get(name):
                values[name] = pools[name][turn % len(pools[name])]
        if isinstance(values.get("phones"), list):  # numbers that can be called, no one's yet
            values["phones"] = [f"03-5555-{9000 + turn % 1000:04d}"][: len(values["phones"])]


def only_the_key_is_wrong(case) -> bool:
    """Whether the only data generated not to fit is a header: the Authorization the test
    replaces with a real key."""
    wrong = {location for location, info in case.meta.components.items()
             if info.mode == GenerationMode.NEGATIVE}  # fmt: skip
    return wrong == {ParameterLocation.HEADER}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_its_description_with_a_key_of_each_permission(api_schema, mode):
    schema, keys, needs, pools, app = api_schema
    reader = app.test_client()
    failures = []
    tried = 0
    succeeded: set[str] = set()
    turns = itertools.count()
    everything = {"Authorization": f"Bearer {keys['everything']}"}

    def checker(operation, name: str, headers: dict[str, str]):
        """The operation's examples, each called with the key for its permission."""

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES[mode],
            deadline=None,
            database=None,
            # The same examples on every run, so CI is repeatable; raise EXAMPLES to explore.
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            if mode == GenerationMode.NEGATIVE and only_the_key_is_wrong(case):
                return  # the key is sent as the test's own, right one: nothing wrong is left
            sent = dict(headers)
            if mode == GenerationMode.POSITIVE:
                with_real_ids(case, pools, next(turns))
                if case.method in ("PATCH", "POST") and case.path_parameters:
                    # A change names the version it read (If-Match), as a client does.
                    read = reader.get(case.formatted_path, headers=everything)
                    if "ETag" in read.headers:
                        sent["If-Match"] = read.headers["ETag"]
            response = case.call_and_validate(headers=sent)
            if response.status_code < 300:
                succeeded.add(name)

        return check

    for operation in operations(schema):
        name = f"{operation.method.upper()} {operation.path}"
        scope = needs[(operation.method.upper(), operation.path)]
        headers = {"Authorization": f"Bearer {keys[scope]}"} if scope else {}

        check = checker(operation, name, headers)
        try:
            check()
        except Unsatisfiable:  # nothing to get wrong: no parameters (GET /wards), free text
            assert mode == GenerationMode.NEGATIVE, operation.path
            continue
        except Exception as failure:  # every operation is tried; all failures are shown
            failures.append(f"{name}: {failure}")
        tried += 1
    assert not failures, "\n\n".join(failures)
    assert tried >= 30
    if mode == GenerationMode.POSITIVE:  # the keys were sent: real work was done
        every = {
            f"{operation.method.upper()} {operation.path}" for operation in operations(schema)
        }
        never = every - succeeded
        assert not never, f"no fitting data succeeded for {sorted(never)}"
