"""A client we did not write: schemathesis reads /api/v1/openapi.json from the running app and calls every
operation it describes with requests it makes up from the schemas (that fit them, with ids that exist and
with any id; and that break them), on both databases.

Every answer must be below 500, carry a status the document lists, and match that status's schema; a
request that breaks the description is refused; an
operation that needs credentials answers 401 without them (or with a wrong token) and 403 to a role it
does not allow. Examples are bounded and derandomized, as the other property-based tests are;
HYPOTHESIS_EXAMPLES=200 explores more.
"""
import os
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts import tokens
from core import clock
from core.db import db
from improvement import causes_and_actions as work
from improvement import metrics

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", 15))
BOUNDED = settings(max_examples=EXAMPLES, deadline=None, derandomize="HYPOTHESIS_EXAMPLES" not in os.environ,
                   database=None, suppress_health_check=list(HealthCheck))

# Rules no schema states, for which a request that fits the schema is rightly refused (400, with the reason);
# schemathesis's "schema-valid data is accepted" check is left out for these operations only.
BEYOND_THE_SCHEMA = {
    "kb_api.search": "a category that does not exist",
    "improvement_api.push_measurements": "a date in the future or measured already (or twice in the batch), a "
                                         "proportion without its denominator or with a value above it",
}


class OwnContextPerRequest:
    """The app as a WSGI server runs it: each request in its own app context (its own `g` and database
    session), not inside the test's."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        with self.app.app_context():
            return list(self.app.wsgi_app(environ, start_response))


@pytest.fixture
def content(app, make_user, make_article, make_improvement):
    """Something for every path to find: articles (one public), an improvement with measurements on each
    side of its change, a cause and an action; an admin's and a staff member's tokens."""
    admin, staff = make_user("ada", "admin"), make_user("sam", "staff")
    article = make_article(title="Refund a double charge", audience="public", tags=["refund"],
                           body="## Issue\n\nThe customer was charged twice.\n\n## Resolution\n\nRefund one.\n")
    make_article(title="Reset a router", state="draft")
    today = clock.today()
    improvement = make_improvement(target=10.0, started_on=today - timedelta(days=40),
                                   change_date=today - timedelta(days=10))
    readings = [metrics.Reading(today - timedelta(days=20 - i), 30.0 - (12 if i > 9 else 0) + i % 3)
                for i in range(20)]
    metrics.add_readings(improvement.metric, readings, admin, "test")
    cause = work.add_cause(improvement, work.CauseDetails(statement="Nobody owns the inbox", category="process"),
                           admin)
    work.add_action(improvement, work.ActionDetails("Inbox rota", "corrective", admin.id, today, cause_id=cause.id),
                    admin)
    db.session.commit()
    bearer = {"admin": tokens.issue_token(admin, "schemathesis"), "staff": tokens.issue_token(staff, "schemathesis")}
    db.session.commit()
    ids = {"article_id": article.id, "improvement_id": improvement.id, "metric_id": improvement.metric_id}
    return ids, bearer


@pytest.fixture
def described(app, content):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", OwnContextPerRequest(app))
    return [result.ok() for result in schema.get_all_operations()]


def exercise(operation, mode: GenerationMode, headers: dict, path_parameters: dict | None = None) -> None:
    rules_beyond = operation.definition.raw["operationId"] in BEYOND_THE_SCHEMA
    excluded = [positive_data_acceptance] if rules_beyond else []

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @BOUNDED
    def every_answer_matches_the_description(case):
        case.call_and_validate(headers=headers, excluded_checks=excluded)
    every_answer_matches_the_description()


def test_every_described_operation_answers_made_up_requests_as_its_description_says(described, content):
    ids, bearer = content
    admin = {"Authorization": f"Bearer {bearer['admin']}"}
    assert len(described) >= 7  # all but the description itself: schemathesis leaves out the URL it read
    for operation in described:
        known = {name: ids[name] for name in ids if "{" + name + "}" in operation.path} or None
        exercise(operation, GenerationMode.POSITIVE, admin, known)  # things that exist
        if known:
            exercise(operation, GenerationMode.POSITIVE, admin)  # any id at all
        exercise(operation, GenerationMode.NEGATIVE, admin, known)  # requests that break the description


def test_an_operation_that_needs_credentials_refuses_a_caller_without_them_or_without_the_role(client, described,
                                                                                             content):
    ids, bearer = content
    guarded = [operation for operation in described if operation.definition.raw.get("security") != []]
    assert guarded == described
    measurement = {"date": clock.today().isoformat(), "value": 1}
    answers = {}
    for operation in guarded:
        assert {"401", "403"} <= set(operation.definition.raw["responses"]), operation.path
        send = client.get if operation.method.upper() == "GET" else client.post
        for caller, headers in (("nobody", {}), ("a wrong token", {"Authorization": "Bearer sb_not-a-token"})):
            answer = send(operation.path.format(**ids), headers=headers, json=measurement)
            answers[f"{operation.method.upper()} {operation.path} as {caller}"] = (answer.status_code,
                                                                                   answer.json["error"]["status"])
    assert set(answers.values()) == {(401, 401)}, answers
    staff = {"Authorization": f"Bearer {bearer['staff']}"}
    answer = client.post(f"/api/v1/metrics/{ids['metric_id']}/measurements", headers=staff, json=measurement)
    assert answer.status_code == 403 and answer.json["error"]["status"] == 403


def test_a_pushed_measurement_whose_note_is_not_text_is_refused_and_nothing_is_stored(client, content):
    """Found by schemathesis: a note sent as a list was stored as the list's Python text."""
    ids, bearer = content
    admin = {"Authorization": f"Bearer {bearer['admin']}"}
    url = f"/api/v1/metrics/{ids['metric_id']}/measurements"
    before = client.get(f"/api/v1/improvements/{ids['improvement_id']}", headers=admin).json["measurements"]
    for note in ([["a"], {}], {"text": "x"}, 5):
        answer = client.post(url, headers=admin, json={"date": "2001-01-01", "value": 1, "note": note})
        assert answer.status_code == 400
        assert answer.json["error"]["problems"] == ["Measurement 1: The note must be text."]
    assert client.get(f"/api/v1/improvements/{ids['improvement_id']}", headers=admin).json["measurements"] == before
    assert client.post(url, headers=admin, json={"date": "2001-01-01", "value": 1, "note": None}).status_code == 201


def test_a_reuse_reference_with_a_nul_character_is_refused_not_a_server_error(client, content):
    """Found by schemathesis on PostgreSQL, which can neither store nor compare a NUL: a 500 before."""
    ids, bearer = content
    answer = client.post(f"/api/v1/articles/{ids['article_id']}/reuse", json={"reference": "T-1\x00"},
                         headers={"Authorization": f"Bearer {bearer['admin']}"})
    assert answer.status_code == 400 and "NUL" in answer.json["error"]["reason"]
