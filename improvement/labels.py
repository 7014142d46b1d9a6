"""What users call the register's codes, in their language. A leaf: it imports nothing of ours."""
from flask_babel import lazy_gettext as _l

PHASE_LABELS = {"plan": _l("Plan"), "do": _l("Do"), "check": _l("Check"), "act": _l("Act"), "closed": _l("Closed"),
                "cancelled": _l("Cancelled")}
VERDICT_LABELS = {
    "effective": _l("Effective"),
    "improved_target_not_met": _l("Improved, target not met"),
    "no_signal": _l("No signal"),
    "worse": _l("Worse"),
    "not_enough_data": _l("Not enough data"),
}
VERDICT_MEANINGS = {
    "effective": _l("The measurements after the change show a sustained signal in the good direction, "
                   "and the target is met."),
    "improved_target_not_met": _l("The measurements after the change show a sustained signal in the good "
                                 "direction, but the result does not reach the target."),
    "no_signal": _l("The measurements after the change do not differ from the baseline more than chance "
                   "would explain; a moved average alone is not a change."),
    "worse": _l("The measurements after the change show a sustained signal in the bad direction."),
    "not_enough_data": _l("There are too few measurements on one side of the change to tell."),
}
SOURCE_LABELS = {"complaint": _l("Complaint"), "kpi_breach": _l("KPI breach"), "audit": _l("Audit"),
                 "staff_idea": _l("Staff idea"), "article_feedback": _l("Article feedback"),
                 "customer_feedback": _l("Customer feedback"), "search_gap": _l("Search that found nothing")}
DIMENSION_LABELS = {"tangibles": _l("Tangibles"), "reliability": _l("Reliability"),
                    "responsiveness": _l("Responsiveness"), "assurance": _l("Assurance"), "empathy": _l("Empathy")}
SEVERITY_LABELS = {"low": _l("Low"), "medium": _l("Medium"), "high": _l("High"), "critical": _l("Critical")}
DECISION_LABELS = {"adopt": _l("Adopt"), "adapt": _l("Adapt"), "abandon": _l("Abandon")}
CAUSE_LABELS = {"people": _l("People"), "process": _l("Process"), "policy": _l("Policy"), "place": _l("Place"),
                "product": _l("Product"), "measurement": _l("Measurement")}
KIND_LABELS = {"containment": _l("Containment"), "corrective": _l("Corrective"), "preventive": _l("Preventive"),
               "standardise": _l("Standardise")}
STATUS_LABELS = {"open": _l("Open"), "in_progress": _l("In progress"), "done": _l("Done"), "dropped": _l("Dropped")}
DIRECTION_LABELS = {"higher": _l("Higher is better"), "lower": _l("Lower is better")}
CHART_LABELS = {"xmr": _l("XmR (individuals)"), "p": _l("p chart (proportion)"), "run": _l("Run chart")}
EVENT_LABELS = {"create": _l("opened"), "revise": _l("details changed"), "advance": _l("moved forward"),
                "go_back": _l("went back a phase"), "cancel": _l("cancelled"), "decide": _l("decision recorded"),
                "add_cause": _l("root cause added"), "change_cause": _l("root cause changed"),
                "add_action": _l("action added"), "change_action": _l("action updated"),
                "add_measurements": _l("measurements added"), "link_article": _l("article linked"),
                "rebase": _l("limits recalculated")}

FIELD_LABELS = {"title": _l("title"), "problem": _l("problem"), "source": _l("source"), "dimension": _l("dimension"),
                "touchpoint": _l("touchpoint"), "severity": _l("severity"), "owner_id": _l("owner"),
                "metric_id": _l("metric"), "target": _l("target"), "change_date": _l("change date"),
                "what_changed": _l("what changed"), "follows_id": _l("follows"), "phase": _l("phase"),
                "reason": _l("reason"), "decision": _l("decision"), "decision_note": _l("why"),
                "statement": _l("cause"), "category": _l("category"), "whys": _l("why-chain"),
                "evidence": _l("evidence"), "verified": _l("verified"), "description": _l("action"),
                "kind": _l("kind"), "due_on": _l("due"), "cause_id": _l("cause"), "status": _l("status"),
                "done_on": _l("done on"), "drop_reason": _l("reason for dropping")}

# Making Data Count icons (improvement.spc): a short name and one sentence each
VARIATION_LABELS = {
    "common_cause": _l("Common cause"), "improvement_high": _l("Special cause: improvement (high)"),
    "improvement_low": _l("Special cause: improvement (low)"), "concern_high": _l("Special cause: concern (high)"),
    "concern_low": _l("Special cause: concern (low)"), "not_enough_data": _l("Not enough data"),
}
VARIATION_MEANINGS = {
    "common_cause": _l("The latest point varies only as the process always has: no rule marks it."),
    "improvement_high": _l("The latest point is part of a special cause above the centre line, the good side."),
    "improvement_low": _l("The latest point is part of a special cause below the centre line, the good side."),
    "concern_high": _l("The latest point is part of a special cause above the centre line, the bad side."),
    "concern_low": _l("The latest point is part of a special cause below the centre line, the bad side."),
    "not_enough_data": _l("Fewer than 6 measurements since the limits were set: too few to read."),
}
ASSURANCE_LABELS = {"met": _l("Target consistently met"), "not_met": _l("Target consistently not met"),
                    "variable": _l("Target met by chance")}
ASSURANCE_MEANINGS = {
    "met": _l("Both process limits are on the good side of the target: it is met unless the process changes."),
    "not_met": _l("Both process limits are on the bad side of the target: it is missed unless the process changes."),
    "variable": _l("The target lies between the process limits: it is hit and missed by chance alone."),
}
RULE_LABELS = {"outside": _l("a point outside the limits"), "run": _l("a run of 7 on one side of the centre"),
               "trend": _l("a trend of 7 up or down"), "two_of_three": _l("2 of 3 points beyond 2 sigma")}
SIGNAL_SIDE_LABELS = {"high": _l("high"), "low": _l("low")}


def for_templates() -> dict:
    return {"phase_labels": PHASE_LABELS, "verdict_labels": VERDICT_LABELS, "verdict_meanings": VERDICT_MEANINGS,
            "source_labels": SOURCE_LABELS,
            "dimension_labels": DIMENSION_LABELS, "severity_labels": SEVERITY_LABELS,
            "decision_labels": DECISION_LABELS, "cause_labels": CAUSE_LABELS, "kind_labels": KIND_LABELS,
            "status_labels": STATUS_LABELS, "direction_labels": DIRECTION_LABELS, "chart_labels": CHART_LABELS,
            "variation_labels": VARIATION_LABELS, "variation_meanings": VARIATION_MEANINGS,
            "assurance_labels": ASSURANCE_LABELS, "assurance_meanings": ASSURANCE_MEANINGS,
            "rule_labels": RULE_LABELS, "signal_side_labels": SIGNAL_SIDE_LABELS}
