"""The quality leads' dashboard: the register by phase and SERVQUAL dimension, overdue actions, cycles
that reached Check with their verdicts, time spent in each phase, and the root-cause Pareto."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from core.db import db
from improvement import results
from improvement.causes_and_actions import overdue_actions
from improvement.models import DIMENSIONS, OPEN_PHASES, PHASES, Improvement, PhasePeriod, RootCause
from improvement.phases import time_in_phases


@dataclass(frozen=True)
class Bar:
    """One bar of a Pareto chart: a category, its count, its share and the running share, in %."""
    category: str
    count: int
    share: float
    cumulative: float


def pareto(counts: dict[str, int]) -> list[Bar]:
    """Categories from the most frequent down, with the cumulative share (the 80/20 line)."""
    total = sum(counts.values())
    bars, running = [], 0
    for category, count in sorted(((c, n) for c, n in counts.items() if n), key=lambda item: (-item[1], item[0])):
        running += count
        bars.append(Bar(category, count, 100 * count / total, 100 * running / total))
    return bars


def cause_pareto() -> list[Bar]:
    """Root causes of every improvement that was not cancelled, by category."""
    query = (select(RootCause.category, func.count()).join(RootCause.improvement)
             .where(Improvement.phase != "cancelled").group_by(RootCause.category))
    return pareto(dict(db.session.execute(query).all()))


def by_phase() -> dict[str, int]:
    counts = dict(db.session.execute(select(Improvement.phase, func.count()).group_by(Improvement.phase)).all())
    return {phase: counts.get(phase, 0) for phase in PHASES}


def by_dimension_and_phase() -> dict[str, dict[str, int]]:
    """dimension -> phase -> count, every dimension and phase present (zeros included)."""
    table = {d: {p: 0 for p in PHASES} for d in DIMENSIONS}
    query = select(Improvement.dimension, Improvement.phase, func.count()).group_by(Improvement.dimension,
                                                                                  Improvement.phase)
    for dimension, phase, count in db.session.execute(query):
        table[dimension][phase] = count
    return table


def average_days_in_phase(now: datetime) -> dict[str, float]:
    """Mean days per improvement that spent time in the phase (both stays when it went back)."""
    periods = defaultdict(list)
    for period in db.session.scalars(select(PhasePeriod)):
        periods[period.improvement_id].append(period)
    totals: dict[str, list[float]] = defaultdict(list)
    for stays in periods.values():
        for phase, spent in time_in_phases(stays, now).items():
            totals[phase].append(spent.total_seconds() / 86400)
    return {phase: sum(totals[phase]) / len(totals[phase]) for phase in OPEN_PHASES if totals[phase]}


@dataclass
class CheckedCycle:
    improvement: Improvement
    verdict: str | None
    chart: object


def checked_cycles(limit: int = 20) -> list[CheckedCycle]:
    """Improvements that reached Check (check, act or closed), newest first, each with its verdict."""
    query = (select(Improvement).where(Improvement.phase.in_(("check", "act", "closed")))
             .order_by(Improvement.updated_at.desc()).limit(limit))
    cycles = []
    for improvement in db.session.scalars(query):
        effect = results.effect_of(improvement)
        cycles.append(CheckedCycle(improvement, effect.verdict if effect else None,
                                   results.chart(improvement, effect, small=True)))
    return cycles


def overview(today: date, now: datetime) -> dict:
    return {"by_phase": by_phase(), "by_dimension": by_dimension_and_phase(), "overdue": overdue_actions(today),
            "cycles": checked_cycles(), "days_in_phase": average_days_in_phase(now), "pareto": cause_pareto()}
