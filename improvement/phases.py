"""The PDCA phases: the gate to the next phase as a checklist the page shows, moving forward and back,
cancelling, the decision at Act, and the time spent in each phase."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _
from flask_babel import lazy_ngettext

from core import audit
from core.db import utcnow
from improvement import metrics, results
from improvement.effect import MIN_POINTS
from improvement.models import DECISIONS, OPEN_PHASES, UNFINISHED, Improvement, PhasePeriod
from core.refused import Refused

FORWARD = {"plan": "do", "do": "check", "check": "act", "act": "closed"}
BACK = {"do": "plan", "check": "do", "act": "check"}
PHASE_LABELS = {"plan": _("Plan"), "do": _("Do"), "check": _("Check"), "act": _("Act"), "closed": _("Closed"),
                "cancelled": _("Cancelled")}


@dataclass(frozen=True)
class Check:
    """One rule of a phase gate: whether it is met and, in words, why (not)."""
    rule: str
    met: bool
    reason: str


def _check(rule, met: bool, reason_met, reason_unmet) -> Check:
    return Check(str(rule), met, str(reason_met if met else reason_unmet))


def gate(improvement: Improvement, today: date) -> list[Check]:
    """What moving to the next phase needs, each rule with its state; empty when there is no next phase."""
    rules = {"plan": _to_do, "do": _to_check, "check": _to_act, "act": _to_closed}.get(improvement.phase)
    return rules(improvement, today) if rules else []


def _to_do(improvement: Improvement, today: date) -> list[Check]:
    metric, change = improvement.metric, improvement.change_date or today + timedelta(days=1)
    before = metrics.count_before(metric, change, since=results.window(change)[0]) if metric else 0
    return [
        _check(_("A problem statement"), bool(improvement.problem.strip()), _("Written."),
               _("Write what is wrong, for whom, and how you know.")),
        _check(_("A primary metric"), metric is not None, _("%(metric)s.", metric=metric.name if metric else ""),
               _("Choose the KPI the change should move.")),
        _check(_("A target"), improvement.target is not None, _("Set."), _("Set the value the metric should reach.")),
        _check(_("A baseline"), before >= MIN_POINTS,
               _("%(n)s measurements in the year before the change.", n=before),
               _("%(n)s measurements of the metric in the year before the change; at least %(needed)s are "
                 "needed for a baseline.",
                 n=before, needed=MIN_POINTS)),
        _check(_("At least one root cause"), bool(improvement.causes),
               lazy_ngettext("%(num)d root cause.", "%(num)d root causes.", len(improvement.causes)), _("Analyse the problem to a root cause.")),
        _check(_("At least one action"), bool(improvement.actions),
               lazy_ngettext("%(num)d action.", "%(num)d actions.", len(improvement.actions)), _("Plan an action with an owner and a due date.")),
    ]


def _to_check(improvement: Improvement, today: date) -> list[Check]:
    change = improvement.change_date
    unfinished = [a for a in improvement.actions if a.kind != "containment" and a.status in UNFINISHED]
    return [
        _check(_("The change date"), change is not None and change <= today,
               _("The change went live on %(day)s.", day=change.isoformat() if change else ""),
               _("Set the date the change went live (not a date in the future).")),
        _check(_("Every corrective, preventive and standardise action done or dropped"), not unfinished,
               _("All finished."),
               _("Still open: %(actions)s.", actions="; ".join(a.description for a in unfinished))),
    ]


def _to_act(improvement: Improvement, today: date) -> list[Check]:
    effect = results.effect_of(improvement)
    after = effect.result.n if effect else 0
    return [_check(_("The effect measured after the change"),
                   effect is not None and effect.verdict != "not_enough_data",
                   _("Verdict: %(verdict)s.", verdict=results.VERDICT_LABELS[effect.verdict] if effect else ""),
                   _("%(n)s measurements after the change; at least %(needed)s are needed on each side.",
                     n=after, needed=MIN_POINTS))]


def _to_closed(improvement: Improvement, today: date) -> list[Check]:
    from improvement.labels import DECISION_LABELS  # labels reads this module's phase names
    decision = improvement.decision
    standardised = any(link.kind == "standard" for link in improvement.article_links)
    return [
        _check(_("A decision: adopt, adapt or abandon"), decision is not None, _("Decided: %(decision)s.",
               decision=DECISION_LABELS.get(decision, "")), _("Record the decision.")),
        _check(_("Adopting needs a linked best-practice article"), decision != "adopt" or standardised,
               _("Linked.") if standardised else _("Not needed for this decision."),
               _("Standardise the improvement as a best practice first.")),
    ]


def open_or_refuse(improvement: Improvement) -> None:
    if not improvement.is_open:
        raise Refused(_("The improvement is %(phase)s; nothing can be changed.",
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
    """Move to the next phase when every rule of the gate is met; else Refused with the unmet reasons."""
    open_or_refuse(improvement)
    checks = gate(improvement, today)
    unmet = [f"{c.rule}: {c.reason}" for c in checks if not c.met]
    if unmet:
        raise Refused(*unmet)
    _move(improvement, FORWARD[improvement.phase], actor, "advance")
    return improvement.phase


def go_back(improvement: Improvement, actor, reason: str = "") -> str:
    if improvement.phase not in BACK:
        raise Refused(_("There is no phase to go back to from %(phase)s.", phase=PHASE_LABELS[improvement.phase]))
    _move(improvement, BACK[improvement.phase], actor, "go_back", reason=reason.strip()[:300])
    return improvement.phase


def cancel(improvement: Improvement, actor, reason: str) -> None:
    open_or_refuse(improvement)
    if not reason.strip():
        raise Refused(_("Give the reason for cancelling."))
    improvement.cancel_reason = reason.strip()
    _move(improvement, "cancelled", actor, "cancel", reason=improvement.cancel_reason)


def decide(improvement: Improvement, decision: str, note: str, actor) -> None:
    if improvement.phase != "act":
        raise Refused(_("The decision is taken at Act."))
    if decision not in DECISIONS:
        raise Refused(_("Decide to adopt, adapt or abandon."))
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
