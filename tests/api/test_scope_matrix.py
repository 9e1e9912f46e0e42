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


def test_every_api_route_states_its_permission_and_what_of_a_resident_it_returns(app):
    with app.test_request_context():
        description = spec()
    documented = 0
    for rule, method, path in api_operations(app):
        operation = description["paths"][path][method]
        scope = access_of(app, rule).api_scope
        stated = [name for rule_ in operation.get("security", []) for names in rule_.values()
                  for name in names]  # fmt: skip
        assert stated == ([scope] if scope else []), f"{method} {path}"
        schema = success_schema(app.view_functions[rule.endpoint])
        fields = operation.get("x-resident-fields")
        if schema is not None and any(
            isinstance(nested, PersonalData) for nested in _schemas_within(schema)
        ):
            documented += 1
            assert fields["other"] == sorted(
                {"id", *(name for nested in _schemas_within(schema)
                         if isinstance(nested, PersonalData) for name in nested.NOT_PERSONAL)}
            ), f"{method} {path}"  # fmt: skip
            assert set(fields["residents:read"]) >= {"family_name", "id"}
        else:
            assert fields is None, f"{method} {path} says it returns a resident's record"
    assert documented == 4  # find, read, register, correct


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
    assert (
        "residents:read" in resident_row and ", ".join(sorted(Resident().fields)) in resident_row
    )
    assert ">id, ward</td>" in resident_row
