"""JSON API of the register: improvements with their measurements and computed effect, the metric
catalogue, and a door for a KPI system to push measurements (quality leads' tokens only).

Authenticated by the session or a personal API token (core.api).
"""

from flask import Blueprint, abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import clock
from core.api import api_error, api_require, json_body, register_json_errors
from core.db import db
from core.errors import on_refusal, refuse_if
from core.openapi import BOOLEAN, DATE, INTEGER, NUMBER, STRING, URL, array, describe, extend, nullable, obj, one_of
from improvement import annotations, metrics, overview, results, service, spc
from improvement.models import (
    ACTION_KINDS,
    ACTION_STATUSES,
    CAUSE_CATEGORIES,
    CHARTS,
    DECISIONS,
    DIMENSIONS,
    DIRECTIONS,
    LINK_KINDS,
    PHASES,
    SEVERITIES,
    SOURCES,
    Improvement,
    Metric,
)

bp = Blueprint("improvement_api", __name__, url_prefix="/api/v1")
register_json_errors(bp)
MAX_PUSH = 1000
TAG = "Improvement register"
FIGURE = nullable(NUMBER)
METRIC = obj(id=INTEGER, name=STRING, unit=STRING, direction=one_of(*DIRECTIONS), chart=one_of(*CHARTS),
             proportion=BOOLEAN, scale=NUMBER)
SUMMARY = obj(id=INTEGER, title=STRING, phase=one_of(*PHASES), source=one_of(*SOURCES),
              dimension=one_of(*DIMENSIONS), severity=one_of(*SEVERITIES), touchpoint=STRING, owner=STRING,
              metric=nullable(STRING), target=FIGURE, change_date=nullable(DATE), verdict=nullable(STRING), url=URL)
SIDE = obj(n=INTEGER, mean=FIGURE, median=FIGURE, centre=FIGURE)
EFFECT = obj(verdict=STRING, baseline=SIDE, result=SIDE, change=FIGURE, percent_change=FIGURE,
             improved=nullable(BOOLEAN), target_met=nullable(BOOLEAN), sustained_signal=nullable(STRING),
             points_outside_limits=array(DATE), reasons=array(obj(code=STRING)))
IMPROVEMENT = extend(
    SUMMARY, problem=STRING, what_changed=STRING, decision=nullable(one_of(*DECISIONS)), decision_note=STRING,
    follows=nullable(INTEGER), started_on=DATE, primary_metric=nullable(METRIC), baseline=nullable(SIDE),
    effect=nullable(EFFECT),
    measurements=array(obj(date=DATE, value=NUMBER, denominator=FIGURE, shown=FIGURE)),
    causes=array(obj(id=INTEGER, statement=STRING, category=one_of(*CAUSE_CATEGORIES), verified=BOOLEAN,
                     whys=array(STRING))),
    actions=array(obj(id=INTEGER, description=STRING, kind=one_of(*ACTION_KINDS), owner=STRING, due_on=DATE,
                      status=one_of(*ACTION_STATUSES), overdue=BOOLEAN)),
    articles=array(obj(id=INTEGER, title=STRING, kind=one_of(*LINK_KINDS))))
MEASUREMENT = obj(("denominator", "note"), date=DATE, value={"type": ["number", "string"]},
                  denominator={"type": ["number", "string", "null"]},
                  note=nullable({**STRING, "maxLength": metrics.MAX_NOTE}))


def _metric_json(metric: Metric | None) -> dict | None:
    if metric is None:
        return None
    return {"id": metric.id, "name": metric.name, "unit": metric.unit, "direction": metric.direction,
            "chart": metric.chart, "proportion": metric.proportion, "scale": metric.scale}


def _summary(improvement: Improvement, effect) -> dict:
    return {"id": improvement.id, "title": improvement.title, "phase": improvement.phase,
            "source": improvement.source, "dimension": improvement.dimension, "severity": improvement.severity,
            "touchpoint": improvement.touchpoint, "owner": improvement.owner.username,
            "metric": improvement.metric.name if improvement.metric else None, "target": improvement.target,
            "change_date": improvement.change_date.isoformat() if improvement.change_date else None,
            "verdict": effect.verdict if effect else None,
            "url": url_for("improvement.page", improvement_id=improvement.id, _external=True)}


@bp.get("/improvements")
@describe("Every improvement (or those in one phase), newest first, with its verdict", tag=TAG,
          query={"phase": one_of(*PHASES)}, refusals=(400,),
          answers={200: ("The improvements", obj(improvements=array(SUMMARY)))})
@api_require("read")
def improvements():
    phase = request.args.get("phase")
    if phase is not None and phase not in PHASES:
        return api_error(400, f"Unknown phase {phase!r}; use one of {', '.join(PHASES)}.")
    return jsonify({"improvements": [_summary(i, results.effect_of(i)) for i in service.improvements(phase)]})


@bp.get("/improvements/<int:improvement_id>")
@describe("One improvement: its measurements, measured effect, causes, actions and articles", tag=TAG,
          refusals=(404,), answers={200: ("The improvement", IMPROVEMENT)})
@api_require("read")
def improvement(improvement_id: int):
    found = service.find(improvement_id) or abort(404)
    effect = results.effect_of(found)
    metric = found.metric
    return jsonify(_summary(found, effect) | {
        "problem": found.problem, "what_changed": found.what_changed, "decision": found.decision,
        "decision_note": found.decision_note, "follows": found.follows_id,
        "started_on": found.started_on.isoformat(), "primary_metric": _metric_json(metric),
        "baseline": results.as_json(effect, metric)["baseline"] if effect else None,
        "effect": results.as_json(effect, metric),
        "measurements": [{"date": p.when.isoformat(), "value": p.value, "denominator": p.denominator,
                          "shown": metrics.shown(metric, p.plotted)} for p in results.series(found)],
        "causes": [{"id": c.id, "statement": c.statement, "category": c.category, "verified": c.verified,
                    "whys": [w.text for w in c.whys]} for c in found.causes],
        "actions": [{"id": a.id, "description": a.description, "kind": a.kind, "owner": a.owner.username,
                     "due_on": a.due_on.isoformat(), "status": a.status, "overdue": a.overdue(clock.today())}
                    for a in found.actions],
        "articles": [{"id": link.article_id, "title": link.article.title, "kind": link.kind}
                     for link in found.article_links],
    })


@bp.get("/metrics")
@describe("The metric catalogue (the KPIs improvements are measured by)", tag=TAG,
          answers={200: ("The metrics", obj(metrics=array(METRIC)))})
@api_require("read")
def metric_catalogue():
    return jsonify({"metrics": [_metric_json(m) for m in metrics.catalogue()]})


SIGNAL = obj(rule=one_of(*spc.RULES), side=one_of("high", "low"), dates=array(DATE))
ANNOTATION = obj(number=INTEGER, date=DATE, kind=one_of(*annotations.KINDS), text=STRING)
METRIC_READING = obj(
    id=INTEGER, name=STRING, unit=STRING, direction=one_of(*DIRECTIONS), chart=one_of("xmr", "p"), points=INTEGER,
    limits_from=nullable(DATE), rebase_reason=nullable(STRING), latest=nullable(obj(date=DATE, value=NUMBER)),
    centre=FIGURE, lower_limit=FIGURE, upper_limit=FIGURE, target=FIGURE, variation=one_of(*spc.VARIATIONS),
    assurance=nullable(one_of(*spc.ASSURANCES)), signals=array(SIGNAL), annotations=array(ANNOTATION))


@bp.get("/metrics/overview")
@describe("Every metric read the Making Data Count way (quality leads): its latest limits, variation and "
          "assurance icons, the rules' signals and the chart's annotations", tag=TAG,
          notes="Figures are in the metric's shown unit (a proportion times its scale); the limits are the "
                "latest point's. `variation` is read from the latest point; `assurance` is null without a target.",
          answers={200: ("The overview", obj(metrics=array(METRIC_READING)))})
@api_require("run_improvements")
def metric_overview():
    return jsonify({"metrics": [overview.as_json(found) for found in overview.overview()]})


@bp.post("/metrics/<int:metric_id>/measurements")
@describe("Add measurements of a metric (quality leads): all are stored or none", tag=TAG, refusals=(404,),
          notes=f"At most {MAX_PUSH} at a time; a date the metric has a measurement of already refuses them all. "
                "A 400 lists every problem by its position in `error.problems`.",
          body={"oneOf": [obj(measurements=array(MEASUREMENT, minItems=1, maxItems=MAX_PUSH)), MEASUREMENT,
                          array(MEASUREMENT, minItems=1, maxItems=MAX_PUSH)]}, body_required=True,
          answers={201: ("Stored", obj(metric=INTEGER, created=INTEGER))})
@api_require("run_improvements")
def push_measurements(metric_id: int):
    """Body: {"measurements": [{"date": "2026-03-02", "value": 412, "denominator": 500, "note": ""}, ...]}
    or one such object. All are stored or none; every problem is listed by its position (1 = first)."""
    metric = db.session.get(Metric, metric_id) or abort(404)
    body = json_body()
    items = body.get("measurements", [body]) if isinstance(body, dict) else body
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        return api_error(400, 'Send JSON: {"measurements": [{"date": "YYYY-MM-DD", "value": 1.0}, ...]}.')
    if len(items) > MAX_PUSH:
        return api_error(400, f"At most {MAX_PUSH} measurements at a time.")
    readings, problems = [], []
    for n, item in enumerate(items, start=1):
        note = item.get("note", "")
        reading, found = metrics.read(metric, item.get("date"), item.get("value"), item.get("denominator"),
                                      note, today=clock.today())
        if note is not None and not isinstance(note, str):  # JSON may send a list or an object: not stored as text
            reading, found = None, found + [_("The note must be text.")]
        problems += [f"Measurement {n}: {p}" for p in found]
        readings += [reading] if reading else []
    on_refusal(lambda refusal: _with_problems(refusal.problems))
    refuse_if(problems)
    added = metrics.add_readings(metric, readings, current_user, "api")
    return jsonify({"metric": metric.id, "created": len(added)}), 201


def _with_problems(problems: list[str]):
    answer = jsonify({"error": {"status": 400, "reason": "Nothing was stored: " + " ".join(problems),
                                "problems": problems}})
    answer.status_code = 400
    return answer
