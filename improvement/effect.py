"""The measured effect of a change on a service KPI: baseline, result, signals and a verdict.

Plain functions on plain data, no Flask and no database. `measured_effect` splits the points at
the change date, summarises both sides, tests the points after the change against the
baseline's median (Anhoj run-chart rules) and, for XmR and p charts, against the baseline's
control limits, and names a verdict with the reasons behind it.

Conventions
- The change date belongs to the result: the baseline is the points strictly before it, the
  result the points on or after it.
- Points are sorted by date; points sharing a date are kept as separate measurements in the
  order given (the sort is stable).
- The plotted value of a point is `value / denominator` when a denominator is given, else
  `value`. A "p" chart needs a denominator > 0 on every point and 0 <= value <= denominator.
  Rates stay fractions (0..1): a caller showing percentages multiplies by 100, and gives a
  target for a "p" chart as a fraction too.
- For a "p" chart the `mean` of a summary is the pooled proportion sum(x) / sum(n), the centre
  line of a p chart; for the other charts it is the plain mean.

Signals
- Anhoj rules (Anhoj & Olesen 2014), applied to the points after the change against the
  BASELINE median. Points on the median are not useful: they neither break nor extend a run
  and do not count in n. With n useful points, a shift is a longest run on one side longer
  than round(log2(n) + 3); too few crossings is fewer than qbinom(0.05, n - 1, 0.5), the lower
  5% binomial limit. There is no trend rule: Anhoj showed it adds false alarms, not power.
- A SUSTAINED SIGNAL is a shift or a too-few-crossings signal among the points after the
  change. Its side is the side of the longest run (the latest one on a tie); it is good when
  that side is the better one (above for "higher", below for "lower").
- Points after the change outside the baseline's limits (XmR: mean +- 2.66 MR-bar; p:
  p-bar +- 3 sqrt(p-bar (1 - p-bar) / n_i), clipped to [0, 1]) are special causes. They are
  reported as reasons but do not decide the verdict: one point is not a sustained change.

Verdict (first rule that applies)
- "not_enough_data": fewer than MIN_POINTS (6) points before or after the change.
- "worse": a sustained signal on the bad side.
- "effective": a sustained signal on the good side and the target met, or no target given.
- "improved_target_not_met": a sustained signal on the good side, target not met.
- "no_signal": otherwise, even if the centre moved or the target happens to be met.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

MIN_POINTS = 6
CHARTS = ("xmr", "p", "run")
DIRECTIONS = ("higher", "lower")
STATISTICS = ("median", "mean")
XMR_FACTOR = 2.66
P_SIGMAS = 3


@dataclass(frozen=True)
class Point:
    """One measurement; `value` is the numerator when a denominator is given."""
    when: date
    value: float
    denominator: float | None = None

    @property
    def plotted(self) -> float:
        if self.denominator is None:
            return self.value
        if self.denominator <= 0:
            raise ValueError(f"the measurement of {self.when} has a denominator of "
                             f"{self.denominator}; a rate needs a denominator above 0")
        return self.value / self.denominator


@dataclass(frozen=True)
class Summary:
    """n, mean, median and the chosen centre of one side; the figures are None when n is 0."""
    n: int
    mean: float | None
    median: float | None
    centre: float | None


@dataclass(frozen=True)
class RunSignals:
    """Anhoj rules on the points after the change against the baseline median."""
    median: float
    useful: int                      # points not on the median
    longest_run: int
    longest_run_limit: int | None    # a shift is longest_run > this
    crossings: int
    crossings_limit: int | None      # too few crossings is crossings < this
    shift: bool
    too_few_crossings: bool
    side: str | None                 # "above" or "below": the side of the longest run

    @property
    def signal(self) -> bool:
        return self.shift or self.too_few_crossings


@dataclass(frozen=True)
class ControlLimits:
    """Limits from the baseline; `lower`/`upper` are set for XmR, p limits vary per point."""
    chart: str
    centre: float
    average_moving_range: float | None = None
    lower: float | None = None
    upper: float | None = None

    def bounds(self, point: Point, sigmas: float = P_SIGMAS) -> tuple[float, float]:
        """The limits at `point` (3 sigma), or a zone `sigmas` from the centre (2 for the warning zone).
        XmR: sigma is 2.66 MR-bar / 3; p: sigma is sqrt(p-bar (1 - p-bar) / n), the bounds clipped to [0, 1]."""
        if self.chart == "xmr":
            if sigmas == P_SIGMAS:
                return self.lower, self.upper
            half = XMR_FACTOR * self.average_moving_range * sigmas / P_SIGMAS
            return self.centre - half, self.centre + half
        half = sigmas * math.sqrt(self.centre * (1 - self.centre) / point.denominator)
        return max(0.0, self.centre - half), min(1.0, self.centre + half)


@dataclass(frozen=True)
class OutsidePoint:
    point: Point
    value: float          # the plotted value
    limit: float          # the limit it passed
    side: str             # "above" or "below"


@dataclass(frozen=True)
class Effect:
    chart: str
    direction: str
    statistic: str
    change_date: date
    target: float | None
    points: tuple[Point, ...]              # sorted by date
    baseline: Summary
    result: Summary
    change: float | None                   # result centre - baseline centre
    percent_change: float | None           # 100 * change / |baseline centre|; None if that is 0
    improved: bool | None                  # the change is in the good direction
    target_met: bool | None                # None without a target or without a result
    runs: RunSignals | None                # None without a baseline or a result
    limits: ControlLimits | None           # None for "run" or too short a baseline
    points_outside: tuple[OutsidePoint, ...]
    sustained_signal: str | None           # "good", "bad" or None
    verdict: str
    reasons: tuple[tuple[str, dict], ...]
    needed: int = MIN_POINTS               # points wanted on each side


def longest_run_limit(n: int) -> int:
    """The longest run on one side of the median expected among n useful points."""
    _check_useful(n)
    return round(math.log2(n) + 3)


def crossings_limit(n: int) -> int:
    """qbinom(0.05, n - 1, 0.5), exactly: the fewest median crossings expected among n points."""
    _check_useful(n)
    trials = n - 1
    cumulative = 0
    for x in range(trials + 1):
        cumulative += math.comb(trials, x)
        if 20 * cumulative >= 2 ** trials:      # cumulative / 2**trials >= 0.05
            return x
    return trials


def measured_effect(points: Sequence[Point], change_date: date, *, direction: str, chart: str,
                    target: float | None = None, statistic: str = "median") -> Effect:
    _check_choice("direction", direction, DIRECTIONS)
    _check_choice("chart", chart, CHARTS)
    _check_choice("statistic", statistic, STATISTICS)
    ordered = tuple(sorted(points, key=lambda p: p.when))
    if chart == "p":
        _check_proportions(ordered)
    before = [p for p in ordered if p.when < change_date]
    after = [p for p in ordered if p.when >= change_date]
    baseline, result = _summary(before, chart, statistic), _summary(after, chart, statistic)
    change = percent = improved = target_met = None
    if baseline.n and result.n:
        change = result.centre - baseline.centre
        percent = 100 * change / abs(baseline.centre) if baseline.centre else None
        improved = change > 0 if direction == "higher" else change < 0
    if target is not None and result.n:
        target_met = result.centre >= target if direction == "higher" else result.centre <= target
    runs = run_signals([p.plotted for p in after], baseline.median) if before and after else None
    limits = control_limits(before, chart)
    outside = tuple(_outside(after, limits)) if limits else ()
    good_side = "above" if direction == "higher" else "below"
    sustained = None
    if runs and runs.signal:
        sustained = "good" if runs.side == good_side else "bad"
    verdict = _verdict(baseline.n, result.n, sustained, target_met)
    reasons = _reasons(baseline, result, change, percent, target, target_met, runs, outside)
    return Effect(chart=chart, direction=direction, statistic=statistic, change_date=change_date,
                  target=target, points=ordered, baseline=baseline, result=result, change=change,
                  percent_change=percent, improved=improved, target_met=target_met, runs=runs,
                  limits=limits, points_outside=outside, sustained_signal=sustained,
                  verdict=verdict, reasons=reasons)


def run_signals(values: Sequence[float], median: float) -> RunSignals:
    """Anhoj rules for `values` (in time order) against a fixed median."""
    sides = [s for s in (_side(v, median) for v in values) if s]
    runs: list[list] = []                  # [side, length]
    for side in sides:
        if runs and runs[-1][0] == side:
            runs[-1][1] += 1
        else:
            runs.append([side, 1])
    n = len(sides)
    if not n:
        return RunSignals(median, 0, 0, None, 0, None, False, False, None)
    side, longest = max(reversed(runs), key=lambda run: run[1])   # the latest on a tie
    run_limit, cross_limit, crossings = longest_run_limit(n), crossings_limit(n), len(runs) - 1
    return RunSignals(median=median, useful=n, longest_run=longest, longest_run_limit=run_limit,
                      crossings=crossings, crossings_limit=cross_limit,
                      shift=longest > run_limit, too_few_crossings=crossings < cross_limit,
                      side=side)


def describe(effect: Effect) -> str:
    """One plain English sentence for the CLI and logs."""
    if effect.verdict == "not_enough_data":
        return (f"Not enough data: {effect.baseline.n} points before and {effect.result.n} "
                f"after the change; {effect.needed} are needed on each side.")
    moved = ""
    if effect.change is not None:
        moved = (f" The {effect.statistic} moved from {effect.baseline.centre:.4g} "
                 f"to {effect.result.centre:.4g}")
        if effect.percent_change is not None:
            moved += f" ({effect.percent_change:+.1f}%)"
        moved += "."
    if effect.target_met is not None:
        moved += f" Target {effect.target:.4g} {'met' if effect.target_met else 'not met'}."
    runs = effect.runs
    signal = ""
    if runs and runs.signal:
        kind = (f"a run of {runs.longest_run} (limit {runs.longest_run_limit})" if runs.shift
                else f"{runs.crossings} crossings (fewer than {runs.crossings_limit})")
        signal = f" Signal: {kind} {runs.side} the baseline median."
    headline = {
        "effective": "The change was effective.",
        "improved_target_not_met": "The change improved the measure but missed the target.",
        "worse": "The measure got worse after the change.",
        "no_signal": "No sustained signal after the change.",
    }[effect.verdict]
    return headline + signal + moved


def _check_useful(n: int) -> None:
    if n < 1:
        raise ValueError(f"the Anhoj limits need at least one useful point, not {n}")


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")


def _check_proportions(points: Sequence[Point]) -> None:
    for p in points:
        if p.denominator is None or p.denominator <= 0:
            raise ValueError(f"a p chart needs a denominator above 0 on every measurement; "
                             f"the one of {p.when} has {p.denominator}")
        if not 0 <= p.value <= p.denominator:
            raise ValueError(f"the measurement of {p.when} counts {p.value} out of "
                             f"{p.denominator}; a proportion needs 0 <= value <= denominator")


def _summary(points: Sequence[Point], chart: str, statistic: str) -> Summary:
    if not points:
        return Summary(0, None, None, None)
    values = [p.plotted for p in points]
    if chart == "p":
        mean = sum(p.value for p in points) / sum(p.denominator for p in points)
    else:
        mean = statistics.fmean(values)
    median = statistics.median(values)
    return Summary(len(points), mean, median, median if statistic == "median" else mean)


def control_limits(baseline: Sequence[Point], chart: str) -> ControlLimits | None:
    """XmR limits from at least 2 points, the p chart's centre from at least 1; None otherwise (or "run")."""
    if chart == "p" and baseline:
        pooled = sum(p.value for p in baseline) / sum(p.denominator for p in baseline)
        return ControlLimits("p", pooled)
    if chart == "xmr" and len(baseline) >= 2:
        values = [p.plotted for p in baseline]
        mr_bar = statistics.fmean(abs(b - a) for a, b in zip(values, values[1:]))
        mean = statistics.fmean(values)
        return ControlLimits("xmr", mean, mr_bar, mean - XMR_FACTOR * mr_bar,
                             mean + XMR_FACTOR * mr_bar)
    return None


def _outside(after: Sequence[Point], limits: ControlLimits):
    for p in after:
        lower, upper = limits.bounds(p)
        value = p.plotted
        if value > upper and not math.isclose(value, upper):
            yield OutsidePoint(p, value, upper, "above")
        elif value < lower and not math.isclose(value, lower):
            yield OutsidePoint(p, value, lower, "below")


def _side(value: float, median: float) -> str | None:
    if math.isclose(value, median, rel_tol=1e-9, abs_tol=1e-12):
        return None
    return "above" if value > median else "below"


def _verdict(before: int, after: int, sustained: str | None, target_met: bool | None) -> str:
    if before < MIN_POINTS or after < MIN_POINTS:
        return "not_enough_data"
    if sustained == "bad":
        return "worse"
    if sustained == "good":
        return "improved_target_not_met" if target_met is False else "effective"
    return "no_signal"


def _reasons(baseline: Summary, result: Summary, change, percent, target, target_met,
             runs: RunSignals | None, outside) -> tuple[tuple[str, dict], ...]:
    reasons: list[tuple[str, dict]] = []
    if baseline.n < MIN_POINTS or result.n < MIN_POINTS:
        reasons.append(("not_enough_data",
                        {"before": baseline.n, "after": result.n, "needed": MIN_POINTS}))
    if runs and runs.shift:
        reasons.append(("shift", {"run": runs.longest_run, "limit": runs.longest_run_limit,
                                  "side": runs.side}))
    if runs and runs.too_few_crossings:
        reasons.append(("crossings", {"crossings": runs.crossings,
                                      "limit": runs.crossings_limit, "side": runs.side}))
    if runs and not runs.signal:
        reasons.append(("no_signal", {"run": runs.longest_run,
                                      "run_limit": runs.longest_run_limit,
                                      "crossings": runs.crossings,
                                      "crossings_limit": runs.crossings_limit}))
    if outside:
        above = sum(1 for o in outside if o.side == "above")
        reasons.append(("outside_limits", {"count": len(outside), "above": above,
                                           "below": len(outside) - above}))
    if change is not None:
        reasons.append(("change", {"baseline": baseline.centre, "result": result.centre,
                                   "change": change, "percent": percent}))
    if target_met is not None:
        reasons.append(("target", {"target": target, "result": result.centre,
                                   "met": target_met}))
    return tuple(reasons)
