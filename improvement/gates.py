"""The phase gates as pure rules: what moving from each PDCA phase to the next needs, over facts that
improvement.phases gathers from the database. No database, no request: tested as plain functions."""
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _
from flask_babel import lazy_ngettext

from improvement.effect import MIN_POINTS
from improvement.labels import DECISION_LABELS, VERDICT_LABELS


@dataclass(frozen=True)
class Check:
    """One rule of a phase gate: whether it is met and, in words, why (not)."""
    rule: str
    met: bool
    reason: str


@dataclass
class GateFacts:
    """What the gates look at. Only the present phase's facts need to be filled in."""
    phase: str
    has_problem: bool = False
    metric_name: str | None = None
    has_target: bool = False
    baseline_points: int = 0  # measurements of the metric in the year before the (planned) change
    causes: int = 0
    actions: int = 0
    change_date: date | None = None
    unfinished: list[str] = field(default_factory=list)  # corrective, preventive, standardise actions still open
    verdict: str | None = None  # of the measured effect; None when there is no metric or change date
    points_after: int = 0
    decision: str | None = None
    standardised: bool = False  # a best-practice article is linked as the standard


def _check(rule, met: bool, reason_met, reason_unmet) -> Check:
    return Check(str(rule), met, str(reason_met if met else reason_unmet))


def gate_rules(facts: GateFacts, today: date) -> list[Check]:
    """What moving to the next phase needs, each rule with its state; empty when there is no next phase."""
    rules = {"plan": _to_do, "do": _to_check, "check": _to_act, "act": _to_closed}.get(facts.phase)
    return rules(facts, today) if rules else []


def _to_do(facts: GateFacts, today: date) -> list[Check]:
    before = facts.baseline_points
    return [
        _check(_("A problem statement"), facts.has_problem, _("Written."),
               _("Write what is wrong, for whom, and how you know.")),
        _check(_("A primary metric"), facts.metric_name is not None, _("%(metric)s.", metric=facts.metric_name or ""),
               _("Choose the KPI the change should move.")),
        _check(_("A target"), facts.has_target, _("Set."), _("Set the value the metric should reach.")),
        _check(_("A baseline"), before >= MIN_POINTS,
               _("%(n)s measurements in the year before the change.", n=before),
               _("%(n)s measurements of the metric in the year before the change; at least %(needed)s are "
                 "needed for a baseline.",
                 n=before, needed=MIN_POINTS)),
        _check(_("At least one root cause"), bool(facts.causes),
               lazy_ngettext("%(num)d root cause.", "%(num)d root causes.", facts.causes),
               _("Analyse the problem to a root cause.")),
        _check(_("At least one action"), bool(facts.actions),
               lazy_ngettext("%(num)d action.", "%(num)d actions.", facts.actions),
               _("Plan an action with an owner and a due date.")),
    ]


def _to_check(facts: GateFacts, today: date) -> list[Check]:
    change = facts.change_date
    return [
        _check(_("The change date"), change is not None and change <= today,
               _("The change went live on %(day)s.", day=change.isoformat() if change else ""),
               _("Set the date the change went live (not a date in the future).")),
        _check(_("Every corrective, preventive and standardise action done or dropped"), not facts.unfinished,
               _("All finished."),
               _("Still open: %(actions)s.", actions="; ".join(facts.unfinished))),
    ]


def _to_act(facts: GateFacts, today: date) -> list[Check]:
    return [_check(_("The effect measured after the change"),
                   facts.verdict is not None and facts.verdict != "not_enough_data",
                   _("Verdict: %(verdict)s.", verdict=VERDICT_LABELS[facts.verdict] if facts.verdict else ""),
                   _("%(n)s measurements after the change; at least %(needed)s are needed on each side.",
                     n=facts.points_after, needed=MIN_POINTS))]


def _to_closed(facts: GateFacts, today: date) -> list[Check]:
    decision = facts.decision
    return [
        _check(_("A decision: adopt, adapt or abandon"), decision is not None, _("Decided: %(decision)s.",
               decision=DECISION_LABELS.get(decision, "")), _("Record the decision.")),
        _check(_("Adopting needs a linked best-practice article"), decision != "adopt" or facts.standardised,
               _("Linked.") if facts.standardised else _("Not needed for this decision."),
               _("Standardise the improvement as a best practice first.")),
    ]
