"""Making Data Count icons and funnel limits: worked series with the arithmetic done by hand."""
from datetime import date, timedelta

import pytest

from improvement.effect import Point
from improvement.spc import (
    Signal,
    assurance,
    funnel,
    grouped,
    outside_limits,
    read,
    runs,
    trends,
    two_of_three,
    variation,
)

START = date(2025, 1, 6)


def weekly(values, denominators=None):
    dens = list(denominators) if denominators else [None] * len(values)
    return [Point(START + timedelta(weeks=i), v, d) for i, (v, d) in enumerate(zip(values, dens))]


# --- the rules, one at a time -------------------------------------------------------------------

def test_a_point_beyond_a_limit_is_outside_and_a_point_on_it_is_not():
    found = outside_limits([5, 10, -1, 0], [(0, 10)] * 4)
    assert found == [Signal("outside", "low", (2,))]


def test_a_run_of_seven_on_one_side_is_a_signal_and_six_is_not():
    # centre 0: six above, one ON the centre (breaks the run), then seven below
    values = [1, 1, 1, 1, 1, 1, 0, -1, -1, -1, -1, -1, -1, -1]
    assert runs(values, 0) == [Signal("run", "low", tuple(range(7, 14)))]


def test_seven_points_each_higher_are_a_trend_six_are_not_and_an_equal_pair_breaks_one():
    assert trends([5, 1, 2, 3, 4, 5, 6, 7]) == [Signal("trend", "high", tuple(range(1, 8)))]
    assert trends([1, 2, 3, 4, 5, 6]) == []
    assert trends([1, 2, 3, 3, 4, 5, 6, 7]) == []          # 3 -> 3 is no step up: 4 and 5 points
    assert trends([9, 8, 7, 6, 5, 4, 3]) == [Signal("trend", "low", tuple(range(7)))]


def test_two_of_three_beyond_two_sigma_on_one_side_marks_those_two():
    # the 2-sigma zone is (-2, 2): points 1 and 3 are beyond it above, point 2 is not
    found = two_of_three([0, 3, 1, 3, 0, -3, 0, 3], [(-2, 2)] * 8)
    assert found == [Signal("two_of_three", "high", (1, 3))]       # windows 0-2 and 2-4 hold one each
    # beyond on opposite sides is no signal
    assert two_of_three([3, 0, -3], [(-2, 2)] * 3) == []


def test_signals_of_one_rule_that_touch_are_read_as_one_stretch():
    found = [Signal("outside", "high", (0,)), Signal("outside", "high", (1,)), Signal("outside", "low", (2,)),
             Signal("two_of_three", "high", (3, 5)), Signal("two_of_three", "high", (5, 6)),
             Signal("outside", "high", (4,)), Signal("outside", "high", (8,))]
    assert grouped(found) == [Signal("outside", "high", (0, 1)), Signal("outside", "low", (2,)),
                              Signal("two_of_three", "high", (3, 5, 6)), Signal("outside", "high", (4,)),
                              Signal("outside", "high", (8,))]


def test_too_few_points_and_one_point_give_no_icons():
    assert variation([], 5, "higher") == "not_enough_data"
    five = read(weekly([1, 2, 3, 4, 5]), "xmr", "higher", target=3)
    assert (five.variation, five.assurance) == ("not_enough_data", None)
    one = read(weekly([4]), "xmr", "higher", target=3)
    assert (one.limits, one.variation, one.assurance) == (None, "not_enough_data", None)


# --- the icons, on whole series -----------------------------------------------------------------

ZIGZAG = [10, 12, 10, 12, 10, 12]


def test_common_cause_and_the_three_assurance_icons():
    # mean 11; moving ranges 2,2,2,2,2 -> MR-bar 2; limits 11 -+ 2.66 * 2 = 5.68 .. 16.32
    # 2 sigma = 2.66 * 2 * 2 / 3 = 3.547 -> 7.453 .. 14.547: nothing beyond; sides alternate: no run, no trend
    reading = read(weekly(ZIGZAG), "xmr", "higher", target=5)
    assert reading.limits.lower == pytest.approx(5.68) and reading.limits.upper == pytest.approx(16.32)
    assert reading.signals == () and reading.variation == "common_cause"
    assert reading.assurance == "met"                                         # lower 5.68 >= 5
    assert read(weekly(ZIGZAG), "xmr", "higher", target=17).assurance == "not_met"   # upper 16.32 < 17
    assert read(weekly(ZIGZAG), "xmr", "higher", target=11).assurance == "variable"  # 5.68 < 11 < 16.32
    # lower is better: met when the upper limit is at or under the target, not met when the lower one is over it
    assert read(weekly(ZIGZAG), "xmr", "lower", target=17).assurance == "met"
    assert read(weekly(ZIGZAG), "xmr", "lower", target=5).assurance == "not_met"


def test_a_latest_point_above_the_limit_is_an_improvement_or_a_concern_by_direction():
    # sum 106 / 8 = 13.25; moving ranges 2 x 6 and 20 -> 32 / 7 = 4.571; UCL 13.25 + 2.66 * 4.571 = 25.41 < 30
    # 2 sigma = 8.107 -> 21.36: only the last point is beyond it, so no two-of-three; the seven points
    # before it are all below 13.25: a run, but the latest point is not in it
    values = ZIGZAG + [10, 30]
    higher = read(weekly(values), "xmr", "higher")
    assert higher.limits.upper == pytest.approx(13.25 + 2.66 * 32 / 7)
    assert higher.signals == (Signal("outside", "high", (7,)), Signal("run", "low", tuple(range(7))))
    assert higher.variation == "improvement_high"
    assert read(weekly(values), "xmr", "lower").variation == "concern_high"
    assert higher.assurance is None                                             # no target


def test_a_run_of_seven_below_the_mean_at_the_end():
    # 14,16 x 3 + 14, then 9,11 x 3 + 9: sum 173 / 14 = 12.357
    # moving ranges: 2 x 6, 5, 2 x 6 -> 29 / 13 = 2.231; limits 12.357 -+ 5.934 = 6.42 .. 18.29 (none outside)
    # 2 sigma = 3.956 -> 8.40 .. 16.31: 9 and 16 are inside it; the first 7 are above the mean, the last 7 below
    values = [14, 16, 14, 16, 14, 16, 14, 9, 11, 9, 11, 9, 11, 9]
    reading = read(weekly(values), "xmr", "higher")
    assert reading.limits.centre == pytest.approx(173 / 14)
    assert set(reading.signals) == {Signal("run", "high", tuple(range(7))), Signal("run", "low", tuple(range(7, 14)))}
    assert reading.variation == "concern_low"
    assert read(weekly(values), "xmr", "lower").variation == "improvement_low"


def test_a_trend_of_seven_up_at_the_end():
    # 10,20 x 3 then 11..17: sum 90 + 98 = 188 / 13 = 14.46; 11..14 below it, 15..17 above: no run of 7
    # moving ranges 10 x 5, 9, 1 x 6 -> 65 / 12 = 5.417; limits 14.46 -+ 14.41 (none outside);
    # 2 sigma = 9.606 -> 4.86 .. 24.07 (none beyond); 11 -> 17 climbs 6 times: a trend of 7 points
    values = [10, 20, 10, 20, 10, 20, 11, 12, 13, 14, 15, 16, 17]
    reading = read(weekly(values), "xmr", "higher")
    assert reading.signals == (Signal("trend", "high", tuple(range(6, 13))),)
    assert reading.variation == "improvement_high"


def test_two_of_three_near_the_upper_limit_of_a_p_chart():
    # 48,52 of 100 x 5, then 62, 50, 62: p-bar = 674 / 1300 = 0.51846
    # sigma = sqrt(0.51846 * 0.48154 / 100) = 0.049966; 2 sigma up to 0.61839, 3 sigma up to 0.66836
    # 0.62 is beyond 2 sigma but inside the limit, twice in three: a signal; 0.48 / 0.52 / 0.50 alternate sides
    values = [48, 52] * 5 + [62, 50, 62]
    reading = read(weekly(values, [100] * 13), "p", "higher", target=0.40)
    assert reading.limits.centre == pytest.approx(674 / 1300)
    assert reading.limits.bounds(reading.points[-1], 2)[1] == pytest.approx(0.61839, abs=1e-5)
    assert reading.signals == (Signal("two_of_three", "high", (10, 12)),)
    assert reading.variation == "improvement_high"
    # the latest limits: 0.51846 -+ 0.14990 = 0.36856 .. 0.66836, so 0.40 is inside: variable
    assert reading.assurance == "variable"


def test_all_equal_values_are_common_cause_and_the_target_on_the_line_is_met():
    # MR-bar 0: both limits at 5; every point ON the centre: no run, no trend, nothing beyond
    reading = read(weekly([5] * 8), "xmr", "higher", target=5)
    assert (reading.limits.lower, reading.limits.upper) == (5, 5)
    assert (reading.signals, reading.variation, reading.assurance) == ((), "common_cause", "met")
    assert read(weekly([5] * 8), "xmr", "higher", target=6).assurance == "not_met"
    assert read(weekly([5] * 8), "xmr", "lower", target=4).assurance == "not_met"


def test_limits_from_a_rebase_date_leave_the_earlier_points_out():
    # before the rebase: 100s; from it: the zigzag alone (mean 11, limits 5.68 .. 16.32)
    points = weekly([100, 100, 100] + ZIGZAG)
    reading = read(points, "xmr", "higher", since=points[3].when)
    assert len(reading.points) == 6 and reading.limits.centre == pytest.approx(11)
    assert reading.since == points[3].when


def test_a_point_marked_high_and_low_at_once_is_a_concern():
    both = [Signal("trend", "high", (5,)), Signal("run", "low", (5,))]
    assert variation(both, 6, "higher") == "concern_low"
    assert variation(both, 6, "lower") == "concern_high"


def test_assurance_without_a_target_is_none():
    assert assurance(None, 0, 1, "higher") is None


# --- funnel plots -------------------------------------------------------------------------------

def test_a_proportion_funnel_flags_the_busy_bad_article_not_the_small_noisy_one():
    # 'no' answers out of answers: A 1/2, B 30/100, C 10/100, D 19/198 -> p-bar 60 / 400 = 0.15
    # A: sigma sqrt(0.15 * 0.85 / 2) = 0.25249 -> upper 0.15 + 0.75746 = 0.90746; 0.5 is within
    # B: sigma sqrt(0.1275 / 100) = 0.035707 -> upper 0.25712; 0.30 is above: a special cause
    # C: lower 0.15 - 0.10712 = 0.04288; 0.10 is within
    # D: sigma sqrt(0.1275 / 198) = 0.025376 -> 0.07387 .. 0.22613; 19/198 = 0.09596 is within
    found = funnel([("A", 1, 2), ("B", 30, 100), ("C", 10, 100), ("D", 19, 198), ("E", 0, 0)])
    assert found.centre == pytest.approx(0.15)
    units = {u.key: u for u in found.units}
    assert set(units) == {"A", "B", "C", "D"}                      # E has no answers: nothing to judge
    assert units["A"].upper == pytest.approx(0.90746, abs=1e-5) and units["A"].outcome == "within"
    assert units["B"].upper == pytest.approx(0.25712, abs=1e-5) and units["B"].outcome == "above"
    assert units["B"].warning_upper == pytest.approx(0.15 + 2 * 0.035707, abs=1e-5)
    assert units["C"].lower == pytest.approx(0.04288, abs=1e-5) and units["C"].outcome == "within"
    assert (units["D"].lower, units["D"].upper) == (pytest.approx(0.07387, abs=1e-5), pytest.approx(0.22613, abs=1e-5))


def test_a_rate_funnel_of_flags_per_view():
    # flags out of views: A 1/50, B 14/1000, C 8/2950 -> centre 23 / 4000 = 0.00575
    # A: sigma sqrt(0.00575 / 50) = 0.010724 -> upper 0.03792; 0.02 within
    # B: sigma sqrt(0.00575 / 1000) = 0.0023979 -> upper 0.012944; 0.014 above
    # C: sigma sqrt(0.00575 / 2950) = 0.0013961 -> lower 0.0015616; 0.0027 within
    found = funnel([("A", 1, 50), ("B", 14, 1000), ("C", 8, 2950)], "rate")
    units = {u.key: u for u in found.units}
    assert found.centre == pytest.approx(0.00575)
    assert units["A"].upper == pytest.approx(0.03792, abs=1e-5) and units["A"].outcome == "within"
    assert units["B"].upper == pytest.approx(0.012944, abs=1e-6) and units["B"].outcome == "above"
    assert units["C"].lower == pytest.approx(0.0015616, abs=1e-6) and units["C"].outcome == "within"


def test_an_empty_funnel_and_impossible_counts():
    assert funnel([]).centre is None
    with pytest.raises(ValueError):
        funnel([("A", 3, 2)])
    with pytest.raises(ValueError):
        funnel([("A", 1, 2)], "median")
