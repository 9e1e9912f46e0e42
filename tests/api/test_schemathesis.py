"""Schemathesis against our own OpenAPI description: every operation, data that fits it
and data that does not, a fixed number of examples each. No answer may be a server
error, and every answer must match what the description says (status, media type,
headers, body)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.config._auth import OpenAPIAuthConfig
from schemathesis.generation.modes import GenerationMode

from inclusion.api import services
from inclusion.extensions import db
from tests.conftest import own_database_app

#: Per operation and kind of data (fits the schema, does not): keeps CI within minutes.
EXAMPLES = 50


@pytest.fixture(scope="module")
def api_schema(backend, tmp_path_factory):
    """The API of an app with demo data, called with a key that may do everything."""
    with own_database_app(backend, tmp_path_factory, API_RATE_LIMIT="100000 per minute") as app:
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            _key, secret = services.create_key(None, "schemathesis", services.ApiScope, None)
            db.session.commit()
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        # Through the description's bearer scheme, so the check that drops or spoils the
        # key (ignored_auth) really sends none.
        schema.config.auth.openapi = OpenAPIAuthConfig(schemes={"bearer": {"bearer": secret}})
        # Data that fits the schema may still break a rule of the programme (422) or come
        # with a made-up If-Match (412); anything else must be accepted.
        schema.config.checks.positive_data_acceptance.expected_statuses += ["412", "422"]
        yield schema


def operations(schema) -> list:
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 20, "every route of the API is described"
    return found


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_its_description(api_schema, mode):
    failures = []
    tried = 0
    succeeded: set[str] = set()
    for operation in operations(api_schema):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            # The same examples on every run, so CI is repeatable; raise EXAMPLES to explore.
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            response = case.call_and_validate()
            if response.status_code < 300:
                succeeded.add(f"{case.method} {case.path}")

        try:
            check()
        except Unsatisfiable:  # nothing to get wrong: no parameters (GET /wards), free text
            assert mode == GenerationMode.NEGATIVE, operation.path
            continue
        except Exception as failure:  # every operation is tried; all failures are shown
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
        tried += 1
    assert not failures, "\n\n".join(failures)
    assert tried >= 15
    if mode == GenerationMode.POSITIVE:  # the key was sent: real work was done, not just 401s
        assert len(succeeded) >= 6, sorted(succeeded)
