"""What the measurements say about an improvement: its measured effect, the verdict in plain words,
and its run chart. The statistics are improvement.effect's; this module feeds them the improvement's
metric, change date and target, and puts the answers in the units people read."""
from datetime import date, timedelta

from flask_babel import lazy_gettext as _
from markupsafe import Markup

from core import clock
from improvement import annotations, charts, metrics
from improvement.effect import Effect, measured_effect
from improvement.models import Improvement, Metric

WINDOW = timedelta(days=366)  # points farther than a year from the change are another story

SIDE_LABELS = {"above": _("above"), "below": _("below")}


def window(centre: date) -> tuple[date, date]:
    """A year either side of `centre`, within the calendar (a change date typed as 9999-12-31 must not crash)."""
    return (centre - WINDOW if centre > date.min + WINDOW else date.min,
            centre + WINDOW if centre < date.max - WINDOW else date.max)


def series(improvement: Improvement) -> list:
    """The metric's points within a year either side of the change (or up to today without one)."""
    if improvement.metric is None:
        return []
    rows = metrics.measurements_of(improvement.metric, *window(improvement.change_date or clock.today()))
    return metrics.points(rows)


def effect_of(improvement: Improvement) -> Effect | None:
    """The measured effect, once the improvement has a metric and a change date; never typed in."""
    metric = improvement.metric
    if metric is None or improvement.change_date is None:
        return None
    return measured_effect(series(improvement), improvement.change_date, direction=metric.direction,
                           chart=metric.chart, target=metrics.plotted(metric, improvement.target),
                           statistic=metric.statistic)


def _figure(metric: Metric, value: float | None) -> str:
    shown = metrics.shown(metric, value)
    return "—" if shown is None else f"{shown:.3g} {metric.unit}".strip()


def explain(effect: Effect, metric: Metric) -> list[str]:
    """One sentence per reason behind the verdict, figures in the metric's own units."""
    sentences = []
    for code, facts in effect.reasons:
        if code == "no_signal" and effect.verdict == "not_enough_data":
            continue  # too few points to look for one: saying 'no signal' would suggest there is none
        if code == "not_enough_data":
            sentences.append(_("%(before)s measurements before the change and %(after)s after; at least "
                               "%(needed)s are needed on each side.", **facts))
        elif code == "shift":
            sentences.append(_("Shift: %(run)s measurements in a row %(side)s the baseline median (more than "
                               "%(limit)s in a row is a signal).", run=facts["run"], limit=facts["limit"],
                               side=SIDE_LABELS.get(facts["side"], facts["side"])))
        elif code == "crossings":
            sentences.append(_("The measurements cross the baseline median only %(crossings)s times (fewer "
                               "than %(limit)s is a signal).", crossings=facts["crossings"], limit=facts["limit"]))
        elif code == "no_signal":
            sentences.append(_("No sustained signal: the longest run is %(run)s (a signal needs more than "
                               "%(run_limit)s) and the median is crossed %(crossings)s times.", **facts))
        elif code == "outside_limits":
            sentences.append(_("%(count)s measurements after the change fall outside the baseline's limits "
                               "(special causes; one point alone is not a sustained change).", count=facts["count"]))
        elif code == "change":
            percent = facts["percent"]
            sentences.append(_("The %(statistic)s moved from %(before)s to %(after)s%(percent)s.",
                               statistic=_("median") if effect.statistic == "median" else _("mean"), before=_figure(metric, facts["baseline"]),
                               after=_figure(metric, facts["result"]),
                               percent=f" ({percent:+.1f}%)" if percent is not None else ""))
        elif code == "target":
            sentences.append(_("Target %(target)s: %(met)s.", target=_figure(metric, facts["target"]),
                               met=_("met") if facts["met"] else _("not met")))
    return [str(s) for s in sentences]


def chart_annotations(improvement: Improvement, points: list | None = None) -> list[annotations.Annotation]:
    """What changed and when within the chart's dates: the numbered legend under the run chart."""
    points = series(improvement) if points is None else points
    if improvement.metric is None or not points:
        return []
    first, last = points[0].when, max(points[-1].when, improvement.change_date or points[-1].when)
    return annotations.for_improvement(improvement, first, last)


def chart(improvement: Improvement, effect: Effect | None = None, *, small: bool = False) -> Markup | None:
    """The run chart as SVG markup (charts.py escapes every user text itself), what changed marked on it."""
    metric, points = improvement.metric, series(improvement)
    if metric is None or not points:
        return None
    change = improvement.change_date or max(p.when for p in points)
    svg = charts.run_chart_svg(points, effect, change, target=metrics.plotted(metric, improvement.target),
                               title=metric.name, unit=metrics.chart_unit(metric), small=small, annotations=chart_annotations(improvement, points))
    return Markup(svg)  # noqa: S704 - built by charts.run_chart_svg, which escapes title and unit


def as_json(effect: Effect | None, metric: Metric | None) -> dict | None:
    if effect is None or metric is None:
        return None

    def side(summary):
        return {"n": summary.n, "mean": metrics.shown(metric, summary.mean),
                "median": metrics.shown(metric, summary.median), "centre": metrics.shown(metric, summary.centre)}

    return {"verdict": effect.verdict, "baseline": side(effect.baseline), "result": side(effect.result),
            "change": metrics.shown(metric, effect.change), "percent_change": effect.percent_change,
            "improved": effect.improved, "target_met": effect.target_met,
            "sustained_signal": effect.sustained_signal,
            "points_outside_limits": [o.point.when.isoformat() for o in effect.points_outside],
            "reasons": [{"code": code, **facts} for code, facts in effect.reasons]}
