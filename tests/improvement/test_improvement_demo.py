"""The demo improvements: every phase, and one whole cycle with its measurements, verdict and best practice."""
import demo
from improvement import results, service


def test_the_demo_has_an_improvement_in_each_phase_and_one_complete_cycle(app):
    assert "5 improvements" in demo.load()
    found = {i.phase: i for i in service.improvements()}
    assert set(found) == {"plan", "do", "check", "act", "closed"}
    closed = found["closed"]
    effect = results.effect_of(closed)
    assert effect.baseline.n >= 12 and effect.result.n >= 12 and effect.verdict == "effective"
    article = service.standard_article(closed)
    assert article.type == "best_practice" and article.state == "draft" and closed.decision == "adopt"
    assert results.effect_of(found["act"]).verdict == "improved_target_not_met"
    assert results.effect_of(found["check"]).verdict == "not_enough_data"
