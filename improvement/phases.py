"""The PDCA phases: the gate to the next phase as a checklist the page shows, moving forward and back,
cancelling, the decision at Act, and the time spent in each phase."""
from collections import defaultdict
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _

from core import audit
from core.db import utcnow
from core.errors import Invalid
from improvement import metrics, results
from improvement.gates import Check, GateFacts, gate_rules
from improvement.labels import PHASE_LABELS
from improvement.models import DECISIONS, OPEN_PHASES, UNFINISHED, Improvement, PhasePeriod

FORWARD = {"plan": "do", "do": "check", "check": "act", "act": "closed"}
BACK = {"do": "plan", "check": "do", "act": "check"}


def gather_facts(improvement: Improvement, today: date) -> GateFacts:
    """What the gate of the improvement's present phase looks at, read from the database (only that)."""
    metric, change = improvement.metric, improvement.change_date
    facts = GateFacts(phase=improvement.phase, has_problem=bool(improvement.problem.strip()),
                      metric_name=metric.name if metric else None, has_target=improvement.target is not None,
                      causes=len(improvement.causes), actions=len(improvement.actions), change_date=change,
                      decision=improvement.decision)
    if improvement.phase == "plan" and metric is not None:
        planned = change or today + timedelta(days=1)
        facts.baseline_points = metrics.count_before(metric, planned, since=results.window(planned)[0])
    if improvement.phase == "do":
        facts.unfinished = [a.description for a in improvement.actions
                            if a.kind != "containment" and a.status in UNFINISHED]
    if improvement.phase == "act":
        facts.standardised = any(link.kind == "standard" for link in improvement.article_links)
    if improvement.phase == "check":
        effect = results.effect_of(improvement)
        facts.verdict, facts.points_after = (effect.verdict, effect.result.n) if effect else (None, 0)
    return facts


def gate(improvement: Improvement, today: date) -> list[Check]:
    """What moving to the next phase needs, each rule with its state; empty when there is no next phase."""
    return gate_rules(gather_facts(improvement, today), today)


def open_or_refuse(improvement: Improvement) -> None:
    if not improvement.is_open:
        raise Invalid(_("The improvement is %(phase)s; nothing can be changed.",
                        phase=PHASE_LABELS[improvement.phase]))


def enter(improvement: Improvement, phase: str, now: datetime | None = None) -> None:
    """Close the present phase period and open one for `phase`."""
    now = now or utcnow()
    for period in improvement.periods:
        if period.left_at is None:
            period.left_at = now
    improvement.periods.append(PhasePeriod(phase=phase, entered_at=now))
    improvement.phase = phase
    improvement.updated_at = now


def _move(improvement: Improvement, to: str, actor, action: str, **facts) -> None:
    before = improvement.phase
    enter(improvement, to)
    audit.record(actor, action, "improvement", improvement.id, before={"phase": before},
                 after={"phase": to, **facts})


def advance(improvement: Improvement, actor, today: date) -> str:
    """Move to the next phase when every rule of the gate is met; else Invalid with the unmet reasons."""
    open_or_refuse(improvement)
    checks = gate(improvement, today)
    unmet = [f"{c.rule}: {c.reason}" for c in checks if not c.met]
    if unmet:
        raise Invalid(*unmet)
    _move(improvement, FORWARD[improvement.phase], actor, "advance")
    return improvement.phase


def go_back(improvement: Improvement, actor, reason: str = "") -> str:
    if improvement.phase not in BACK:
        raise Invalid(_("There is no phase to go back to from %(phase)s.", phase=PHASE_LABELS[improvement.phase]))
    _move(improvement, BACK[improvement.phase], actor, "go_back", reason=reason.strip()[:300])
    return improvement.phase


def cancel(improvement: Improvement, actor, reason: str) -> None:
    open_or_refuse(improvement)
    if not reason.strip():
        raise Invalid(_("Give the reason for cancelling."))
    improvement.cancel_reason = reason.strip()
    _move(improvement, "cancelled", actor, "cancel", reason=improvement.cancel_reason)


def decide(improvement: Improvement, decision: str, note: str, actor) -> None:
    if improvement.phase != "act":
        raise Invalid(_("The decision is taken at Act."))
    if decision not in DECISIONS:
        raise Invalid(_("Decide to adopt, adapt or abandon."))
    before = {"decision": improvement.decision, "decision_note": improvement.decision_note}
    improvement.decision, improvement.decision_note = decision, note.strip()
    audit.record(actor, "decide", "improvement", improvement.id, before=before,
                 after={"decision": decision, "decision_note": improvement.decision_note})


def time_in_phases(periods: list[PhasePeriod], now: datetime) -> dict[str, timedelta]:
    """How long was spent in each phase (a phase entered twice counts both times); the present one to now."""
    spent: dict[str, timedelta] = defaultdict(timedelta)
    for period in periods:
        spent[period.phase] += (period.left_at or now) - period.entered_at
    return {phase: spent[phase] for phase in OPEN_PHASES if phase in spent}
