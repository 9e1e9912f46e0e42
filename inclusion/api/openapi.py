"""The API's OpenAPI description, generated from the code by flask-smorest."""

from __future__ import annotations

import copy
import hmac
import http
import json
import re

import flask_smorest
import marshmallow as ma
from flask import Flask, current_app
from flask_smorest.utils import prepare_response, resolve_schema_instance
from webargs.flaskparser import FlaskParser

from inclusion.api.models import ApiScope
from inclusion.api.problems import MEDIA_TYPE
from inclusion.api.schemas import Problem, personal_fields


class Parser(FlaskParser):
    """webargs' reader of requests, with the API's answers to bad input."""

    #: Input that does not match the schema is a 400; 422 is kept for the programme's rules.
    DEFAULT_VALIDATION_STATUS = 400
    #: A misspelt filter is refused, not ignored (its results would look right and be wrong).
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    def _raw_load_json(self, req):
        # JSON nested thousands deep exhausts the decoder's recursion: that is bad JSON
        # (a 400 that says so), not a crash.
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "[", 0) from None


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()
    #: Actions such as POST …/cancel take If-Match too, like PATCH.
    METHODS_NEEDING_CHECK_ETAG = ["PUT", "PATCH", "DELETE", "POST"]

    @staticmethod
    def _generate_etag(etag_data, extra_data=None) -> str:
        """An ETag keyed with the app's secret: a plain hash of a record would let a key
        that may not read it confirm a guess of what it holds (If-Match: hash(guess))."""
        data = json.dumps([etag_data, extra_data] if extra_data else etag_data, sort_keys=True)
        return hmac.new(current_app.secret_key.encode(), data.encode(), "sha256").hexdigest()


class Api(flask_smorest.Api):
    """flask-smorest's Api, minus its app-wide error handler and its doc pages.

    Errors under /api/ become problems in the app's one handler (``main.views``); the
    description and the docs are our own routes, declared like every other.
    """

    ERROR_SCHEMA = Problem

    def _register_error_handlers(self) -> None:
        pass

    def _register_doc_blueprint(self) -> None:
        pass

    def _register_responses(self) -> None:
        """Every error response documented as a problem (application/problem+json)."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "A problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


SPEC_SETTINGS = {
    "API_TITLE": "inclusion API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Sessions, shifts, residents, bookings, reminders and the programme's "
                "figures of Tokyo's digital-inclusion programme. Errors are "
                "application/problem+json (RFC 9457) with a Japanese and English message."
            )
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key made by an administrator: "
                    + ", ".join(scope.value for scope in ApiScope),
                }
            }
        },
    },
}


def init_app(app: Flask, blueprints: list[Blueprint]) -> None:
    """One Api per app (tests make many), holding the app's API blueprints."""
    for name, value in SPEC_SETTINGS.items():
        app.config.setdefault(name, value)
    api = Api(app)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    app.extensions["inclusion-api"] = api


def spec() -> dict:
    """The OpenAPI description of this app's API (made once per app: only the code changes
    it; not to be changed by callers), each operation that writes out a person's record
    marked with the fields a key gets with and without the record's read scope
    (``x-personal-fields``).

    The marks come from the route table and the response schemas, so a new route cannot
    leave them out."""
    made = current_app.extensions.get("inclusion-api-description")
    if made is None:
        made = current_app.extensions["inclusion-api-description"] = _describe()
    return made


def _describe() -> dict:
    # A copy: to_dict() hands out apispec's own dicts, which must not gain marks each time.
    description = copy.deepcopy(current_app.extensions["inclusion-api"].spec.to_dict())
    add_examples(description)
    for rule in current_app.url_map.iter_rules():
        shown = personal_fields(success_schema(current_app.view_functions[rule.endpoint]))
        if shown is None:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods & {"GET", "POST", "PATCH", "PUT", "DELETE"}:
            description["paths"][path][method.lower()]["x-personal-fields"] = shown
    return description


#: What an example holds for a value that says nothing more of itself, by format.
EXAMPLE_FORMATS = {"date": "2026-12-10", "date-time": "2026-12-10T10:00:00+09:00",
                   "email": "hanako@example.jp", "uri": "https://example.jp/"}  # fmt: skip


def example_of(schema: dict, components: dict, depth: int = 0):
    """A value of ``schema``, made from its fields' examples, enums, formats and limits:
    every operation's body and answer gets one, from the same schemas that check them."""
    if depth > 6:  # a schema that nests itself ends here
        return None
    if "$ref" in schema:
        return example_of(components.get(schema["$ref"].split("/")[-1], {}), components, depth + 1)
    if "example" in schema:
        return schema["example"]
    if schema.get("enum"):
        return next((value for value in schema["enum"] if value is not None), None)
    for combined in ("allOf", "anyOf", "oneOf"):
        if schema.get(combined):
            return example_of(schema[combined][0], components, depth + 1)
    kind = schema.get("type")
    kind = (
        next((each for each in kind if each != "null"), None) if isinstance(kind, list) else kind
    )
    if kind == "object" or "properties" in schema:
        return {name: example_of(field, components, depth + 1)
                for name, field in schema.get("properties", {}).items()
                if not field.get("readOnly")}  # fmt: skip
    if kind == "array":
        return [example_of(schema.get("items", {}), components, depth + 1)]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if kind == "string":
        return EXAMPLE_FORMATS.get(schema.get("format"), "")
    return None


def add_examples(description: dict) -> None:
    """Give each operation's JSON body and successful answer an example, unless it has one."""
    components = description.get("components", {}).get("schemas", {})
    for methods in description.get("paths", {}).values():
        for method in HTTP_METHODS:
            operation = methods.get(method)
            if operation is None:
                continue
            contents = [operation.get("requestBody", {}).get("content", {})]
            contents += [response.get("content", {})
                         for status, response in operation.get("responses", {}).items()
                         if str(status).startswith("2")]  # fmt: skip
            for content in contents:
                for media in content.values():
                    if "schema" in media and "example" not in media:
                        media["example"] = example_of(media["schema"], components)


def success_schema(view) -> ma.Schema | None:
    """The schema a view's successful answer is written in, if it declares one."""
    responses = getattr(view, "_apidoc", {}).get("response", {}).get("responses", {})
    for status, documented in sorted(responses.items(), key=lambda item: str(item[0])):
        for response in documented if isinstance(documented, list) else [documented]:
            if str(status).startswith("2") and response.get("schema") is not None:
                return resolve_schema_instance(response["schema"])
    return None


HTTP_METHODS = ("get", "put", "post", "patch", "delete")


def operations(description: dict) -> list[dict]:
    """Each operation of a description, its references resolved, for the docs page."""
    components = description.get("components", {})

    def resolved(item: dict, kind: str) -> dict:
        if "$ref" in item:
            return components.get(kind, {}).get(item["$ref"].split("/")[-1], {})
        return item

    def schema_of(content: dict) -> dict | None:
        return next(iter(content.values()), {}).get("schema") if content else None

    found = []
    for path, methods in description.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = methods.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content")
            found.append({
                "example": next(iter(body.values()), {}).get("example") if body else None,
                "id": f"{method}{path}".replace("/", "-").replace("{", "").replace("}", ""),
                "method": method,
                "path": path,
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "scopes": [scope for rule in operation.get("security", [])
                           for scopes in rule.values() for scope in scopes],
                "parameters": [resolved(parameter, "parameters")
                               for parameter in operation.get("parameters", [])],
                "body": schema_of(body),
                "personal_fields": operation.get("x-personal-fields"),
                "responses": [
                    (status, {"description": resolved(response, "responses").get("description"),
                              "schema": schema_of(resolved(response, "responses").get("content"))})
                    for status, response in operation.get("responses", {}).items()
                ],
            })  # fmt: skip
    return found


def texts(description: dict) -> list[str]:
    """The description's words that the docs page shows, each once: what translators get."""
    found = [description["info"].get("description", "")]
    for operation in operations(description):
        found += [operation["summary"], operation["description"]]
        found += [response["description"] or "" for _status, response in operation["responses"]]
    for schema in description.get("components", {}).get("schemas", {}).values():
        found.append(schema.get("description", ""))
        found += [field.get("description", "") for field in schema.get("properties", {}).values()]
    return list(dict.fromkeys(text for text in found if text.strip()))


def extract(fileobj, keywords, comment_tags, options):
    """A Babel extractor (``babel.cfg``): the API description's words, read from the app's
    routes and schemas, so the docs page can show them in the page's language."""
    from inclusion import create_app

    app = create_app()
    with app.test_request_context():
        for text in texts(spec()):
            yield 1, "gettext", text, ["From the API description (docstrings and schemas)."]
