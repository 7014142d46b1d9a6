"""The measured effect of a change: worked series with the arithmetic done by hand."""
from datetime import date, timedelta

import pytest

from improvement.effect import (
    MIN_POINTS,
    Point,
    crossings_limit,
    describe,
    longest_run_limit,
    measured_effect,
    run_signals,
)

START = date(2024, 1, 1)


def weekly(before, after, denominators=None):
    """Points a week apart; returns them and the date of the first point after the change."""
    values = list(before) + list(after)
    dens = list(denominators) if denominators else [None] * len(values)
    points = [Point(START + timedelta(weeks=i), v, d) for i, (v, d) in enumerate(zip(values, dens))]
    return points, START + timedelta(weeks=len(before))


# --- Anhoj limits --------------------------------------------------------------------------

@pytest.mark.parametrize("n, run_limit, cross_limit", [
    # run limit round(log2(n) + 3); crossings limit qbinom(0.05, n - 1, 0.5)
    (6, 6, 1),    # log2 6 = 2.585 -> 5.585 -> 6; P(X<=0)=1/32=.031, P(X<=1)=6/32=.19 -> 1
    (9, 6, 2),    # 3.170 -> 6.170 -> 6; P(X<=1)=9/256=.035, P(X<=2)=37/256=.145 -> 2
    (10, 6, 2),   # 3.322 -> 6.322 -> 6; P(X<=1)=10/512=.0195, P(X<=2)=46/512=.090 -> 2
    (20, 7, 6),   # 4.322 -> 7.322 -> 7; P(X<=5)=16664/524288=.0318, P(X<=6)=43796/524288=.0835
    (24, 8, 8),   # 4.585 -> 7.585 -> 8; P(X<=7)=390656/8388608=.047, P(X<=8)=.105 -> 8
])
def test_anhoj_limits_match_the_published_table(n, run_limit, cross_limit):
    assert longest_run_limit(n) == run_limit
    assert crossings_limit(n) == cross_limit


def test_anhoj_limits_refuse_zero_useful_points():
    with pytest.raises(ValueError):
        crossings_limit(0)


def test_run_of_seven_among_ten_is_a_shift_but_six_is_not():
    # n = 10, limit 6: a run of 7 is longer than 6, a run of 6 is not.
    seven = run_signals([1, 1, 1, 1, 1, 1, 1, -1, 1, -1], 0)
    six = run_signals([1, 1, 1, 1, 1, 1, -1, 1, -1, 1], 0)
    assert (seven.longest_run, seven.longest_run_limit, seven.shift) == (7, 6, True)
    assert (six.longest_run, six.shift) == (6, False)


def test_points_on_the_median_neither_break_nor_extend_a_run():
    # sides: A A (on) A B -> useful 4, runs [A3, B1], crossings 1
    signals = run_signals([2, 3, 0, 4, -1], 0)
    assert (signals.useful, signals.longest_run, signals.crossings) == (4, 3, 1)


def test_too_few_crossings_is_a_signal_without_a_shift():
    # 20 points in runs of 4: A B A B A -> longest 4 <= 7, crossings 4 < 6
    signals = run_signals(([1] * 4 + [-1] * 4) * 2 + [1] * 4, 0)
    assert (signals.longest_run, signals.crossings, signals.crossings_limit) == (4, 4, 6)
    assert not signals.shift and signals.too_few_crossings
    assert signals.side == "above"      # the latest of the longest runs


# --- worked series -------------------------------------------------------------------------

def test_clear_shift_upwards_with_target_met_is_effective():
    # before sorted: 10 10 11 11 12 12 12 13 -> median (11 + 12) / 2 = 11.5
    # after: 9 points all above 11.5 -> run 9 > round(log2 9 + 3) = 6; crossings 0 < 2
    # after sorted: 13 14 14 14 15 15 15 16 16 -> median 15; change 15 - 11.5 = 3.5
    # percent 3.5 / 11.5 = 30.43%; target 14 <= 15 -> met
    points, change = weekly([10, 12, 11, 13, 12, 11, 10, 12], [14, 15, 13, 16, 14, 15, 16, 14, 15])
    effect = measured_effect(points, change, direction="higher", chart="run", target=14)
    assert (effect.baseline.n, effect.baseline.median, effect.baseline.mean) == (8, 11.5, 11.375)
    assert (effect.result.n, effect.result.centre) == (9, 15)
    assert effect.change == pytest.approx(3.5)
    assert effect.percent_change == pytest.approx(30.4347826)
    assert effect.improved and effect.target_met
    assert effect.sustained_signal == "good"
    assert effect.verdict == "effective"
    assert ("shift", {"run": 9, "limit": 6, "side": "above"}) in effect.reasons
    assert ("crossings", {"crossings": 0, "limit": 2, "side": "above"}) in effect.reasons


def test_clear_shift_with_target_missed_is_improved_target_not_met():
    # the same series; result median 15 < target 16
    points, change = weekly([10, 12, 11, 13, 12, 11, 10, 12], [14, 15, 13, 16, 14, 15, 16, 14, 15])
    effect = measured_effect(points, change, direction="higher", chart="run", target=16)
    assert effect.target_met is False
    assert effect.verdict == "improved_target_not_met"


def test_trend_through_the_median_is_not_a_signal():
    # before sorted: 9 9 10 10 11 11 12 12 -> median 10.5
    # after 7..14: B B B B A A A A -> n 8, longest 4 <= 6, crossings 1, not < qbinom(.05,7,.5)=1
    # after median (10 + 11) / 2 = 10.5 -> change 0, not improved
    points, change = weekly([10, 11, 9, 12, 10, 11, 9, 12], [7, 8, 9, 10, 11, 12, 13, 14])
    effect = measured_effect(points, change, direction="higher", chart="run")
    assert (effect.runs.longest_run, effect.runs.crossings) == (4, 1)
    assert (effect.runs.longest_run_limit, effect.runs.crossings_limit) == (6, 1)
    assert effect.change == 0 and effect.improved is False
    assert effect.verdict == "no_signal"
    assert ("no_signal", {"run": 4, "run_limit": 6, "crossings": 1,
                          "crossings_limit": 1}) in effect.reasons


def test_noise_around_the_baseline_median_is_no_signal():
    # before sorted: 18 19 20 20 21 21 22 23 -> median 20.5
    # after alternates A B A B A B A B -> longest 1, crossings 7 (limit 1)
    # xmr: mean 164 / 8 = 20.5; moving ranges 2 3 2 1 3 5 3 -> 19 / 7 = 2.714
    # limits 20.5 -+ 2.66 * 2.714 = 13.28 .. 27.72 -> no after point outside
    points, change = weekly([20, 22, 19, 21, 20, 23, 18, 21], [21, 19, 22, 20, 23, 19, 21, 20])
    effect = measured_effect(points, change, direction="higher", chart="xmr")
    assert (effect.runs.longest_run, effect.runs.crossings) == (1, 7)
    assert effect.limits.average_moving_range == pytest.approx(19 / 7)
    assert effect.points_outside == ()
    assert effect.verdict == "no_signal"


def test_shift_in_the_bad_direction_is_worse():
    # lower is better. before sorted: 27 28 29 30 30 31 32 33 -> median 30
    # after: 34 36 35 30 37 33 38 35; 30 is on the median, the other 7 are above
    # run 7 (through the 30) > round(log2 7 + 3) = 6; crossings 0 < 1
    # after sorted: 30 33 34 35 35 36 37 38 -> median 35; change +5; 5 / 30 = 16.67%
    points, change = weekly([30, 28, 32, 29, 31, 30, 27, 33], [34, 36, 35, 30, 37, 33, 38, 35])
    effect = measured_effect(points, change, direction="lower", chart="run", target=25)
    assert (effect.runs.useful, effect.runs.longest_run, effect.runs.side) == (7, 7, "above")
    assert effect.change == 5 and effect.percent_change == pytest.approx(16.6666667)
    assert effect.improved is False and effect.target_met is False
    assert effect.sustained_signal == "bad"
    assert effect.verdict == "worse"


def test_fewer_than_six_points_on_a_side_is_not_enough_data():
    # 6 before, 3 after: the counts and the number needed are still given
    points, change = weekly([5, 6, 5, 7, 6, 5], [9, 9, 9])
    effect = measured_effect(points, change, direction="higher", chart="run")
    assert effect.verdict == "not_enough_data"
    assert (effect.baseline.n, effect.result.n, effect.needed) == (6, 3, MIN_POINTS)
    assert effect.reasons[0] == ("not_enough_data", {"before": 6, "after": 3, "needed": 6})
    assert describe(effect).startswith("Not enough data: 6 points before and 3 after")


# --- limits ---------------------------------------------------------------------------------

def test_xmr_limits_come_from_the_baseline_only():
    # before 5 7 6 9 8: mean 35 / 5 = 7; moving ranges 2 1 3 1 -> MR-bar 7 / 4 = 1.75
    # limits 7 -+ 2.66 * 1.75 = 7 -+ 4.655 -> 2.345 .. 11.655; after 12 is above, 7 is inside
    points, change = weekly([5, 7, 6, 9, 8], [12, 7])
    effect = measured_effect(points, change, direction="higher", chart="xmr")
    limits = effect.limits
    assert limits.centre == pytest.approx(7)
    assert limits.average_moving_range == pytest.approx(1.75)
    assert (limits.lower, limits.upper) == (pytest.approx(2.345), pytest.approx(11.655))
    assert [(o.value, o.side) for o in effect.points_outside] == [(12, "above")]
    assert effect.points_outside[0].limit == pytest.approx(11.655)


def test_p_chart_uses_pooled_rate_and_per_point_limits():
    # before 8 12 10 9 11 10 out of 100 each: p-bar 60 / 600 = 0.1, median rate 0.10
    # n=100: sigma sqrt(.1 * .9 / 100) = .03 -> .01 .. .19
    # n=400: sigma .015 -> .055 .. .145, so 4/400 = .01 is below
    # n=25:  sigma .06 -> -.08 clipped to 0 .. .28
    # after rates .04 .05 .03 .06 .04 .05 .01: all below .10 -> run 7 > 6, lower is better
    # result: pooled 31 / 1000 = .031; median of .01 .03 .04 .04 .05 .05 .06 = .04 <= target .05
    befores = [8, 12, 10, 9, 11, 10]
    afters = [4, 5, 3, 6, 4, 5, 4]
    points, change = weekly(befores, afters, [100] * 12 + [400])
    effect = measured_effect(points, change, direction="lower", chart="p", target=0.05)
    assert effect.limits.centre == pytest.approx(0.1)
    assert effect.limits.bounds(Point(START, 0, 100)) == (pytest.approx(0.01), pytest.approx(0.19))
    assert effect.limits.bounds(Point(START, 0, 400)) == (pytest.approx(0.055),
                                                          pytest.approx(0.145))
    assert effect.limits.bounds(Point(START, 0, 25)) == (0.0, pytest.approx(0.28))
    assert (effect.baseline.mean, effect.baseline.median) == (pytest.approx(0.1), pytest.approx(0.1))
    assert (effect.result.mean, effect.result.median) == (pytest.approx(0.031), pytest.approx(0.04))
    assert effect.change == pytest.approx(-0.06) and effect.percent_change == pytest.approx(-60)
    assert [(o.point.denominator, o.side) for o in effect.points_outside] == [(400, "below")]
    assert effect.verdict == "effective"


def test_point_exactly_on_a_p_limit_is_not_outside():
    # p-bar .1, n=100: lower limit .1 - 3 * .03 = .01 (with rounding error); 1/100 = .01
    points, change = weekly([8, 12, 10, 9, 11, 10], [1], [100] * 7)
    effect = measured_effect(points, change, direction="lower", chart="p")
    assert effect.points_outside == ()


# --- edge cases ----------------------------------------------------------------------------

def test_empty_input_is_not_enough_data_with_zero_counts():
    effect = measured_effect([], START, direction="higher", chart="xmr")
    assert (effect.verdict, effect.baseline.n, effect.result.n) == ("not_enough_data", 0, 0)
    assert effect.change is None and effect.runs is None and effect.limits is None


def test_all_equal_values_give_zero_moving_range_and_no_signal():
    points, change = weekly([4] * 6, [4] * 6)
    effect = measured_effect(points, change, direction="higher", chart="xmr")
    assert effect.limits.average_moving_range == 0
    assert effect.limits.lower == effect.limits.upper == 4
    assert effect.runs.useful == 0 and not effect.runs.signal
    assert effect.points_outside == ()
    assert effect.verdict == "no_signal"


@pytest.mark.parametrize("denominator", [0, None, -5])
def test_p_chart_refuses_a_missing_or_zero_denominator(denominator):
    points = [Point(START, 1, 10), Point(START + timedelta(days=1), 1, denominator)]
    with pytest.raises(ValueError, match="denominator above 0"):
        measured_effect(points, START, direction="higher", chart="p")


def test_p_chart_refuses_a_count_above_its_denominator():
    with pytest.raises(ValueError, match="0 <= value <= denominator"):
        measured_effect([Point(START, 11, 10)], START, direction="higher", chart="p")


def test_unknown_chart_direction_or_statistic_is_refused():
    for kwargs in ({"chart": "bar"}, {"direction": "up"}, {"statistic": "mode"}):
        arguments = {"direction": "higher", "chart": "run", **kwargs}
        with pytest.raises(ValueError):
            measured_effect([], START, **arguments)


def test_unsorted_input_gives_the_same_effect_as_sorted():
    points, change = weekly([10, 12, 11, 13, 12, 11, 10, 12], [14, 15, 13, 16, 14, 15, 16, 14, 15])
    shuffled = points[::2] + points[1::2]
    assert (measured_effect(shuffled, change, direction="higher", chart="xmr")
            == measured_effect(points, change, direction="higher", chart="xmr"))


def test_points_sharing_a_date_are_kept_as_separate_measurements():
    points = [Point(START, 1), Point(START, 3), Point(START + timedelta(days=1), 5)]
    effect = measured_effect(points, START + timedelta(days=1), direction="higher", chart="xmr")
    # baseline 1 and 3: mean 2, one moving range of 2
    assert (effect.baseline.n, effect.baseline.mean) == (2, 2)
    assert effect.limits.average_moving_range == 2


def test_change_date_point_belongs_to_the_result():
    points = [Point(START, 1), Point(START + timedelta(days=1), 2)]
    effect = measured_effect(points, START + timedelta(days=1), direction="higher", chart="run")
    assert (effect.baseline.n, effect.result.n, effect.result.median) == (1, 1, 2)


def test_percent_change_is_none_when_the_baseline_centre_is_zero():
    points, change = weekly([0, 0, 0], [1, 1, 1])
    effect = measured_effect(points, change, direction="higher", chart="run")
    assert effect.change == 1 and effect.percent_change is None


def test_target_met_is_none_without_a_target():
    points, change = weekly([1, 2], [3, 4])
    assert measured_effect(points, change, direction="higher", chart="run").target_met is None


def test_mean_statistic_uses_the_mean_as_centre():
    # before 1 2 6: mean 3, median 2; after 4 5 9: mean 6 -> change 3, percent 100
    points, change = weekly([1, 2, 6], [4, 5, 9])
    effect = measured_effect(points, change, direction="higher", chart="run", statistic="mean")
    assert (effect.baseline.centre, effect.result.centre) == (3, 6)
    assert effect.percent_change == pytest.approx(100)


def test_describe_names_the_signal_and_the_move_in_english():
    points, change = weekly([10, 12, 11, 13, 12, 11, 10, 12], [14, 15, 13, 16, 14, 15, 16, 14, 15])
    effect = measured_effect(points, change, direction="higher", chart="run", target=14)
    assert describe(effect) == ("The change was effective. Signal: a run of 9 (limit 6) above "
                                "the baseline median. The median moved from 11.5 to 15 "
                                "(+30.4%). Target 14 met.")
