"""The quality leads' dashboard: Pareto, overdue actions, verdicts of checked cycles, time in phases."""
from datetime import timedelta

from core import clock
from core.db import db, utcnow
from improvement import causes_and_actions as work
from improvement import dashboard, metrics

TODAY = clock.today()


def test_the_pareto_puts_the_biggest_category_first_with_the_running_share():
    bars = dashboard.pareto({"process": 5, "people": 3, "policy": 0, "place": 1, "product": 1})
    assert [(b.category, b.count) for b in bars] == [("process", 5), ("people", 3), ("place", 1), ("product", 1)]
    assert [round(b.share) for b in bars] == [50, 30, 10, 10]
    assert [round(b.cumulative) for b in bars] == [50, 80, 90, 100]
    assert dashboard.pareto({}) == []


def test_the_dashboard_shows_phases_overdue_actions_verdicts_and_the_pareto(client, login_as, make_improvement):
    change = TODAY - timedelta(days=8)
    checked = make_improvement(title="Slow e-mail", started_on=change - timedelta(days=20), change_date=change,
                               target=12.0)
    values = [30, 31, 29, 32, 30, 28, 31, 30] + [12, 11, 9, 10, 8, 9, 10, 9]
    metrics.add_readings(checked.metric, [metrics.Reading(change - timedelta(days=8 - i), v)
                                          for i, v in enumerate(values)], checked.owner, "test")
    checked.phase = "check"
    planned = make_improvement(title="Rude phone greetings", dimension="empathy", started_on=TODAY - timedelta(9))
    for statement, category in (("No script", "process"), ("No coaching", "people"), ("No rota", "process")):
        work.add_cause(planned, work.CauseDetails(statement, category), planned.owner)
    work.add_action(planned, work.ActionDetails("Write a greeting script", "corrective", planned.owner_id,
                                                TODAY - timedelta(days=1)), planned.owner)
    db.session.commit()
    login_as("quality_lead", "ql")
    page = client.get("/improvements/dashboard")
    assert page.status_code == 200
    overdue = page.text.split('id="overdue"')[1].split("</section>")[0]
    assert "Write a greeting script" in overdue
    cycles = page.text.split('id="cycles"')[1].split("</section>")[0]
    assert "Slow e-mail" in cycles and "verdict-effective" in cycles and "<svg" in cycles
    assert "Rude phone greetings" not in cycles
    pareto = page.text.split('id="pareto"')[1]
    assert pareto.index("Process") < pareto.index("People") and "67%" in pareto


def test_the_average_time_in_each_phase_counts_each_improvement(make_improvement):
    first, second = make_improvement(title="A"), make_improvement(title="B")
    start = utcnow() - timedelta(days=10)
    first.periods[0].entered_at = second.periods[0].entered_at = start
    first.periods[0].left_at = start + timedelta(days=2)
    first.periods.append(type(first.periods[0])(phase="do", entered_at=start + timedelta(days=2)))
    first.phase = "do"
    db.session.commit()
    days = dashboard.average_days_in_phase(start + timedelta(days=10))
    assert days == {"plan": 6.0, "do": 8.0}
