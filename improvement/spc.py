"""Making Data Count: what a metric's chart says at a glance, and funnel plots of many small units.

Plain functions on plain data, no Flask and no database. The limits are improvement.effect's (XmR:
mean +- 2.66 MR-bar; p: p-bar +- 3 sqrt(p-bar (1 - p-bar) / n_i), clipped to [0, 1]).

The four rules of NHS England's "Making Data Count", each giving the points it marks and their side
("high" or "low"):
- "outside": a point above the upper or below the lower limit;
- "run": 7 or more points in a row on one side of the centre line (a point ON the centre breaks a run);
- "trend": 7 or more points in a row each higher (or each lower) than the one before (an equal pair breaks it);
- "two_of_three": 2 (or 3) of 3 points in a row beyond 2 sigma on the same side of the centre.

Icons
- Variation, read from the LATEST point: "common_cause" when no rule marks it; else a special cause, high or
  low, an "improvement" when that is the metric's good side (high for "higher is better") and a "concern"
  otherwise (a point marked both high and low counts as a concern). "not_enough_data" below MIN_POINTS points.
- Assurance, from the latest point's limits and the target: "met" when the whole band between the limits
  meets the target (for "higher": lower limit >= target), "not_met" when none of it does (upper limit <
  target), "variable" when the target lies inside the limits (it is hit and missed by chance); None without
  a target or with too few points.

Funnel plots: each unit (an article) has `events` out of `size` (its "no" answers out of its answers, or its
flags out of its views). The centre is the pooled rate sum(events) / sum(size); the limits at size n are
centre +- z sigma with sigma = sqrt(c (1 - c) / n) for a proportion (the p chart's) and sqrt(c / n) for a
rate per view (Poisson). A unit above the 3-sigma upper limit is a special cause; a small unit far from the
centre by chance is not.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from improvement.effect import MIN_POINTS, P_SIGMAS, ControlLimits, Point, control_limits

RUN = 7
TREND = 7
WARNING_SIGMAS = 2
RULES = ("outside", "run", "trend", "two_of_three")
VARIATIONS = ("common_cause", "improvement_high", "improvement_low", "concern_high", "concern_low",
              "not_enough_data")
ASSURANCES = ("met", "not_met", "variable")


@dataclass(frozen=True)
class Signal:
    rule: str                 # one of RULES
    side: str                 # "high" or "low"
    points: tuple[int, ...]   # indices into the series


@dataclass(frozen=True)
class Reading:
    """What one metric's chart says: the points read (since `since`), their limits, signals and icons."""
    chart: str
    points: tuple[Point, ...]        # the points the limits come from and the rules read, by date
    since: date | None               # the date the limits are calculated from (a rebase), or None
    limits: ControlLimits | None
    signals: tuple[Signal, ...]
    variation: str
    assurance: str | None

    @property
    def stretches(self) -> list[Signal]:
        return grouped(self.signals)

    def marked(self) -> dict[int, str]:
        """index -> "high"/"low" of every point some rule marks (a point marked both ways: "low" and "high" -> "both")."""
        sides: dict[int, str] = {}
        for signal in self.signals:
            for index in signal.points:
                sides[index] = signal.side if sides.get(index, signal.side) == signal.side else "both"
        return sides


def _side(value: float, centre: float) -> str | None:
    if math.isclose(value, centre, rel_tol=1e-9, abs_tol=1e-12):
        return None
    return "high" if value > centre else "low"


def _beyond(value: float, lower: float, upper: float) -> str | None:
    if value > upper and not math.isclose(value, upper, rel_tol=1e-9, abs_tol=1e-12):
        return "high"
    if value < lower and not math.isclose(value, lower, rel_tol=1e-9, abs_tol=1e-12):
        return "low"
    return None


def outside_limits(values: Sequence[float], bounds: Sequence[tuple[float, float]]) -> list[Signal]:
    """Each point beyond its limits (a point on a limit is inside)."""
    found = []
    for index, (value, (lower, upper)) in enumerate(zip(values, bounds)):
        side = _beyond(value, lower, upper)
        if side:
            found.append(Signal("outside", side, (index,)))
    return found


def _stretches(labels: Sequence[str | None], length: int, rule: str, offset: int = 0) -> list[Signal]:
    """Every stretch of at least `length` equal, non-empty labels in a row."""
    found, start = [], 0
    for index in range(1, len(labels) + 1):
        if index == len(labels) or labels[index] != labels[start]:
            if labels[start] and index - start >= length:
                found.append(Signal(rule, labels[start], tuple(range(start + offset, index + offset))))
            start = index
    return found


def runs(values: Sequence[float], centre: float, length: int = RUN) -> list[Signal]:
    """Each run of `length` or more points on one side of the centre."""
    return _stretches([_side(v, centre) for v in values], length, "run")


def trends(values: Sequence[float], length: int = TREND) -> list[Signal]:
    """Each stretch of `length` or more points, each higher (or each lower) than the one before."""
    if len(values) < 2:
        return []
    steps = [_side(b, a) for a, b in zip(values, values[1:])]   # step i goes from point i to point i + 1
    found = []
    for stretch in _stretches(steps, length - 1, "trend"):
        first, last = stretch.points[0], stretch.points[-1] + 1
        found.append(Signal("trend", stretch.side, tuple(range(first, last + 1))))
    return found


def two_of_three(values: Sequence[float], warning: Sequence[tuple[float, float]]) -> list[Signal]:
    """Each window of 3 points in a row with at least 2 beyond the 2-sigma zone on the same side; the
    points beyond are marked."""
    beyond = [_beyond(v, lower, upper) for v, (lower, upper) in zip(values, warning)]
    found = []
    for start in range(len(values) - 2):
        window = range(start, start + 3)
        for side in ("high", "low"):
            marked = tuple(i for i in window if beyond[i] == side)
            if len(marked) >= 2:
                found.append(Signal("two_of_three", side, marked))
    return found


def signals(points: Sequence[Point], limits: ControlLimits) -> list[Signal]:
    """The four rules on `points` (in date order) against `limits`."""
    values = [p.plotted for p in points]
    return (outside_limits(values, [limits.bounds(p) for p in points]) + runs(values, limits.centre)
            + trends(values) + two_of_three(values, [limits.bounds(p, WARNING_SIGMAS) for p in points]))


def grouped(found: Sequence[Signal]) -> list[Signal]:
    """The signals of one rule and side that touch or overlap joined into one stretch (for people to read:
    fourteen points outside in a row are one finding, not fourteen), in the order they start."""
    joined: list[Signal] = []
    for signal in sorted(found, key=lambda s: (RULES.index(s.rule), s.side, s.points[0])):
        last = joined[-1] if joined else None
        if last and (last.rule, last.side) == (signal.rule, signal.side) and signal.points[0] <= last.points[-1] + 1:
            joined[-1] = Signal(last.rule, last.side, tuple(sorted(set(last.points) | set(signal.points))))
        else:
            joined.append(signal)
    return sorted(joined, key=lambda s: (s.points[0], RULES.index(s.rule)))


def variation(found: Sequence[Signal], count: int, direction: str) -> str:
    """The variation icon: what the rules say of the latest of `count` points."""
    if count < MIN_POINTS:
        return "not_enough_data"
    sides = {s.side for s in found if count - 1 in s.points}
    if not sides:
        return "common_cause"
    good = "high" if direction == "higher" else "low"
    if len(sides) == 2:
        return f"concern_{'low' if good == 'high' else 'high'}"
    side = sides.pop()
    return f"{'improvement' if side == good else 'concern'}_{side}"


def assurance(target: float | None, lower: float, upper: float, direction: str) -> str | None:
    """The assurance icon: will the process meet `target` (a value on a limit meets it)?"""
    if target is None:
        return None
    if direction == "higher":
        met, missed = lower >= target or math.isclose(lower, target), upper < target
    else:
        met, missed = upper <= target or math.isclose(upper, target), lower > target
    if met:
        return "met"
    return "not_met" if missed else "variable"


def read(points: Sequence[Point], chart: str, direction: str, target: float | None = None,
         since: date | None = None) -> Reading:
    """A metric's chart read the Making Data Count way: limits from the points on or after `since` (all
    points without it), the rules on those points, and both icons. `chart` is "xmr" or "p"."""
    ordered = tuple(p for p in sorted(points, key=lambda p: p.when) if since is None or p.when >= since)
    limits = control_limits(ordered, chart)
    if limits is None or len(ordered) < MIN_POINTS:
        return Reading(chart, ordered, since, limits, (), "not_enough_data", None)
    found = tuple(signals(ordered, limits))
    lower, upper = limits.bounds(ordered[-1])
    return Reading(chart, ordered, since, limits, found, variation(found, len(ordered), direction),
                   assurance(target, lower, upper, direction))


# --- funnel plots -------------------------------------------------------------------------------

@dataclass(frozen=True)
class FunnelUnit:
    key: object
    events: float
    size: float
    rate: float
    lower: float          # P_SIGMAS (3) limits at this size
    upper: float
    warning_upper: float  # the 2-sigma upper limit at this size
    outcome: str          # "above" (a special cause), "below" or "within"


@dataclass(frozen=True)
class Funnel:
    kind: str                   # "proportion" or "rate"
    centre: float | None        # the pooled rate; None without units
    units: tuple[FunnelUnit, ...]

    def bounds(self, size: float, sigmas: float = P_SIGMAS) -> tuple[float, float]:
        return funnel_bounds(self.kind, self.centre, size, sigmas)


def funnel_bounds(kind: str, centre: float, size: float, sigmas: float = P_SIGMAS) -> tuple[float, float]:
    """The funnel's limits at `size`: the p chart's for a proportion, centre +- z sqrt(c / n) for a rate."""
    if kind == "proportion":
        return ControlLimits("p", centre).bounds(Point(date.min, 0, size), sigmas)
    half = sigmas * math.sqrt(centre / size)
    return max(0.0, centre - half), centre + half


def funnel(units: Sequence[tuple[object, float, float]], kind: str = "proportion") -> Funnel:
    """`units` are (key, events, size); units of size 0 are left out (nothing to judge)."""
    if kind not in ("proportion", "rate"):
        raise ValueError(f"a funnel is of a proportion or a rate, not {kind!r}")
    kept = [(key, events, size) for key, events, size in units if size > 0]
    for key, events, size in kept:
        if events < 0 or (kind == "proportion" and events > size):
            raise ValueError(f"{key!r} has {events} events out of {size}")
    if not kept:
        return Funnel(kind, None, ())
    centre = sum(e for _k, e, _s in kept) / sum(s for _k, _e, s in kept)
    judged = []
    for key, events, size in kept:
        lower, upper = funnel_bounds(kind, centre, size)
        rate = events / size
        judged.append(FunnelUnit(key, events, size, rate, lower, upper,
                                 funnel_bounds(kind, centre, size, WARNING_SIGMAS)[1],
                                 {"high": "above", "low": "below", None: "within"}[_beyond(rate, lower, upper)]))
    return Funnel(kind, centre, tuple(judged))
