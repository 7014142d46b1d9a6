"""Improvement pages: the register, one improvement with its phase checklist, moving through the phases,
the decision at Act, standardising as a best practice, the A3 report. Thin: validate, call a service
function, flash, redirect. Causes, actions and measurements are in improvement.work_views."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.auth import User, require
from core import clock
from core.db import db, utcnow
from core.errors import Invalid, on_refusal
from core.forms import valid_or_400
from improvement import causes_and_actions as work
from improvement import dashboard as dashboard_queries
from improvement import labels, metrics, phases, results, service, timeline
from improvement.forms import (
    ActionForm,
    ButtonForm,
    CancelForm,
    CauseForm,
    DecisionForm,
    ImprovementForm,
    LinkArticleForm,
    MeasurementForm,
    PasteForm,
    PhaseForm,
    UploadForm,
)
from improvement.models import PHASES, Improvement
from kb import service as kb_service
from kb.diff import line_diff

bp = Blueprint("improvement", __name__, url_prefix="/improvements")


def improvement_or_404(improvement_id: int) -> Improvement:
    return service.find(improvement_id) or abort(404)



def active_users() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)))


def to_page(improvement: Improvement, anchor: str = ""):
    return redirect(url_for("improvement.page", improvement_id=improvement.id, _anchor=anchor or None), 303)


def refused_flash(refusal: Invalid) -> None:
    for problem in refusal.problems:
        flash(problem, "warning")


def render_page(improvement: Improvement, status: int = 200, problems: dict | None = None, **forms):
    """The improvement page; a form that failed comes back in `forms` with its errors, `problems` by section."""
    today = clock.today()
    effect = results.effect_of(improvement)
    owners = active_users()
    forms = {"cause_form": CauseForm(formdata=None), "action_form": ActionForm(
                 formdata=None, owners=owners, causes=improvement.causes, owner_id=current_user.id),
             "measurement_form": MeasurementForm(formdata=None), "paste_form": PasteForm(formdata=None),
             "upload_form": UploadForm(formdata=None),
             "decision_form": DecisionForm(formdata=None, decision=improvement.decision,
                                           note=improvement.decision_note),
             "cancel_form": CancelForm(formdata=None), "button_form": ButtonForm(formdata=None),
             "link_form": LinkArticleForm(formdata=None)} | forms
    return render_template(
        "improvement/page.html", improvement=improvement, today=today, effect=effect,
        verdict_sentences=results.explain(effect, improvement.metric) if effect else [],
        chart=results.chart(improvement, effect), chart_notes=results.chart_annotations(improvement),
        checks=phases.gate(improvement, today),
        next_phase=phases.FORWARD.get(improvement.phase), previous_phase=phases.BACK.get(improvement.phase),
        standard=service.standard_article(improvement), timeline=service.timeline(improvement),
        follow_ups=service.follow_ups(improvement), days_in_phases={phase: spent.days for phase, spent in phases.time_in_phases(improvement.periods,
                                                                                     utcnow()).items()},
        measurements=metrics.latest(improvement.metric) if improvement.metric else [],
        may_update=lambda action: work.may_update(action, current_user),
        problems=problems or {}, **forms), status


@bp.get("")
@require("read")
def register():
    phase = request.args.get("phase") if request.args.get("phase") in PHASES else None
    return render_template("improvement/list.html", improvements=service.improvements(phase), phase=phase)


def _improvement_form(improvement: Improvement | None = None, **kwargs) -> ImprovementForm:
    earlier = [i for i in service.improvements() if improvement is None or i.id != improvement.id]
    return ImprovementForm(owners=active_users(), metrics=metrics.catalogue(), earlier=earlier, **kwargs)


@bp.route("/new", methods=["GET", "POST"])
@require("run_improvements")
def new():
    form = _improvement_form()
    if request.method == "GET":
        form.owner_id.data = current_user.id
        form.follows_id.data = request.args.get("follows", 0, type=int)
    if form.validate_on_submit():
        on_refusal(lambda refusal: _edit_page(form, None, refusal))
        created = service.create_improvement(form.details(), current_user, started_on=form.started_on.data)
        flash(_("Improvement opened in Plan. The checklist shows what the move to Do needs."), "success")
        return to_page(created)
    return _edit_page(form, None)


def _edit_page(form, improvement: Improvement | None, refusal=None):
    if refusal:
        form.form_errors.extend(refusal.problems)
        if improvement is not None:
            form.base_version.data = str(improvement.version)  # as saved now: the next save is based on it
    return render_template("improvement/edit.html", form=form, improvement=improvement), 400 if form.errors else 200


@bp.get("/<int:improvement_id>")
@require("read")
def page(improvement_id: int):
    return render_page(improvement_or_404(improvement_id))


@bp.route("/<int:improvement_id>/edit", methods=["GET", "POST"])
@require("run_improvements")
def edit(improvement_id: int):
    improvement = improvement_or_404(improvement_id)
    form = _improvement_form(improvement, obj=improvement)
    del form.started_on  # set when the cycle is opened; the phase history counts from it
    if request.method == "GET":
        form.metric_id.data = improvement.metric_id or 0
        form.follows_id.data = improvement.follows_id or 0
        form.base_version.data = str(improvement.version)
    if form.validate_on_submit():
        on_refusal(lambda refusal: _edit_page(form, improvement, refusal))
        on_refusal(lambda refusal: _conflict_page(improvement_id, form, refusal), service.ChangedMeanwhile)
        changed = service.update_improvement(improvement, form.details(), current_user,
                                             base_version=form.opened_at_version())
        flash(_("Saved.") if changed else _("Nothing changed."), "success")
        return to_page(improvement)
    return _edit_page(form, improvement)


def _details_text(details: service.ImprovementDetails) -> str:
    """The details as lines "Label: value" (a long text under its label), for the diff of a conflict."""
    names, lines = timeline.Names(), []
    for key, value in details.as_record().items():
        shown = timeline.format_value(key, value, names)
        lines += [f"{timeline.key_label(key)}:", *shown.splitlines(), ""] if "\n" in shown else \
            [f"{timeline.key_label(key)}: {shown}"]
    return "\n".join(lines)


def _conflict_page(improvement_id: int, form: ImprovementForm, refusal):
    """Someone saved first: the saved details, what differs, and the form with every word typed (the next save is
    based on the version saved now)."""
    current = improvement_or_404(improvement_id)
    form.base_version.data = str(current.version)
    form.form_errors.extend(refusal.problems)
    saved = _details_text(service.ImprovementDetails.of(current))
    return render_template("improvement/conflict.html", form=form, improvement=current, saved=saved,
                           diff=line_diff(saved, _details_text(form.details()))), 409


@bp.post("/<int:improvement_id>/phase")
@require("run_improvements")
def move(improvement_id: int):
    improvement = improvement_or_404(improvement_id)
    form = PhaseForm()
    valid_or_400(form)
    if form.direction.data not in ("forward", "back"):
        abort(400, description=_("Unknown direction."))
    on_refusal(lambda refusal: _stays(improvement, refusal))
    if form.direction.data == "forward":
        phases.advance(improvement, current_user, clock.today())
    else:
        phases.go_back(improvement, current_user, form.reason.data or "")
    flash(_("The improvement is now in %(phase)s.", phase=labels.PHASE_LABELS[improvement.phase]), "success")
    return to_page(improvement)


def _stays(improvement: Improvement, refusal):
    flash(_("The improvement stays in %(phase)s:", phase=labels.PHASE_LABELS[improvement.phase]), "warning")
    refused_flash(refusal)
    return to_page(improvement, "gate")


def submit_on_page(improvement: Improvement, form, form_name: str, section: str, act, done: str):
    """Validate `form` and `act(form)`; then back to the page's section, or the page again (400) with the
    form as it was sent and what went wrong."""
    if not form.validate_on_submit():
        return render_page(improvement, 400, **{form_name: form})
    on_refusal(lambda refusal: render_page(improvement, 400, {section: refusal.problems}, **{form_name: form}))
    act(form)
    flash(done, "success")
    return to_page(improvement, section)


@bp.post("/<int:improvement_id>/cancel")
@require("run_improvements")
def cancel(improvement_id: int):
    improvement = improvement_or_404(improvement_id)
    return submit_on_page(improvement, CancelForm(), "cancel_form", "cancel",
                          lambda form: phases.cancel(improvement, current_user, form.reason.data),
                          _("The improvement is cancelled."))


@bp.post("/<int:improvement_id>/decision")
@require("run_improvements")
def decide(improvement_id: int):
    improvement = improvement_or_404(improvement_id)
    form = DecisionForm()
    chosen = labels.DECISION_LABELS.get(form.decision.data, "")
    def act(sent):
        phases.decide(improvement, sent.decision.data, sent.note.data or "", current_user)
    return submit_on_page(improvement, form, "decision_form", "act", act,
                          _("Decision recorded: %(decision)s.", decision=chosen))


@bp.post("/<int:improvement_id>/standardise")
@require("run_improvements")
def standardise(improvement_id: int):
    improvement = improvement_or_404(improvement_id)
    valid_or_400(ButtonForm())
    on_refusal(lambda refusal: refused_flash(refusal) or to_page(improvement, "act"))
    article = service.standardise(improvement, current_user)
    flash(_("Draft best practice %(title)s created and linked; an editor or publisher reviews and publishes it.",
            title=article.title), "success")
    return to_page(improvement, "act")


@bp.post("/<int:improvement_id>/articles")
@require("run_improvements")
def link_article(improvement_id: int):
    improvement = improvement_or_404(improvement_id)

    def act(sent):
        article = kb_service.find_article(sent.article.data, current_user)
        if article is None:
            raise Invalid(_("There is no article %(reference)s that you may see.", reference=sent.article.data[:80]))
        service.link_article(improvement, article, current_user)
    return submit_on_page(improvement, LinkArticleForm(), "link_form", "links", act, _("Article linked."))


@bp.get("/<int:improvement_id>/report")
@require("read")
def report(improvement_id: int):
    improvement = improvement_or_404(improvement_id)
    effect = results.effect_of(improvement)
    return render_template("improvement/report.html", improvement=improvement, effect=effect,
                           verdict_sentences=results.explain(effect, improvement.metric) if effect else [],
                           chart=results.chart(improvement, effect), chart_notes=results.chart_annotations(improvement),
                           standard=service.standard_article(improvement),
                           today=clock.today(), printed_at=utcnow())


@bp.get("/dashboard")
@require("run_improvements")
def dashboard():
    return render_template("improvement/dashboard.html", today=clock.today(),
                           **dashboard_queries.overview(clock.today(), utcnow()))
