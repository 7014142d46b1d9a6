"""The phase gates as pure rules over facts, without a database."""
from datetime import date

from improvement.effect import MIN_POINTS
from improvement.gates import GateFacts, gate_rules

TODAY = date(2026, 6, 1)


def unmet(facts: GateFacts) -> list[str]:
    return [check.rule for check in gate_rules(facts, TODAY) if not check.met]


def test_plan_needs_a_problem_metric_target_baseline_cause_and_action():
    assert unmet(GateFacts("plan")) == ["A problem statement", "A primary metric", "A target", "A baseline",
                                        "At least one root cause", "At least one action"]


def test_plan_is_ready_when_every_fact_is_there():
    ready = GateFacts("plan", has_problem=True, metric_name="CSAT", has_target=True, baseline_points=MIN_POINTS,
                      causes=1, actions=2)
    assert unmet(ready) == []


def test_a_baseline_needs_enough_measurements():
    facts = GateFacts("plan", has_problem=True, metric_name="CSAT", has_target=True,
                      baseline_points=MIN_POINTS - 1, causes=1, actions=1)
    assert unmet(facts) == ["A baseline"]


def test_do_needs_a_change_date_not_in_the_future_and_no_unfinished_action():
    assert unmet(GateFacts("do", change_date=date(2026, 6, 2))) == ["The change date"]
    facts = GateFacts("do", change_date=TODAY, unfinished=["Rewrite the macro"])
    [check] = [c for c in gate_rules(facts, TODAY) if not c.met]
    assert "Rewrite the macro" in check.reason


def test_check_needs_a_verdict_from_enough_measurements():
    assert unmet(GateFacts("check", verdict="not_enough_data", points_after=3)) == [
        "The effect measured after the change"]
    assert unmet(GateFacts("check", verdict="no_signal", points_after=12)) == []


def test_adopting_needs_a_standardised_article_but_abandoning_does_not():
    assert unmet(GateFacts("act", decision="adopt")) == ["Adopting needs a linked best-practice article"]
    assert unmet(GateFacts("act", decision="adopt", standardised=True)) == []
    assert unmet(GateFacts("act", decision="abandon")) == []
    assert unmet(GateFacts("act")) == ["A decision: adopt, adapt or abandon"]


def test_closed_and_cancelled_have_no_gate():
    assert gate_rules(GateFacts("closed"), TODAY) == gate_rules(GateFacts("cancelled"), TODAY) == []
