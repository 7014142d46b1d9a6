"""Measured knowledge pages: the metric overview (Making Data Count icons and small multiples), recalculating a
metric's limits from a date with a reason, and the knowledge-demand chart (searches that find nothing) with
"open an improvement" from a special cause. Thin: validate, call a service function, redirect."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.auth import require
from core import clock
from core.db import db
from core.errors import on_refusal
from core.forms import valid_or_400
from improvement import knowledge, metrics, overview, service
from improvement.forms import ButtonForm, RebaseForm
from improvement.models import Metric

bp = Blueprint("measured", __name__, url_prefix="/improvements")


def _overview_page(forms: dict | None = None, status: int = 200):
    forms = forms or {}
    readings = overview.overview()
    return render_template("improvement/overview.html", readings=readings, today=clock.today(), shown=metrics.shown,
                           forms={r.metric.id: forms.get(r.metric.id) or rebase_form(r.metric.id, formdata=None)
                                  for r in readings}), status


def rebase_form(metric_id: int, **kwargs) -> RebaseForm:
    """One form per metric on the page: the prefix keeps their fields' ids (and labels) apart."""
    return RebaseForm(prefix=f"metric{metric_id}", **kwargs)


@bp.get("/metrics/overview")
@require("run_improvements")
def metric_overview():
    return _overview_page()


@bp.post("/metrics/<int:metric_id>/rebase")
@require("run_improvements")
def rebase(metric_id: int):
    metric = db.session.get(Metric, metric_id) or abort(404)
    form = rebase_form(metric.id)
    if not form.validate_on_submit():
        return _overview_page({metric.id: form}, 400)

    def refused(refusal):
        form.form_errors.extend(refusal.problems)
        return _overview_page({metric.id: form}, 400)
    on_refusal(refused)
    metrics.rebase(metric, form.from_date.data, form.reason.data, current_user, today=clock.today())
    flash(_("The limits of %(metric)s are recalculated from %(day)s; the reason is on its chart and in its timeline.",
            metric=metric.name, day=form.from_date.data.isoformat()), "success")
    return redirect(url_for("measured.metric_overview", _anchor=f"metric-{metric.id}"), 303)


@bp.get("/knowledge-demand")
@require("run_improvements")
def knowledge_demand():
    charts = knowledge.demand(clock.today())
    return render_template("improvement/knowledge_demand.html", charts=charts, button_form=ButtonForm(formdata=None),
                           open_already=service.open_for_origins([c.origin for c in charts]))


@bp.post("/knowledge-demand/improvement")
@require("run_improvements")
def open_from_demand():
    valid_or_400(ButtonForm())
    language = request.form.get("language", "")
    found = next((c for c in knowledge.demand(clock.today()) if c.language == language), None)
    if found is None or not found.concern:
        flash(_("The share of searches that find nothing shows no special cause of concern now; nothing was opened."),
              "warning")
        return redirect(url_for("measured.knowledge_demand"), 303)
    evidence = knowledge.demand_evidence(found)
    improvement = service.open_from_evidence(evidence.title, evidence.problem, evidence.source, evidence.origin,
                                             evidence.evidence, current_user)
    flash(_("Improvement opened in Plan, with the searches that found nothing in those weeks as evidence."), "success")
    return redirect(url_for("improvement.page", improvement_id=improvement.id), 303)
