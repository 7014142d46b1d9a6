"""The KPI catalogue and its measurements: what a good reading is, and adding readings (all or none).

A proportion (CSAT, first-contact resolution, SLA attainment, complaint rate) is counted: `value`
out of `denominator`, e.g. 412 satisfied answers out of 500. It is shown as the fraction times the
metric's scale (100 for %, 1,000 for 'per 1,000 contacts'); targets are typed in those shown units.
"""
import math
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.db import db
from core.errors import Invalid, refuse_if
from improvement.effect import MIN_POINTS as MIN_REBASE_POINTS
from improvement.effect import Point
from improvement.models import CHARTS, DIRECTIONS, Measurement, Metric, Rebase

# name, unit, direction, chart, proportion, scale, description
STANDARD_METRICS = (
    ("CSAT", "%", "higher", "p", True, 100.0, "Share of survey answers of 4 or 5 out of 5."),
    ("NPS", "points", "higher", "xmr", False, 1.0, "Promoters minus detractors, -100 to 100."),
    ("First-contact resolution", "%", "higher", "p", True, 100.0,
     "Share of contacts resolved without a further contact."),
    ("First response time", "hours", "lower", "xmr", False, 1.0,
     "Median time to the first reply that moves the case forward."),
    ("SLA attainment", "%", "higher", "p", True, 100.0, "Share of cases answered within the service level."),
    ("Complaint rate", "per 1,000 contacts", "lower", "p", True, 1000.0, "Complaints per 1,000 contacts."),
)
MAX_NOTE = 200
LARGEST = 1e15  # no KPI reading, denominator or target is larger either way; their sums and squares stay finite


def ensure_standard_metrics() -> list[Metric]:
    """The standard KPIs, added to the catalogue where missing (by name)."""
    existing = set(db.session.scalars(select(Metric.name)))
    added = []
    for name, unit, direction, chart, proportion, scale, description in STANDARD_METRICS:
        if name not in existing:
            added.append(Metric(name=name, unit=unit, direction=direction, chart=chart, proportion=proportion,
                                scale=scale, description=description))
    db.session.add_all(added)
    db.session.flush()
    return added


def catalogue() -> list[Metric]:
    if not db.session.scalar(select(func.count()).select_from(Metric)):
        ensure_standard_metrics()
    return list(db.session.scalars(select(Metric).order_by(Metric.name)))


def add_metric(name: str, unit: str, direction: str, chart: str, proportion: bool, scale: float,
               description: str, actor) -> Metric:
    name = name.strip()
    problems = []
    if not name or len(name) > 120:
        problems.append(_("A metric's name is 1 to 120 characters."))
    elif name.casefold() in {known.casefold() for known in db.session.scalars(select(Metric.name))}:
        # compared here, not by the database's lower(), which folds only A-Z on SQLite (and in the C locale)
        problems.append(_("The catalogue has a metric named %(name)s already.", name=name))
    if direction not in DIRECTIONS or chart not in CHARTS:
        problems.append(_("Choose the direction and the chart from the lists."))
    if chart == "p" and not proportion:
        problems.append(_("A p chart is for proportions: tick 'counted out of a total'."))
    if not scale or scale <= 0 or not math.isfinite(scale):
        problems.append(_("The scale must be above 0."))
    elif not 1e-6 <= scale <= 1e6:
        problems.append(_("The scale is between 0.000001 and 1,000,000 (per million)."))
    refuse_if(problems)
    metric = Metric(name=name, unit=unit.strip()[:40], direction=direction, chart=chart, proportion=proportion,
                    scale=scale if proportion else 1.0, description=description.strip()[:300])
    db.session.add(metric)
    db.session.flush()
    audit.record(actor, "create", "metric", metric.id,
                 after={"name": name, "unit": metric.unit, "direction": direction, "chart": chart,
                        "proportion": proportion, "scale": metric.scale})
    return metric


@dataclass(frozen=True)
class Reading:
    """A measurement as typed, checked; `line` is where it came from in a file or a paste."""
    taken_on: date
    value: float
    denominator: float | None = None
    note: str = ""
    line: int | None = None

    def as_record(self) -> dict:
        return {"date": self.taken_on.isoformat(), "value": self.value, "denominator": self.denominator,
                "note": self.note}


def shown(metric: Metric, fraction_or_value: float | None) -> float | None:
    """A plotted figure (a fraction for a proportion) in the units people read."""
    if fraction_or_value is None:
        return None
    return fraction_or_value * metric.scale if metric.proportion else fraction_or_value


def chart_unit(metric: Metric) -> str:
    """The unit on a chart's axis: a proportion is plotted as a fraction, read in the metric's unit."""
    return metric.unit if not metric.proportion else f"× {metric.scale:g} = {metric.unit}"


def plotted(metric: Metric, shown_value: float | None) -> float | None:
    """The reverse of `shown`: a target typed in % becomes the fraction the statistics use."""
    if shown_value is None:
        return None
    return shown_value / metric.scale if metric.proportion else shown_value


def _number(text, what) -> tuple[float | None, str | None]:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        try:
            number = float(text)
        except OverflowError:  # an integer beyond any float, as JSON may send one
            number = math.inf
    else:
        cleaned = str(text if text is not None else "").strip()
        if not cleaned:
            return None, None
        try:
            number = float(cleaned)
        except ValueError:
            return None, _("The %(what)s %(text)s is not a number.", what=what, text=repr(cleaned[:40]))
    if not math.isfinite(number):
        return None, _("The %(what)s must be a finite number.", what=what)
    if abs(number) > LARGEST:
        return None, _("The %(what)s %(n)s is out of range: at most 10^15 either way.", what=what, n=f"{number:g}")
    return number, None


def _day(text, today: date) -> tuple[date | None, str | None]:
    if isinstance(text, date):
        day = text
    else:
        cleaned = str(text if text is not None else "").strip()
        if not cleaned:
            return None, _("The date is missing.")
        try:
            day = date.fromisoformat(cleaned)
        except ValueError:
            return None, _("The date %(text)s is not a date like 2026-03-31.", text=repr(cleaned[:40]))
    if day > today:
        return None, _("The date %(day)s is in the future; measure first, then record.", day=day.isoformat())
    return day, None


def read(metric: Metric, when, value, denominator=None, note="", *, today: date,
         line: int | None = None) -> tuple[Reading | None, list[str]]:
    """A checked reading of `metric` from what someone typed, or every problem with it."""
    day, day_problem = _day(when, today)
    number, value_problem = _number(value, _("value"))
    if number is None and value_problem is None:
        value_problem = _("The value is missing.")
    total, total_problem = _number(denominator, _("denominator"))
    problems = [p for p in (day_problem, value_problem, total_problem) if p]
    if metric.proportion and not total_problem:
        if total is None:
            problems.append(_("%(metric)s is counted out of a total: give the denominator.", metric=metric.name))
        elif total <= 0:
            problems.append(_("The denominator must be above 0, not %(n)s.", n=f"{total:g}"))
        elif number is not None and not 0 <= number <= total:
            problems.append(_("The value %(value)s must be between 0 and the denominator %(n)s.",
                              value=f"{number:g}", n=f"{total:g}"))
    elif total is not None and not total_problem:
        problems.append(_("%(metric)s is not counted out of a total: leave the denominator empty.",
                          metric=metric.name))
    note = str(note or "").strip()
    if len(note) > MAX_NOTE:
        problems.append(_("The note is longer than %(n)s characters.", n=MAX_NOTE))
    if "\x00" in note:  # a file or a JSON body can carry one; PostgreSQL cannot store it
        problems.append(_("The note contains a NUL character."))
    if problems:
        return None, [str(p) for p in problems]
    return Reading(day, number, total, note, line), []


def with_line(line: int | None, problem) -> str:
    return str(_("Line %(n)s: %(problem)s", n=line, problem=problem)) if line else str(problem)


def add_readings(metric: Metric, readings: list[Reading], actor, source: str) -> list[Measurement]:
    """Store every reading, or none: a date the metric has already (or twice in the batch) refuses all."""
    if not readings:
        raise Invalid(_("There were no measurements to add."))
    taken = set(db.session.scalars(select(Measurement.taken_on).where(
        Measurement.metric_id == metric.id, Measurement.taken_on.in_([r.taken_on for r in readings]))))
    problems, seen = [], set()
    for reading in readings:
        if reading.taken_on in taken or reading.taken_on in seen:
            problems.append(with_line(reading.line, _("%(metric)s has a measurement of %(day)s already.",
                                                      metric=metric.name, day=reading.taken_on.isoformat())))
        seen.add(reading.taken_on)
    refuse_if(problems)
    rows = [Measurement(metric_id=metric.id, taken_on=r.taken_on, value=r.value, denominator=r.denominator,
                        note=r.note, created_by_id=getattr(actor, "id", None)) for r in readings]
    db.session.add_all(rows)
    try:
        db.session.flush()
    except IntegrityError:  # another request stored one of these dates at this very moment
        db.session.rollback()
        raise Invalid(_("%(metric)s was given a measurement of one of these dates at the same moment; "
                        "nothing was stored. Try again.", metric=metric.name)) from None
    audit.record(actor, "add_measurements", "metric", metric.id,
                 after={"source": source, "measurements": [r.as_record() for r in readings]})
    return rows


def measurements_of(metric: Metric, start: date | None = None, end: date | None = None) -> list[Measurement]:
    query = select(Measurement).where(Measurement.metric_id == metric.id)
    if start:
        query = query.where(Measurement.taken_on >= start)
    if end:
        query = query.where(Measurement.taken_on <= end)
    return list(db.session.scalars(query.order_by(Measurement.taken_on)))


def latest(metric: Metric, count: int = 30) -> list[Measurement]:
    """The newest `count` measurements, oldest first."""
    query = (select(Measurement).where(Measurement.metric_id == metric.id)
             .order_by(Measurement.taken_on.desc()).limit(count))
    return list(reversed(list(db.session.scalars(query))))


def points(rows: list[Measurement]) -> list[Point]:
    return [Point(m.taken_on, m.value, m.denominator) for m in rows]


def count_before(metric: Metric, day: date, since: date) -> int:
    return db.session.scalar(select(func.count()).select_from(Measurement).where(
        Measurement.metric_id == metric.id, Measurement.taken_on < day, Measurement.taken_on >= since))


MAX_REASON = 2000


def rebase(metric: Metric, from_date: date | None, reason: str, actor, *, today: date) -> Rebase:
    """Calculate the metric's limits afresh from `from_date` on, for a recorded reason (never silently)."""
    reason = (reason or "").strip()
    problems = []
    if not reason:
        problems.append(_("Give the reason for recalculating the limits (what changed, and that it lasted)."))
    elif len(reason) > MAX_REASON or "\x00" in reason:
        problems.append(_("The reason is at most %(n)s characters.", n=MAX_REASON))
    if from_date is None:
        problems.append(_("Give the date the limits are recalculated from, like 2026-03-31."))
    elif from_date > today:
        problems.append(_("The date %(day)s is in the future.", day=from_date.isoformat()))
    elif count_before(metric, date.max, from_date) < MIN_REBASE_POINTS:
        problems.append(_("Limits need at least %(n)s measurements from %(day)s on; there are %(count)s.",
                          n=MIN_REBASE_POINTS, day=from_date.isoformat(),
                          count=count_before(metric, date.max, from_date)))
    refuse_if(problems)
    made = Rebase(metric_id=metric.id, from_date=from_date, reason=reason, created_by_id=getattr(actor, "id", None))
    db.session.add(made)
    db.session.flush()
    audit.record(actor, "rebase", "metric", metric.id, after={"from_date": from_date.isoformat(), "reason": reason})
    return made
