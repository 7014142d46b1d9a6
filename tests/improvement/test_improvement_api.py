"""The register's JSON API and the CSV import command."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accounts.tokens import issue_token
from core import clock
from core.db import db
from improvement import causes_and_actions as work
from improvement import metrics
from improvement.models import Measurement

TODAY = clock.today()
CHANGE = TODAY - timedelta(days=10)


def count_measurements() -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(Measurement))


def bearer(user) -> dict:
    token = issue_token(user, "test")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def measured(make_improvement):
    """An improvement with 8 daily measurements each side of its change date: a clear drop in hours."""
    improvement = make_improvement(target=10.0, started_on=CHANGE - timedelta(days=30), change_date=CHANGE)
    values = [30, 31, 29, 32, 30, 28, 31, 30] + [12, 11, 9, 10, 8, 9, 10, 9]
    first = CHANGE - timedelta(days=8)
    readings = [metrics.Reading(first + timedelta(days=i), v) for i, v in enumerate(values)]
    metrics.add_readings(improvement.metric, readings, improvement.owner, "test")
    work.add_action(improvement, work.ActionDetails("Inbox rota", "corrective", improvement.owner_id, CHANGE),
                    improvement.owner)
    db.session.commit()
    return improvement


def test_the_api_needs_a_token_or_a_session(client, measured):
    answer = client.get("/api/v1/improvements")
    assert answer.status_code == 401 and "error" in answer.json
    assert client.get("/api/v1/improvements", headers={"Authorization": "Bearer sb_wrong"}).status_code == 401


def test_the_list_gives_each_improvement_with_its_verdict(client, make_user, measured):
    answer = client.get("/api/v1/improvements", headers=bearer(make_user("agent")))
    assert answer.status_code == 200
    [item] = answer.json["improvements"]
    assert item["id"] == measured.id and item["phase"] == "plan" and item["verdict"] == "effective"
    assert item["metric"] == "First response time" and item["url"].endswith(f"/improvements/{measured.id}")
    assert client.get("/api/v1/improvements?phase=nonsense", headers=bearer(make_user("bo"))).status_code == 400


def test_one_improvement_carries_its_metric_measurements_and_effect(client, make_user, measured):
    body = client.get(f"/api/v1/improvements/{measured.id}", headers=bearer(make_user("agent"))).json
    assert body["primary_metric"]["name"] == "First response time" and body["primary_metric"]["direction"] == "lower"
    assert body["target"] == 10.0 and body["change_date"] == CHANGE.isoformat()
    assert len(body["measurements"]) == 16 and body["measurements"][0]["value"] == 30
    assert body["baseline"] == {"n": 8, "mean": 30.125, "median": 30.0, "centre": 30.0}
    assert body["effect"]["verdict"] == "effective" and body["verdict"] == "effective"
    assert body["effect"]["result"]["median"] == 9.5 and body["effect"]["target_met"] is True
    assert body["actions"][0]["overdue"] is True
    assert client.get("/api/v1/improvements/999", headers=bearer(make_user("bo"))).status_code == 404


def test_only_quality_leads_push_measurements(client, make_user, measured):
    url = f"/api/v1/metrics/{measured.metric_id}/measurements"
    payload = {"measurements": [{"date": TODAY.isoformat(), "value": 9.5}]}
    assert client.post(url, json=payload, headers=bearer(make_user("agent"))).status_code == 403
    answer = client.post(url, json=payload, headers=bearer(make_user("kpi", "quality_lead")))
    assert answer.status_code == 201 and answer.json == {"metric": measured.metric_id, "created": 1}
    assert count_measurements() == 17


def test_a_push_with_a_bad_measurement_stores_nothing_and_lists_every_problem(client, make_user, measured):
    url = f"/api/v1/metrics/{measured.metric_id}/measurements"
    payload = {"measurements": [{"date": "2026-01-05", "value": 9}, {"date": "2026-01-06", "value": "abc"},
                                {"date": (TODAY + timedelta(days=2)).isoformat(), "value": 9}]}
    answer = client.post(url, json=payload, headers=bearer(make_user("kpi", "quality_lead")))
    assert answer.status_code == 400
    assert answer.json["error"]["problems"] == [
        "Measurement 2: The value 'abc' is not a number.",
        f"Measurement 3: The date {(TODAY + timedelta(days=2)).isoformat()} is in the future; "
        "measure first, then record."]
    assert count_measurements() == 16


def test_a_session_push_needs_the_csrf_header(client, login_as, measured):
    login_as("quality_lead", "ql")
    answer = client.post(f"/api/v1/metrics/{measured.metric_id}/measurements",
                         json={"date": TODAY.isoformat(), "value": 9})
    assert answer.status_code == 400 and "CSRF" in answer.json["error"]["reason"]


def test_the_import_command_imports_a_good_file_and_refuses_a_bad_one(app, make_improvement, tmp_path):
    make_improvement()
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("date,value\n2026-01-05,30\n2026-01-12,29\n")
    bad.write_text("date,value\n2026-02-05,30\n2026-02-12,soon\n")
    runner = app.test_cli_runner()
    answer = runner.invoke(args=["improvement", "import-measurements", str(good), "--metric", "first response time"])
    assert answer.exit_code == 0 and "Imported 2 measurements" in answer.output
    answer = runner.invoke(args=["improvement", "import-measurements", str(bad), "--metric", "First response time"])
    assert answer.exit_code == 1 and "Line 3: The value 'soon' is not a number." in answer.output
    assert count_measurements() == 2
