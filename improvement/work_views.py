"""The work inside an improvement: root causes, actions (and 'My actions'), measurements typed, pasted
or uploaded, and the metric catalogue. Thin, like improvement.views, whose page shows the forms."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.auth import require
from core import clock
from core.errors import Invalid, on_refusal, refuse_if
from improvement import causes_and_actions as work
from improvement import measurements_csv, metrics
from improvement.forms import (
    ActionForm,
    ActionStatusForm,
    CauseForm,
    MeasurementForm,
    MetricForm,
    PasteForm,
    UploadForm,
)
from improvement.views import active_users, improvement_or_404, refused_flash, render_page, submit_on_page, to_page

bp = Blueprint("improvement_work", __name__)


@bp.post("/improvements/<int:improvement_id>/causes")
@require("run_improvements")
def add_cause(improvement_id: int):
    improvement = improvement_or_404(improvement_id)
    return submit_on_page(improvement, CauseForm(), "cause_form", "causes",
                          lambda form: work.add_cause(improvement, form.details(), current_user),
                          _("Root cause added."))


@bp.route("/improvements/<int:improvement_id>/causes/<int:cause_id>", methods=["GET", "POST"])
@require("run_improvements")
def edit_cause(improvement_id: int, cause_id: int):
    improvement = improvement_or_404(improvement_id)
    cause = work.cause_of(improvement, cause_id) or abort(404)
    # what the cause has, the why-chain as the text the form edits (a field the request leaves out keeps it)
    form = CauseForm(data={"statement": cause.statement, "category": cause.category, "evidence": cause.evidence,
                           "verified": cause.verified, "whys": "\n".join(step.text for step in cause.whys)})
    if form.validate_on_submit():
        on_refusal(lambda refusal: _cause_page(improvement, cause, form, refusal.problems))
        work.update_cause(cause, form.details(), current_user)
        flash(_("Root cause saved."), "success")
        return to_page(improvement, "causes")
    return _cause_page(improvement, cause, form)


def _cause_page(improvement, cause, form: CauseForm, problems: list | None = None):
    status = 400 if form.errors or problems else 200
    return render_template("improvement/cause.html", improvement=improvement, cause=cause, form=form,
                           problems=problems or []), status


@bp.post("/improvements/<int:improvement_id>/actions")
@require("run_improvements")
def add_action(improvement_id: int):
    improvement = improvement_or_404(improvement_id)
    return submit_on_page(improvement, ActionForm(owners=active_users(), causes=improvement.causes), "action_form",
                          "actions", lambda form: work.add_action(improvement, form.details(), current_user),
                          _("Action added."))


@bp.post("/improvements/actions/<int:action_id>/status")
@require("read")
def action_status(action_id: int):
    action = work.action_of(action_id) or abort(404)
    if not work.may_update(action, current_user):
        abort(403, description=_("Only the action's owner or a quality lead can update it."))
    form = ActionStatusForm()
    back = (url_for("improvement_work.my_actions") if request.form.get("back") == "mine" else
            url_for("improvement.page", improvement_id=action.improvement_id, _anchor="actions"))
    if not form.validate_on_submit():
        flash(_("Choose a status; a done date looks like 2026-03-31."), "warning")
        return redirect(back, 303)
    on_refusal(lambda refusal: refused_flash(refusal) or redirect(back, 303))
    work.set_status(action, form.status.data, current_user, clock.today(), form.done_on.data,
                    form.drop_reason.data or "")
    flash(_("Action updated."), "success")
    return redirect(back, 303)


@bp.get("/my-actions")
@require("read")
def my_actions():
    today = clock.today()
    return render_template("improvement/my_actions.html", actions=work.my_actions(current_user, today), today=today)


def _metric_or_refuse(improvement):
    if improvement.metric is None:
        raise Invalid(_("Choose the improvement's primary metric first (Edit)."))
    return improvement.metric


@bp.post("/improvements/<int:improvement_id>/measurements")
@require("run_improvements")
def add_measurements(improvement_id: int):
    """One measurement from the form, or rows pasted as CSV (kind=paste)."""
    improvement = improvement_or_404(improvement_id)
    pasted = request.form.get("kind") == "paste"
    form = PasteForm() if pasted else MeasurementForm()
    forms = {"paste_form" if pasted else "measurement_form": form}
    if not form.validate_on_submit():
        return render_page(improvement, 400, **forms)
    on_refusal(lambda refusal: render_page(improvement, 400, {"measurements": refusal.problems}, **forms))
    metric = _metric_or_refuse(improvement)
    if pasted:
        readings = measurements_csv.parse(form.rows.data, metric, clock.today())
    else:
        reading, problems = metrics.read(metric, form.taken_on.data, form.value.data, form.denominator.data,
                                         form.note.data, today=clock.today())
        refuse_if(problems)
        readings = [reading]
    added = metrics.add_readings(metric, readings, current_user, "paste" if pasted else "form")
    flash(_("%(n)s measurements added.", n=len(added)), "success")
    return to_page(improvement, "measurements")


@bp.post("/improvements/<int:improvement_id>/measurements/upload")
@require("run_improvements")
def upload_measurements(improvement_id: int):
    improvement = improvement_or_404(improvement_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return render_page(improvement, 400, upload_form=form)
    on_refusal(lambda refusal: render_page(improvement, 400, {"measurements": refusal.problems}, upload_form=form))
    metric = _metric_or_refuse(improvement)
    data = form.file.data.stream.read(measurements_csv.MAX_BYTES + 1)
    readings = measurements_csv.parse(measurements_csv.decode(data), metric, clock.today())
    added = metrics.add_readings(metric, readings, current_user, f"upload {form.file.data.filename}"[:80])
    flash(_("%(n)s measurements imported.", n=len(added)), "success")
    return to_page(improvement, "measurements")


@bp.route("/improvements/metrics", methods=["GET", "POST"])
@require("read")
def metric_catalogue():
    form = MetricForm()
    if request.method == "POST":
        if not current_user.can("run_improvements"):
            abort(403)
        if form.validate_on_submit():
            on_refusal(lambda refusal: _catalogue_page(form, refusal.problems))
            scale = 1.0 if form.scale.data is None else form.scale.data  # 0 is refused, not taken as 1
            metrics.add_metric(form.name.data, form.unit.data or "", form.direction.data, form.chart.data,
                               bool(form.proportion.data), scale, form.description.data or "", current_user)
            flash(_("Metric added to the catalogue."), "success")
            return redirect(url_for("improvement_work.metric_catalogue"), 303)
    return _catalogue_page(form)


def _catalogue_page(form: MetricForm, problems: list | None = None):
    status = 400 if form.errors or problems else 200
    return render_template("improvement/metrics.html", metrics=metrics.catalogue(), form=form,
                           problems=problems or []), status
