"""The JSON API's description (OpenAPI 3.1), served at /api/v1/openapi.json and read by tools that integrate
(a ticketing system's side panel, a KPI feed) and by static/api.html for people.

It is made from the routes themselves: each API view says what it takes and answers with `@describe(...)`
right under its route decorator, and `document(app)` walks `app.url_map`, so a path, its methods and its
path parameters cannot drift from the code. A /api/v1 route without `@describe` is missing from the
document, and tests/core/test_openapi.py fails until it is described.

    @bp.get("/metrics/overview")
    @describe("The SPC overview of every metric", tag="Improvement register",
              answers={200: ("The overview", obj(metrics=array(METRIC)))}, query={"since": DATE})
    @api_require("read")
    def overview(): ...
"""
import re

from flask import Blueprint, Flask, current_app, jsonify
from werkzeug.routing import IntegerConverter

from core.api import register_json_errors

API_PREFIX = "/api/v1"
ROW_ID_MAX = 2**31 - 1  # core.web.RowId: a larger number in a URL does not match (404)

# ---- JSON Schema pieces (OpenAPI 3.1 uses JSON Schema 2020-12 as it is) ------------------------------

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
URL = {"type": "string", "format": "uri"}
ROW_ID = {"type": "integer", "minimum": 0, "maximum": ROW_ID_MAX}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def one_of(*values: str) -> dict:
    return {"type": "string", "enum": list(values)}


def array(items: dict, **limits) -> dict:
    return {"type": "array", "items": items, **limits}


def obj(optional: tuple[str, ...] = (), **properties) -> dict:
    """An object with these properties, every one required unless named in `optional`."""
    return {"type": "object", "properties": properties, "required": [p for p in properties if p not in optional]}


def extend(schema: dict, **properties) -> dict:
    """`schema` (an `obj`) with more properties, all required."""
    return {**schema, "properties": schema["properties"] | properties, "required": schema["required"] + list(properties)}


ERROR = obj(error=obj(("problems",), status=INTEGER, reason=STRING, problems=array(STRING)))
REFUSALS = {
    400: "The request breaks a rule (the reason says which); for a write with the session cookie, also a "
         "missing X-CSRFToken header. Nothing was changed.",
    401: "No valid credentials: send a personal API token as `Authorization: Bearer <token>`.",
    403: "The token's user (or the logged-in user) does not hold the role this needs.",
    404: "There is no such thing, or the caller may not see it.",
    405: "The path exists but not with this method (the Allow header lists those it has).",
}


def describe(summary: str, *, tag: str, answers: dict[int, tuple[str, dict]], query: dict | None = None,
             body: dict | None = None, body_required: bool = False, refusals: tuple[int, ...] = (),
             public: bool = False, notes: str = ""):
    """Mark an API view with its description: `answers` maps a success status to (what it is, its schema);
    `query` names the query parameters (all optional) with their schemas; `body` is the JSON body's schema;
    `refusals` the error statuses the view itself gives (401 and 403 are added unless `public`, 400 for a
    write, 405 always)."""
    def mark(view):
        view.openapi = {"summary": summary, "tag": tag, "answers": answers, "query": query or {}, "body": body,
                        "body_required": body_required, "refusals": refusals, "public": public, "notes": notes}
        return view
    return mark


RULE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


def _path_and_parameters(rule) -> tuple[str, list[dict]]:
    """`/articles/<int:article_id>` -> (`/articles/{article_id}`, its path parameter)."""
    names = RULE_ARGUMENT.findall(rule.rule)
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": ROW_ID if isinstance(rule._converters[name], IntegerConverter) else STRING}
                  for name in names]
    return RULE_ARGUMENT.sub(r"{\1}", rule.rule), parameters


def _operation(endpoint: str, method: str, spec: dict, path_parameters: list[dict]) -> dict:
    json_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    responses = {str(status): {"description": what, "content": {"application/json": {"schema": schema}}}
                 for status, (what, schema) in spec["answers"].items()}
    refusals = set(spec["refusals"]) | {405}
    if not spec["public"]:
        refusals |= {401, 403}
    if method != "GET":
        refusals.add(400)
    for status in sorted(refusals):
        responses[str(status)] = {"description": REFUSALS[status], "content": json_content}
    operation = {"operationId": endpoint, "summary": spec["summary"], "tags": [spec["tag"]],
                 "parameters": path_parameters + [{"name": name, "in": "query", "required": False, "schema": schema}
                                                  for name, schema in spec["query"].items()],
                 "responses": responses}
    if spec["notes"]:
        operation["description"] = spec["notes"]
    if spec["body"] is not None:
        operation["requestBody"] = {"required": spec["body_required"],
                                    "content": {"application/json": {"schema": spec["body"]}}}
    if spec["public"]:
        operation["security"] = []
    return operation


def document(app: Flask) -> dict:
    """The OpenAPI 3.1 document of every described route under /api/v1."""
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        spec = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if not rule.rule.startswith(API_PREFIX + "/") or spec is None:
            continue
        path, parameters = _path_and_parameters(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule.endpoint, method, spec, parameters)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Servicebook API", "version": "1",
                 "description": "The knowledge base and the improvement register for the tools staff work in. "
                                "Call with a personal API token (`Authorization: Bearer <token>`, made with "
                                "`flask users token`), which acts with its user's roles; the site's own pages "
                                "may call with the session cookie, and then a write carries the CSRF token in "
                                "the `X-CSRFToken` header. Every error is JSON: "
                                '`{"error": {"status": 400, "reason": "..."}}`.'},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer",
                                "description": "A personal API token (`sb_...`); it acts as its user."},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session",
                                  "description": "The site's login session (the pages' own scripts)."},
            },
        },
        "security": [{"bearerToken": []}, {"sessionCookie": []}],
    }


bp = Blueprint("api_description", __name__, url_prefix=API_PREFIX)
register_json_errors(bp)


@bp.get("/openapi.json")
@describe("This description of the API (OpenAPI 3.1)", tag="API description", public=True,
          answers={200: ("The OpenAPI document", {"type": "object", "required": ["openapi", "paths"]})})
def openapi_json():
    return jsonify(document(current_app))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
