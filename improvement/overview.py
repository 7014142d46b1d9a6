"""The metric overview: every metric of the catalogue read the Making Data Count way (improvement.spc), with
its chart, its annotations and its target, for the quality leads' page and GET /api/v1/metrics/overview.

A metric's target is the one of the newest improvement (not cancelled) measured by it that has one; a metric
counted out of a total is read on a p chart, every other one on an XmR chart (as Making Data Count does).
"""
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup
from sqlalchemy import select

from core import clock
from core.db import db, utcnow
from improvement import annotations, charts, metrics, spc
from improvement.effect import Point
from improvement.models import Improvement, Metric, Rebase

SHOWN = 60  # the newest measurements of each metric on its chart


@dataclass
class MetricReading:
    metric: Metric
    points: list[Point]                 # as shown, oldest first
    reading: spc.Reading
    target: float | None                # in the metric's shown unit
    target_from: Improvement | None
    rebase: Rebase | None
    annotations: list[annotations.Annotation]

    def chart(self, small: bool = False) -> Markup | None:
        if not self.points:
            return None
        return Markup(charts.spc_chart_svg(  # noqa: S704 - charts escapes every user text itself
            self.points, self.reading, target=metrics.plotted(self.metric, self.target), title=self.metric.name,
            unit=metrics.chart_unit(self.metric), small=small, annotations=self.annotations))


def chart_kind(metric: Metric) -> str:
    return "p" if metric.chart == "p" and metric.proportion else "xmr"


def target_of(metric: Metric) -> tuple[float | None, Improvement | None]:
    query = (select(Improvement).where(Improvement.metric_id == metric.id, Improvement.target.is_not(None),
                                       Improvement.phase != "cancelled")
             .order_by(Improvement.started_on.desc(), Improvement.id.desc()).limit(1))
    found = db.session.scalar(query)
    return (found.target, found) if found else (None, None)


def latest_rebase(metric: Metric) -> Rebase | None:
    return db.session.scalar(select(Rebase).where(Rebase.metric_id == metric.id)
                             .order_by(Rebase.from_date.desc(), Rebase.id.desc()).limit(1))


def read_metric(metric: Metric) -> MetricReading:
    points = metrics.points(metrics.latest(metric, SHOWN))
    target, source = target_of(metric)
    rebase = latest_rebase(metric)
    reading = spc.read(points, chart_kind(metric), metric.direction, metrics.plotted(metric, target),
                       since=rebase.from_date if rebase else None)
    notes = annotations.for_metric(metric.id, points[0].when, _up_to()) if points else []
    return MetricReading(metric, points, reading, target, source, rebase, notes)


def _up_to() -> date:
    """The last day of annotations: today, or the day of the newest timestamp if later. Revisions are stamped with
    the real UTC time (core.db.utcnow), which can be a day ahead of the app's date (core.clock: local, or pinned
    by the tests to the day the run began); an edit that was made is never "in the future"."""
    return max(clock.today(), utcnow().date())


def overview() -> list[MetricReading]:
    return [read_metric(metric) for metric in metrics.catalogue()]


def _figure(metric: Metric, value: float | None) -> float | None:
    return metrics.shown(metric, value)


def as_json(found: MetricReading) -> dict:
    """One metric of GET /api/v1/metrics/overview, figures in the metric's shown unit."""
    metric, reading = found.metric, found.reading
    limits = reading.limits
    latest = reading.points[-1] if reading.points else None
    lower, upper = limits.bounds(latest) if limits and latest else (None, None)
    return {"id": metric.id, "name": metric.name, "unit": metric.unit, "direction": metric.direction,
            "chart": reading.chart, "points": len(reading.points),
            "limits_from": reading.since.isoformat() if reading.since else None,
            "rebase_reason": found.rebase.reason if found.rebase else None,
            "latest": ({"date": latest.when.isoformat(), "value": _figure(metric, latest.plotted)}
                       if latest else None),
            "centre": _figure(metric, limits.centre if limits else None),
            "lower_limit": _figure(metric, lower), "upper_limit": _figure(metric, upper),
            "target": found.target, "variation": reading.variation, "assurance": reading.assurance,
            "signals": [{"rule": s.rule, "side": s.side,
                         "dates": [reading.points[i].when.isoformat() for i in s.points]} for s in reading.stretches],
            "annotations": [{"number": a.number, "date": a.when.isoformat(), "kind": a.kind, "text": a.text}
                            for a in found.annotations]}
