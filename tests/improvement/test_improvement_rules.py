"""The register's rules without a request: phase gates, overdue actions, measurements, CSV, phase time."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core import audit, clock
from core.db import db
from core.errors import Invalid
from improvement import causes_and_actions as work
from improvement import measurements_csv, metrics, phases, results, service
from improvement.models import Measurement, PhasePeriod

TODAY = clock.today()


def metric_named(name):
    return next(m for m in metrics.catalogue() if m.name == name)


def weekly(start: date, values, denominator=None):
    return [metrics.Reading(start + timedelta(weeks=i), v, denominator) for i, v in enumerate(values)]


def unmet(improvement):
    return [c.rule for c in phases.gate(improvement, TODAY) if not c.met]


def test_the_gate_to_do_lists_every_missing_piece_with_its_reason(make_improvement):
    improvement = make_improvement(problem="")
    checks = phases.gate(improvement, TODAY)
    assert [c.met for c in checks] == [False, True, False, False, False, False]
    assert "at least 6 are needed" in checks[3].reason
    with pytest.raises(Invalid) as refused:
        phases.advance(improvement, improvement.owner, TODAY)
    assert len(refused.value.problems) == 5 and improvement.phase == "plan"


def test_a_planned_improvement_moves_to_do_and_the_move_is_recorded(make_improvement):
    improvement = make_improvement(target=12.0, started_on=TODAY - timedelta(weeks=10))
    lead = improvement.owner
    metrics.add_readings(improvement.metric, weekly(TODAY - timedelta(weeks=8), [30, 31, 29, 32, 30, 28]), lead, "form")
    cause = work.add_cause(improvement, work.CauseDetails("No rota for the shared inbox", "process",
                                                          ["Nobody owns the inbox", "No rota"]), lead)
    work.add_action(improvement, work.ActionDetails("Start an inbox rota", "corrective", lead.id, TODAY, cause.id),
                    lead)
    assert unmet(improvement) == []
    assert phases.advance(improvement, lead, TODAY) == "do"
    assert [e.action for e in audit.trail("improvement", improvement.id)] == [
        "create", "add_cause", "add_action", "advance"]
    assert [p.phase for p in improvement.periods] == ["plan", "do"] and improvement.periods[0].left_at


def test_the_gate_to_check_waits_for_open_corrective_actions_but_not_containment(make_improvement):
    improvement = make_improvement()
    lead = improvement.owner
    improvement.phase = "do"
    work.add_action(improvement, work.ActionDetails("Reply with a holding message", "containment", lead.id, TODAY),
                    lead)
    fix = work.add_action(improvement, work.ActionDetails("Start an inbox rota", "corrective", lead.id, TODAY), lead)
    improvement.change_date = TODAY
    checks = phases.gate(improvement, TODAY)
    assert [c.met for c in checks] == [True, False] and "Start an inbox rota" in checks[1].reason
    with pytest.raises(Invalid):
        work.set_status(fix, "dropped", lead, TODAY)  # dropping needs a reason
    work.set_status(fix, "dropped", lead, TODAY, drop_reason="Replaced by the new queue")
    assert all(c.met for c in phases.gate(improvement, TODAY))


def test_a_change_date_in_the_future_does_not_open_the_gate_to_check(make_improvement):
    improvement = make_improvement()
    improvement.phase, improvement.change_date = "do", TODAY + timedelta(days=3)
    assert unmet(improvement) == ["The change date"]


def test_closing_an_adopted_improvement_needs_its_best_practice_article(make_improvement):
    improvement = make_improvement()
    improvement.phase = "act"
    assert unmet(improvement) == ["A decision: adopt, adapt or abandon"]
    phases.decide(improvement, "adopt", "Roll out to every team", improvement.owner)
    assert unmet(improvement) == ["Adopting needs a linked best-practice article"]
    phases.decide(improvement, "abandon", "", improvement.owner)
    assert phases.advance(improvement, improvement.owner, TODAY) == "closed"


def test_cancelling_needs_a_reason_and_ends_all_changes(make_improvement):
    improvement = make_improvement()
    with pytest.raises(Invalid, match="reason"):
        phases.cancel(improvement, improvement.owner, "  ")
    phases.cancel(improvement, improvement.owner, "Duplicate of another improvement")
    assert improvement.phase == "cancelled"
    with pytest.raises(Invalid, match="nothing can be changed"):
        work.add_cause(improvement, work.CauseDetails("x", "people"), improvement.owner)


def test_going_back_a_phase_is_allowed_and_recorded(make_improvement):
    improvement = make_improvement()
    improvement.phase = "check"
    phases.go_back(improvement, improvement.owner, "More data needed")
    assert improvement.phase == "do"
    assert audit.trail("improvement", improvement.id)[-1].after == {"phase": "do", "reason": "More data needed"}


def test_an_action_due_before_the_improvement_started_is_refused(make_improvement):
    improvement = make_improvement(started_on=TODAY)
    with pytest.raises(Invalid, match="before the improvement started"):
        work.add_action(improvement, work.ActionDetails("Rota", "corrective", improvement.owner_id,
                                                        TODAY - timedelta(days=1)), improvement.owner)
    assert improvement.actions == []


def test_overdue_is_derived_from_the_due_date_and_my_actions_lists_it_first(make_improvement, make_user):
    improvement = make_improvement(started_on=TODAY - timedelta(days=30))
    lead, agent = improvement.owner, make_user("agent")
    later, late, done = (work.add_action(improvement, work.ActionDetails(name, "corrective", agent.id,
                                                                         TODAY + timedelta(days)), lead)
                         for name, days in (("Later", 5), ("Late", -2), ("Done", -9)))
    work.set_status(done, "done", agent, TODAY)
    assert [late.overdue(TODAY), later.overdue(TODAY), done.overdue(TODAY)] == [True, False, False]
    assert later.overdue(TODAY + timedelta(days=6))
    assert [a.description for a in work.my_actions(agent, TODAY)] == ["Late", "Later", "Done"]
    assert [a.description for a in work.overdue_actions(TODAY)] == ["Late"]


def test_only_the_owner_or_a_quality_lead_may_update_an_action(make_improvement, make_user):
    improvement = make_improvement()
    owner, other = make_user("agent"), make_user("other")
    action = work.add_action(improvement, work.ActionDetails("Rota", "corrective", owner.id, TODAY), improvement.owner)
    assert work.may_update(action, owner) and work.may_update(action, improvement.owner)
    assert not work.may_update(action, other)


@pytest.mark.parametrize("when, value, denominator, problem", [
    ("2026-01-05", "abc", None, "is not a number"),
    ((TODAY + timedelta(days=1)).isoformat(), "10", None, "in the future"),
    ("5 Jan", "10", None, "not a date"),
    ("2026-01-05", "10", "-4", "leave the denominator empty"),
    ("2026-01-05", "", None, "value is missing"),
    ("2026-01-05", "nan", None, "finite"),
])
def test_a_bad_reading_of_a_plain_metric_says_what_is_wrong(app, when, value, denominator, problem):
    reading, problems = metrics.read(metric_named("First response time"), when, value, denominator, today=TODAY)
    assert reading is None and problem in " ".join(problems)


@pytest.mark.parametrize("value, denominator, problem", [
    ("40", None, "give the denominator"), ("40", "-5", "above 0"), ("60", "50", "between 0 and"),
])
def test_a_bad_reading_of_a_proportion_says_what_is_wrong(app, value, denominator, problem):
    reading, problems = metrics.read(metric_named("CSAT"), "2026-01-05", value, denominator, today=TODAY)
    assert reading is None and problem in " ".join(problems)


def test_a_date_measured_twice_refuses_the_whole_batch(make_improvement):
    improvement = make_improvement()
    first = weekly(date(2026, 1, 5), [30, 31])
    metrics.add_readings(improvement.metric, first, improvement.owner, "form")
    with pytest.raises(Invalid, match="2026-01-12"):
        metrics.add_readings(improvement.metric, weekly(date(2026, 1, 12), [1, 2]), improvement.owner, "form")
    assert db.session.scalar(select(func.count()).select_from(Measurement)) == 2


def test_a_csv_with_a_bad_row_is_refused_with_every_line_number(app):
    metric = metric_named("CSAT")
    text = "date,value,denominator,note\n2026-01-05,400,500,\n2026-01-12,abc,500,\n\n2026-01-19,410\n"
    with pytest.raises(Invalid) as refused:
        measurements_csv.parse(text, metric, TODAY)
    assert refused.value.problems == ["Line 3: The value 'abc' is not a number.",
                                      "Line 5: CSAT is counted out of a total: give the denominator."]


def test_a_csv_header_without_the_value_column_is_refused(app):
    with pytest.raises(Invalid, match="no 'value' column"):
        measurements_csv.parse("date,denominator\n2026-01-05,500\n", metric_named("CSAT"), TODAY)


def test_a_csv_without_a_header_reads_columns_in_order(app):
    readings = measurements_csv.parse("2026-01-05,30.5\n2026-01-12,29,,after the rota\n",
                                      metric_named("First response time"), TODAY)
    assert [(r.taken_on, r.value, r.note, r.line) for r in readings] == [
        (date(2026, 1, 5), 30.5, "", 1), (date(2026, 1, 12), 29.0, "after the rota", 2)]


def test_time_in_each_phase_adds_up_every_stay():
    start = datetime(2026, 1, 1)
    periods = [PhasePeriod(phase="plan", entered_at=start, left_at=start + timedelta(days=3)),
               PhasePeriod(phase="do", entered_at=start + timedelta(days=3), left_at=start + timedelta(days=5)),
               PhasePeriod(phase="plan", entered_at=start + timedelta(days=5), left_at=start + timedelta(days=6)),
               PhasePeriod(phase="do", entered_at=start + timedelta(days=6))]
    spent = phases.time_in_phases(periods, now=start + timedelta(days=10))
    assert spent == {"plan": timedelta(days=4), "do": timedelta(days=6)}


def test_editing_a_cause_replaces_its_why_chain_in_order_and_records_what_changed(make_improvement):
    improvement = make_improvement()
    cause = work.add_cause(improvement, work.CauseDetails("No rota", "process", ["a", "b"]), improvement.owner)
    db.session.commit()
    work.update_cause(cause, work.CauseDetails("No rota", "process", ["b", "c", "a"], verified=True),
                      improvement.owner)
    db.session.commit()
    assert [w.text for w in cause.whys] == ["b", "c", "a"] and [w.position for w in cause.whys] == [1, 2, 3]
    last = audit.trail("improvement", improvement.id)[-1]
    assert last.before == {"cause": cause.id, "whys": ["a", "b"], "verified": False}
    assert last.after == {"cause": cause.id, "whys": ["b", "c", "a"], "verified": True}


def test_the_why_chain_is_read_one_answer_per_line():
    assert work.parse_whys("1. Replies are late\n\n- Mails sit unread\r\n  No rota  ") == [
        "Replies are late", "Mails sit unread", "No rota"]


def test_an_article_knows_the_improvements_linked_to_it(make_improvement, make_article):
    article = make_article()
    first, second = make_improvement(title="First"), make_improvement(title="Second")
    service.link_article(second, article, second.owner, kind="standard")
    service.link_article(first, article, first.owner)
    service.link_article(first, article, first.owner)  # once is enough
    assert [i.title for i in service.improvements_for_article(article.id)] == ["Second", "First"]
    assert len(first.article_links) == 1


def test_the_verdict_is_explained_in_the_metric_s_own_units(make_improvement):
    improvement = make_improvement(metric="CSAT", target=85.0, started_on=date(2026, 1, 1),
                                   change_date=date(2026, 3, 2))
    satisfied = [150, 148, 152, 149, 151, 147] + [180, 181, 178, 183, 179, 182]
    metrics.add_readings(improvement.metric, weekly(date(2026, 1, 19), satisfied, denominator=200),
                         improvement.owner, "test")
    effect = results.effect_of(improvement)
    assert effect.verdict == "effective"
    sentences = results.explain(effect, improvement.metric)
    assert "The median moved from 74.8 % to 90.3 % (+20.7%)." in sentences
    assert "Target 85 %: met." in sentences


def test_too_few_points_say_so_and_nothing_about_signals(make_improvement):
    improvement = make_improvement(started_on=date(2026, 1, 1), change_date=date(2026, 2, 2))
    metrics.add_readings(improvement.metric, weekly(date(2026, 1, 5), [30, 31, 29, 32, 12, 11]),
                         improvement.owner, "test")
    sentences = results.explain(results.effect_of(improvement), improvement.metric)
    assert sentences[0] == "4 measurements before the change and 2 after; at least 6 are needed on each side."
    assert not any("No sustained signal" in s for s in sentences)


def test_measurements_older_than_a_year_before_the_change_make_no_baseline(make_improvement):
    improvement = make_improvement(target=12.0)
    metrics.add_readings(improvement.metric, weekly(TODAY - timedelta(days=500), [30] * 8), improvement.owner, "old")
    baseline = phases.gate(improvement, TODAY)[3]
    assert not baseline.met and baseline.reason.startswith("0 measurements")
