"""The scope matrix in the API's description and docs, checked against the route table:
a new route appears in it by itself, with the permission it really needs."""

from __future__ import annotations

import re

from inclusion.api.openapi import spec, success_schema
from inclusion.api.schemas import PersonalData, Resident
from tests.auth.test_access_matrix import access_of, routes


def api_operations(app):
    """Each API route and method, but the description and docs themselves."""
    for rule in routes(app):
        if not rule.rule.startswith("/api/") or rule.endpoint.startswith("api_docs."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method.lower(), path


def test_every_api_route_states_its_permission_and_what_of_a_person_it_returns(app):
    with app.test_request_context():
        description = spec()
    documented = {}
    for rule, method, path in api_operations(app):
        operation = description["paths"][path][method]
        scope = access_of(app, rule).api_scope
        stated = [name for rule_ in operation.get("security", []) for names in rule_.values()
                  for name in names]  # fmt: skip
        assert stated == ([scope] if scope else []), f"{method} {path}"
        schema = success_schema(app.view_functions[rule.endpoint])
        personal = [nested for nested in _schemas_within(schema)] if schema is not None else []
        personal = [nested for nested in personal if isinstance(nested, PersonalData)]
        fields = operation.get("x-personal-fields")
        if not personal:
            assert fields is None, f"{method} {path} says it returns a person's record"
            continue
        for read_scope in {nested.READ_SCOPE for nested in personal}:
            documented.setdefault(read_scope.value, set()).add(f"{method} {path}")
            of_scope = [nested for nested in personal if nested.READ_SCOPE == read_scope]
            assert fields[read_scope.value]["without"] == sorted(
                {name for nested in of_scope for name in nested.NOT_PERSONAL}
            ), f"{method} {path}"
            assert set(fields[read_scope.value]["with"]) > set(fields[read_scope.value]["without"])
    assert {"get /api/v1/residents/{resident_id}", "post /api/v1/residents"} <= documented[
        "residents:read"
    ]
    assert "get /api/v1/sessions/{session_id}/shifts" in documented["volunteers:read"]


def _schemas_within(schema):
    """Every schema nested in ``schema``, walked here on its own (not by the code under test)."""
    yield schema
    for field in schema.fields.values():
        inner = getattr(field, "inner", field)
        if hasattr(inner, "schema") and type(inner.schema) is not type(schema):
            yield from _schemas_within(inner.schema)


def test_the_docs_page_has_a_row_for_every_route(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    matrix = page[
        page.index('id="scope-matrix"') : page.index("</table>", page.index("scope-matrix"))
    ]
    for _rule, method, path in api_operations(client.application):
        assert f"<code>{method.upper()} {path}</code>" in matrix, f"{method} {path}"
    resident_row = matrix[matrix.index("<code>GET /api/v1/residents/{resident_id}</code>") :]
    resident_row = resident_row[: resident_row.index("</tr>")]
    assert "<code>residents:read</code>: " + ", ".join(sorted(Resident().fields)) in resident_row
    assert "residents:read なし: id, ward</p>" in resident_row
