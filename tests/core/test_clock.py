"""core.clock: the app's date is the real one unless SERVICEBOOK_TODAY pins it (the tests pin it for the whole run,
tests/conftest.py), and a bad value is an error naming the variable. Through the real stack: the review page, the
review confirmation and, under gunicorn, the API's "overdue" all live on the pinned date."""
import json
import os
import urllib.request
from datetime import date, timedelta

import pytest

from accounts import tokens
from core import clock
from core.db import db
from improvement import causes_and_actions as work
from tests.support.gunicorn import running_gunicorn
from wsgi import create_app

OVERDUE = '<span class="badge overdue">'


def test_the_pinned_date_is_today(monkeypatch):
    monkeypatch.setenv(clock.VARIABLE, "2031-03-10")
    assert clock.today() == date(2031, 3, 10)
    monkeypatch.setenv(clock.VARIABLE, "1999-12-31")  # read at each call, not once
    assert clock.today() == date(1999, 12, 31)


def test_unset_or_empty_is_the_real_date(monkeypatch):
    monkeypatch.delenv(clock.VARIABLE)
    assert clock.today() in {date.today(), date.today() - timedelta(days=1)}  # the call may straddle midnight
    monkeypatch.setenv(clock.VARIABLE, " ")
    assert clock.today() in {date.today(), date.today() - timedelta(days=1)}


@pytest.mark.parametrize("value", ["tomorrow", "2026-02-30", "30.11.2026", "2026-11", "20261130", "2026-W48-1"])
def test_a_bad_value_is_an_error_that_names_the_variable(monkeypatch, value):
    monkeypatch.setenv(clock.VARIABLE, value)
    with pytest.raises(ValueError, match=rf"SERVICEBOOK_TODAY='{value}' is not a date: write it as YYYY-MM-DD"):
        clock.today()


def test_a_bad_value_stops_the_app_at_start_up(monkeypatch, tmp_path):
    monkeypatch.setenv(clock.VARIABLE, "someday")
    with pytest.raises(ValueError, match="SERVICEBOOK_TODAY"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}", "INSTANCE_PATH": str(tmp_path),
                    "SECRET_KEY": "test", "TESTING": True})


def test_pinned_moves_the_date_for_a_block_and_puts_it_back(monkeypatch):
    monkeypatch.setenv(clock.VARIABLE, "2030-01-01")
    with clock.pinned(date(2031, 3, 10)) as day:
        assert clock.today() == day == date(2031, 3, 10)
    assert clock.today() == date(2030, 1, 1)
    monkeypatch.delenv(clock.VARIABLE)
    with clock.pinned(date(2031, 3, 10)):
        assert clock.today() == date(2031, 3, 10)
    assert clock.VARIABLE not in os.environ


def test_the_review_pages_live_on_the_pinned_date(client, login_as, make_article, monkeypatch):
    """An article due for review on 2031-03-10: years away on the real date, due soon on 2031-03-01, overdue on
    2031-03-12; confirming it then sets the next review a year after the pinned date."""
    owner = login_as("editor")
    article = make_article(title="Refund a double charge", owner=owner, review_by=date(2031, 3, 10))
    monkeypatch.delenv(clock.VARIABLE)
    assert "Refund a double charge" not in client.get("/kb/review").text
    monkeypatch.setenv(clock.VARIABLE, "2031-03-01")
    page = client.get("/kb/review").text
    assert "Refund a double charge" in page and OVERDUE not in page
    monkeypatch.setenv(clock.VARIABLE, "2031-03-12")
    page = client.get("/kb/review").text
    assert "Refund a double charge" in page and OVERDUE in page
    answer = client.submit(f"/kb/articles/{article.id}/reviewed", {"base_version": article.version, "back": "review"})
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(article), article.id).review_by == date(2031, 3, 12) + timedelta(days=365)


def test_gunicorn_lives_on_the_pinned_date_of_the_process_that_starts_it(app, database_url, make_improvement,
                                                                         monkeypatch, tmp_path):
    """An action due 2030-06-14 is overdue on the pinned 2030-06-15, not on the real date: the API under gunicorn
    (which inherits the environment, as every server the tests start) answers as on the pinned date."""
    monkeypatch.setenv(clock.VARIABLE, "2030-06-15")
    improvement = make_improvement(started_on=date(2030, 6, 1))
    lead = improvement.owner
    work.add_action(improvement, work.ActionDetails("Start an inbox rota", "corrective", lead.id, date(2030, 6, 14)),
                    lead)
    token = tokens.issue_token(lead, "clock test")
    db.session.commit()
    assert improvement.actions[0].overdue(clock.today())
    with running_gunicorn(app, database_url, tmp_path / "gunicorn.log") as (base, _process):
        monkeypatch.delenv(clock.VARIABLE)  # this process back on the real date; the server keeps its own
        assert not improvement.actions[0].overdue(clock.today())
        request = urllib.request.Request(f"{base}/api/v1/improvements/{improvement.id}",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            [action] = json.loads(answer.read())["actions"]
    assert action["due_on"] == "2030-06-14" and action["overdue"] is True
