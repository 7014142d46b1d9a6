"""The API description at /api/v1/openapi.json: valid OpenAPI 3.1, and true to the routes (every /api/v1
route with each of its methods, nothing that does not exist). schemathesis then checks the answers against
it (tests/site/test_third_party_client.py)."""
import re

from openapi_spec_validator import OpenAPIV31SpecValidator

from core.openapi import describe, document, obj

API_PREFIX = "/api/v1/"


def routes(app) -> set[tuple[str, str]]:
    """(method, path) of every /api/v1 route, its `<int:name>` written `{name}` as OpenAPI writes it."""
    return {(method, re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule.rule)) for rule in app.url_map.iter_rules()
            if rule.rule.startswith(API_PREFIX) for method in rule.methods - {"HEAD", "OPTIONS"}}


def described(served: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, operations in served["paths"].items() for method in operations}


def test_the_description_is_served_to_anyone_as_json(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.json["openapi"] == "3.1.0" and answer.json["info"]["title"] == "Servicebook API"


def test_the_description_is_valid_openapi_3_1(client):
    errors = [error.message for error in OpenAPIV31SpecValidator(client.get("/api/v1/openapi.json").json).iter_errors()]
    assert errors == []


def test_the_description_names_every_api_route_with_each_of_its_methods_and_nothing_else(app, client):
    served = client.get("/api/v1/openapi.json").json
    assert len(routes(app)) >= 8
    assert described(served) == routes(app)


def test_every_operation_says_what_it_answers_and_how_it_refuses(client):
    served = client.get("/api/v1/openapi.json").json
    for path, operations in served["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert operation["summary"] and operation["operationId"], (method, path)
            assert statuses & {"200", "201"} and "405" in statuses, (method, path)
            if operation.get("security") != []:  # needs credentials: says so, with the errors that follow
                assert {"401", "403"} <= statuses, (method, path)
            if method != "get":
                assert "400" in statuses and "requestBody" in operation, (method, path)
            for name in re.findall(r"{(\w+)}", path):
                [parameter] = [p for p in operation["parameters"] if p["name"] == name and p["in"] == "path"]
                assert parameter["required"] and parameter["schema"]["type"] == "integer"
    assert served["components"]["securitySchemes"]["bearerToken"] == {
        "type": "http", "scheme": "bearer", "description": "A personal API token (`sb_...`); it acts as its user."}


def test_a_new_api_route_is_missing_from_the_description_until_it_is_described(app):
    """How the comparison catches drift: a route added without `@describe` is absent; with it, present."""
    app.add_url_rule("/api/v1/undescribed/<int:thing_id>", "undescribed", lambda thing_id: "")
    assert ("GET", "/api/v1/undescribed/{thing_id}") in routes(app) - described(document(app))
    view = describe("A thing", tag="Test", answers={200: ("The thing", obj(id={"type": "integer"}))})(lambda: "")
    app.add_url_rule("/api/v1/described/<int:thing_id>", "described", view, methods=["GET", "POST"])
    served = described(document(app))
    assert {("GET", "/api/v1/described/{thing_id}"), ("POST", "/api/v1/described/{thing_id}")} <= served
    assert routes(app) - served == {("GET", "/api/v1/undescribed/{thing_id}")}


def test_the_page_for_people_reads_the_description_from_the_site_itself(client):
    with client.get("/static/api.html") as page, client.get("/static/api.js") as script:
        assert page.status_code == 200 and script.status_code == 200
        assert 'src="api.js"' in page.text and "/api/v1/openapi.json" in page.text
        assert "http" not in page.text  # nothing from another site
        assert 'fetch("/api/v1/openapi.json"' in script.text and "innerHTML" not in script.text


def test_a_method_a_path_does_not_take_is_refused_with_405_naming_the_methods_it_does(client):
    served = client.get("/api/v1/openapi.json").json
    wrong = []
    for path, operations in served["paths"].items():
        url = re.sub(r"{\w+}", "1", path)
        for method in {"get", "post", "put", "patch", "delete"} - set(operations):
            answer = client.open(url, method=method.upper())
            allowed = {m.strip().lower() for m in answer.headers.get("Allow", "").split(",")} - {"head", "options"}
            if answer.status_code != 405 or answer.json["error"]["status"] != 405 or allowed != set(operations):
                wrong.append(f"{method.upper()} {url}: {answer.status_code} Allow={answer.headers.get('Allow')}")
    assert wrong == []
