"""The register's pages: who may do what, CSRF, and bad input answered clearly with nothing changed."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.db import db
from improvement import causes_and_actions as work
from improvement import measurements_csv
from improvement.models import Action, Improvement, Measurement
from tests.support.counting import count

TODAY = clock.today()


pytestmark = pytest.mark.usefixtures("no_server_errors")


def phase_of(improvement_id: int) -> str:
    with db.engine.connect() as connection:
        return connection.scalar(select(Improvement.phase).where(Improvement.id == improvement_id))


@pytest.mark.parametrize("url", ["/improvements/new", "/improvements/{id}/edit", "/improvements/dashboard"])
def test_staff_cannot_open_the_pages_that_change_improvements(client, login_as, make_improvement, url):
    improvement = make_improvement()
    login_as("staff")
    assert client.get(url.format(id=improvement.id)).status_code == 403


@pytest.mark.parametrize("path, data", [
    ("/phase", {"direction": "forward"}), ("/cancel", {"reason": "No longer needed"}),
    ("/causes", {"statement": "No rota", "category": "process"}), ("/standardise", {}),
    ("/measurements", {"taken_on": "2026-01-05", "value": "30"}),
])
def test_staff_cannot_change_an_improvement(client, login_as, make_improvement, path, data):
    improvement = make_improvement()
    login_as("staff")
    page = f"/improvements/{improvement.id}"
    assert client.submit(page + path, data, token_from=page).status_code == 403
    assert phase_of(improvement.id) == "plan" and count(Measurement) == 0


@pytest.mark.parametrize("url", ["/improvements", "/improvements/{id}", "/my-actions", "/improvements/{id}/report"])
def test_anonymous_visitors_are_sent_to_log_in(client, make_improvement, url):
    improvement = make_improvement()
    answer = client.get(url.format(id=improvement.id))
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_everyone_logged_in_reads_the_register_and_the_improvement(client, login_as, make_improvement):
    improvement = make_improvement()
    login_as("staff")
    assert improvement.title in client.get("/improvements").text
    page = client.get(f"/improvements/{improvement.id}")
    assert page.status_code == 200 and "Move to Do" not in page.text and "A problem statement" in page.text


def test_a_state_change_without_the_csrf_token_is_refused(client, login_as, make_improvement):
    improvement = make_improvement()
    login_as("quality_lead")
    answer = client.post(f"/improvements/{improvement.id}/cancel", data={"reason": "Duplicate"})
    assert answer.status_code == 400 and phase_of(improvement.id) == "plan"


def test_an_action_owner_updates_their_own_action_and_nobody_else_s(client, login_as, make_improvement, make_user):
    improvement = make_improvement()
    other = make_user("other")
    mine = work.add_action(improvement, work.ActionDetails("Rota", "corrective", other.id, TODAY), improvement.owner)
    db.session.commit()
    agent = login_as("staff", "agent")
    theirs = work.add_action(db.session.get(Improvement, improvement.id),
                             work.ActionDetails("Script", "corrective", agent.id, TODAY), improvement.owner)
    db.session.commit()
    page = "/my-actions"
    assert "Script" in client.get(page).text
    assert client.submit(f"/improvements/actions/{theirs.id}/status", {"status": "done", "back": "mine"},
                         token_from=page).status_code == 303
    assert client.submit(f"/improvements/actions/{mine.id}/status", {"status": "done"},
                         token_from=page).status_code == 403
    db.session.remove()
    assert [db.session.get(Action, i).status for i in (theirs.id, mine.id)] == ["done", "open"]


@pytest.mark.parametrize("form, message", [
    ({"taken_on": "2026-01-05", "value": "abc"}, "The value &#39;abc&#39; is not a number."),
    ({"taken_on": (TODAY + timedelta(days=1)).isoformat(), "value": "30"}, "is in the future"),
    ({"kind": "paste", "rows": "date,denominator\n2026-01-05,4\n"}, "The header has no &#39;value&#39; column."),
    ({"kind": "paste", "rows": "2026-01-05,31\n2026-01-12,31,,ok,extra\n2026-01-19,x\n"}, "Line 3: The value"),
])
def test_bad_measurements_are_refused_with_a_clear_message(client, login_as, make_improvement, form, message):
    improvement = make_improvement()
    login_as("quality_lead")
    page = f"/improvements/{improvement.id}"
    answer = client.submit(f"{page}/measurements", form, token_from=page)
    assert answer.status_code == 400 and message in answer.text
    assert count(Measurement) == 0


def test_an_upload_with_a_bad_row_imports_nothing_and_names_the_line(client, login_as, make_improvement):
    improvement = make_improvement()
    login_as("quality_lead")
    page = f"/improvements/{improvement.id}"
    data = b"date,value\n2026-01-05,30\n2026-01-12,-\n"
    answer = client.submit(f"{page}/measurements/upload", {"file": (io.BytesIO(data), "kpi.csv")},
                           token_from=page, content_type="multipart/form-data")
    assert answer.status_code == 400 and "Line 3: The value &#39;-&#39; is not a number." in answer.text
    assert count(Measurement) == 0


@pytest.mark.parametrize("name, data, message", [
    ("kpi.xlsx", b"date,value\n", "Upload a .csv file."),
    ("kpi.csv", b"date,value\n" + b"2026-01-05,1\n" * 10, "larger than"),
    ("kpi.csv", b"\xff\xfe\x00d", "not UTF-8"),
])
def test_an_upload_of_the_wrong_type_or_size_is_refused(client, login_as, make_improvement, monkeypatch,
                                                        name, data, message):
    monkeypatch.setattr(measurements_csv, "MAX_BYTES", 100)  # small, so the test sends little
    improvement = make_improvement()
    login_as("quality_lead")
    page = f"/improvements/{improvement.id}"
    answer = client.submit(f"{page}/measurements/upload", {"file": (io.BytesIO(data), name)},
                           token_from=page, content_type="multipart/form-data")
    assert answer.status_code == 400 and message in answer.text
    assert count(Measurement) == 0


def test_an_action_due_before_the_start_is_refused_on_the_page(client, login_as, make_improvement):
    improvement = make_improvement()
    lead = login_as("quality_lead")
    page = f"/improvements/{improvement.id}"
    answer = client.submit(f"{page}/actions", {"description": "Rota", "kind": "corrective", "owner_id": lead.id,
                                               "due_on": (TODAY - timedelta(days=3)).isoformat(), "cause_id": 0},
                           token_from=page)
    assert answer.status_code == 400 and "is before the improvement started" in answer.text
    assert count(Action) == 0


def test_cancelling_without_a_reason_is_refused_and_with_one_is_recorded(client, login_as, make_improvement):
    improvement = make_improvement()
    login_as("quality_lead")
    page = f"/improvements/{improvement.id}"
    answer = client.submit(f"{page}/cancel", {"reason": ""}, token_from=page)
    assert answer.status_code == 400 and "Give the reason for cancelling." in answer.text
    assert client.submit(f"{page}/cancel", {"reason": "A duplicate of #1"}, token_from=page).status_code == 303
    shown = client.get(page).text
    assert phase_of(improvement.id) == "cancelled" and "A duplicate of #1" in shown and "cancelled" in shown


def test_the_timeline_shows_who_changed_what(client, login_as, make_improvement):
    improvement = make_improvement()
    lead = login_as("quality_lead")
    page = f"/improvements/{improvement.id}"
    client.submit(f"{page}/causes", {"statement": "No rota", "category": "process", "whys": "a\nb"}, token_from=page)
    client.submit(f"{page}/measurements", {"taken_on": "2026-01-05", "value": "30"}, token_from=page)
    timeline = client.get(page).text.split('id="timeline"')[1]
    assert "root cause added" in timeline and "measurements added" in timeline and lead.name in timeline
    assert "opened" in timeline


def test_a_quality_lead_adds_a_metric_and_a_p_chart_must_be_a_proportion(client, login_as):
    login_as("quality_lead")
    page = "/improvements/metrics"
    form = {"name": "Abandoned calls", "unit": "%", "direction": "lower", "chart": "p", "scale": "100",
            "description": "Calls hung up in the queue"}
    answer = client.submit(page, form, token_from=page)
    assert answer.status_code == 400 and "A p chart is for proportions" in answer.text
    assert client.submit(page, form | {"proportion": "y"}, token_from=page).status_code == 303
    assert "Abandoned calls" in client.get(page).text and "CSAT" in client.get(page).text


def test_a_metric_with_a_scale_of_zero_is_refused_not_stored_as_one(client, login_as):
    login_as("quality_lead")
    page = "/improvements/metrics"
    form = {"name": "Abandoned calls", "direction": "lower", "chart": "xmr", "scale": "0"}
    answer = client.submit(page, form, token_from=page)
    assert answer.status_code == 400 and "The scale must be above 0." in answer.text
    assert "Abandoned calls" not in client.get(page).text


def test_staff_read_the_metric_catalogue_but_cannot_add_to_it(client, login_as):
    login_as("staff")
    page = "/improvements/metrics"
    assert client.get(page).status_code == 200
    assert client.submit(page, {"name": "X", "direction": "lower", "chart": "xmr"}, token_from=page).status_code == 403


def test_an_infinite_target_is_refused(client, login_as, make_improvement):
    improvement = make_improvement()
    lead = login_as("quality_lead")
    edit = f"/improvements/{improvement.id}/edit"
    answer = client.submit(edit, {"title": "T", "source": "complaint", "dimension": "empathy", "severity": "low",
                                  "owner_id": lead.id, "metric_id": improvement.metric_id, "target": "1e999",
                                  "follows_id": 0}, token_from=edit)
    assert answer.status_code == 400 and "The target must be a finite number." in answer.text
    db.session.remove()
    assert db.session.get(Improvement, improvement.id).title == "Slow first replies to e-mail"


def test_a_follow_up_cycle_links_both_ways(client, login_as, make_improvement):
    earlier = make_improvement(title="First try")
    later = make_improvement(title="Second try", follows_id=earlier.id)
    login_as("staff")
    assert f'href="/improvements/{later.id}">#{later.id} Second try' in client.get(f"/improvements/{earlier.id}").text
    assert f'href="/improvements/{earlier.id}">#{earlier.id} First try' in client.get(f"/improvements/{later.id}").text
