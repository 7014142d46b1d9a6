"""JSON API of the register: improvements with their measurements and computed effect, the metric
catalogue, and a door for a KPI system to push measurements (quality leads' tokens only).

Authenticated by the session or a personal API token (core.api).
"""
from datetime import date

from flask import Blueprint, abort, jsonify, request, url_for
from flask_login import current_user

from core.api import api_error, api_require, json_body, register_json_errors
from core.db import db
from core.errors import on_refusal, refuse_if
from improvement import metrics, results, service
from improvement.models import PHASES, Improvement, Metric

bp = Blueprint("improvement_api", __name__, url_prefix="/api/v1")
register_json_errors(bp)
MAX_PUSH = 1000


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
@api_require("read")
def improvements():
    phase = request.args.get("phase")
    if phase is not None and phase not in PHASES:
        return api_error(400, f"Unknown phase {phase!r}; use one of {', '.join(PHASES)}.")
    return jsonify({"improvements": [_summary(i, results.effect_of(i)) for i in service.improvements(phase)]})


@bp.get("/improvements/<int:improvement_id>")
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
                     "due_on": a.due_on.isoformat(), "status": a.status, "overdue": a.overdue(date.today())}
                    for a in found.actions],
        "articles": [{"id": link.article_id, "title": link.article.title, "kind": link.kind}
                     for link in found.article_links],
    })


@bp.get("/metrics")
@api_require("read")
def metric_catalogue():
    return jsonify({"metrics": [_metric_json(m) for m in metrics.catalogue()]})


@bp.post("/metrics/<int:metric_id>/measurements")
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
        reading, found = metrics.read(metric, item.get("date"), item.get("value"), item.get("denominator"),
                                      item.get("note", ""), today=date.today())
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
