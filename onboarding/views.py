"""Onboarding pages: my onboarding, learning paths for trainers (build, assign, progress, CSV, handbook), and
'I have read and understood this' at the end of an article. Thin: validate, call a domain function, flash,
redirect."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.auth import require
from core import clock
from core.errors import on_refusal
from core.forms import valid_or_400
from kb import queries
from onboarding import export, paths, progress, reading
from onboarding.forms import (
    AcknowledgeForm,
    AddItemForm,
    ArchiveForm,
    AssignForm,
    ButtonForm,
    MoveForm,
    PathForm,
    VersionForm,
)
from onboarding.models import LearningPath

bp = Blueprint("onboarding", __name__)


def _path_or_404(path_id: int) -> LearningPath:
    return paths.find(path_id) or abort(404)



def _to_path(path: LearningPath, anchor: str = ""):
    return redirect(url_for("onboarding.path", path_id=path.id, _anchor=anchor or None), 303)


def _changed_meanwhile(path_id: int):
    """Someone else changed the path since the page that sent this was shown (paths.PathChanged)."""
    flash(_("The path was changed by someone else while you were looking at it; nothing of yours was saved. "
            "Check it and try again."), "warning")
    return redirect(url_for("onboarding.path", path_id=path_id), 303)


@bp.get("/onboarding")
@require("read")
def mine():
    found = progress.progress_of(paths.assignments_of(current_user), clock.today())
    return render_template("onboarding/mine.html", progresses=found)


@bp.get("/onboarding/paths", endpoint="paths")
@require("build_paths")
def path_list():
    return render_template("onboarding/paths.html", paths=paths.all_paths())


@bp.route("/onboarding/paths/new", methods=["GET", "POST"])
@require("build_paths")
def new_path():
    form = PathForm()
    if form.validate_on_submit():
        on_refusal(lambda refusal: _path_form_page(form, None, refusal))
        created = paths.create_path(form.details(), current_user)
        flash(_("Path created. Add its articles and assign it to people."), "success")
        return _to_path(created)
    return _path_form_page(form, None)


def _path_form_page(form: PathForm, path: LearningPath | None, refusal=None):
    if refusal:
        form.form_errors.extend(refusal.problems)
    return render_template("onboarding/path_form.html", form=form, path=path), 400 if form.errors else 200


@bp.route("/onboarding/paths/<int:path_id>/edit", methods=["GET", "POST"])
@require("build_paths")
def edit_path(path_id: int):
    path = _path_or_404(path_id)
    form = PathForm(obj=path)
    if request.method == "GET":
        form.base_version.data = path.version
    if form.validate_on_submit():
        base = form.base_version.data or ""
        on_refusal(lambda refusal: _path_form_page(form, path, refusal))
        on_refusal(lambda refusal: _changed_meanwhile(path_id), paths.PathChanged)
        changed = paths.update_path(path, int(base) if base.isascii() and base.isdigit() else -1,
                                    form.details(), current_user)
        flash(_("Saved.") if changed else _("Nothing changed."), "success")
        return _to_path(path)
    return _path_form_page(form, path)


def render_path(path: LearningPath, status: int = 200, problems: dict | None = None, **forms):
    """The path page; a form that failed comes back in `forms` with what was sent, `problems` by section."""
    forms = {"add_form": AddItemForm(formdata=None, base_version=path.version),
             "assign_form": AssignForm(formdata=None, role=""),
             "version_form": VersionForm(formdata=None), "button_form": ButtonForm(formdata=None)} | forms
    return render_template("onboarding/path.html", path=path, matrix=progress.matrix(path, clock.today()),
                           problems=problems or {}, **forms), status


@bp.get("/onboarding/paths/<int:path_id>")
@require("build_paths")
def path(path_id: int):
    return render_path(_path_or_404(path_id))


@bp.post("/onboarding/paths/<int:path_id>/items")
@require("build_paths")
def add_item(path_id: int):
    path = _path_or_404(path_id)
    form = AddItemForm()
    if not form.validate_on_submit():
        return render_path(path, 400, add_form=form)
    on_refusal(lambda refusal: render_path(path, 400, {"items": refusal.problems}, add_form=form))
    on_refusal(lambda refusal: _changed_meanwhile(path_id), paths.PathChanged)
    item = paths.add_item(path, form.base_version.data, form.reference.data, current_user)
    flash(_("%(title)s added to the path.", title=item.article.title), "success")
    return _to_path(path, "items")


@bp.post("/onboarding/paths/<int:path_id>/archive")
@require("build_paths")
def archive(path_id: int):
    path = _path_or_404(path_id)
    form = ArchiveForm()
    valid_or_400(form)
    on_refusal(lambda refusal: _changed_meanwhile(path_id), paths.PathChanged)
    paths.set_archived(path, form.base_version.data, form.archived.data == "yes", current_user)
    flash(_("The path is archived: it no longer shows in My onboarding. Its records are kept.") if path.archived
          else _("The path is in use again."), "success")
    return _to_path(path)


@bp.post("/onboarding/paths/<int:path_id>/items/<int:item_id>/move")
@require("build_paths")
def move_item(path_id: int, item_id: int):
    path = _path_or_404(path_id)
    form = MoveForm()
    valid_or_400(form)
    on_refusal(lambda refusal: render_path(path, 400, {"items": refusal.problems}))
    on_refusal(lambda refusal: _changed_meanwhile(path_id), paths.PathChanged)
    paths.move_item(path, form.base_version.data, item_id, form.direction.data, current_user)
    return _to_path(path, "items")


@bp.post("/onboarding/paths/<int:path_id>/items/<int:item_id>/remove")
@require("build_paths")
def remove_item(path_id: int, item_id: int):
    path = _path_or_404(path_id)
    form = VersionForm()
    valid_or_400(form)
    on_refusal(lambda refusal: render_path(path, 400, {"items": refusal.problems}))
    on_refusal(lambda refusal: _changed_meanwhile(path_id), paths.PathChanged)
    item = paths.remove_item(path, form.base_version.data, item_id, current_user)
    flash(_("%(title)s removed from the path.", title=item.article.title), "success")
    return _to_path(path, "items")


@bp.post("/onboarding/paths/<int:path_id>/assignments")
@require("build_paths")
def assign(path_id: int):
    path = _path_or_404(path_id)
    form = AssignForm()
    if not form.validate_on_submit():
        return render_path(path, 400, assign_form=form)
    on_refusal(lambda refusal: render_path(path, 400, {"assign": [_("Nothing was assigned.")] + refusal.problems},
                                           assign_form=form))
    people = paths.people_for(paths.parse_usernames(form.usernames.data), form.role.data or None)
    done = paths.assign(path, people, form.due_on.data, current_user, clock.today())
    due = form.due_on.data.isoformat()
    if done.added:
        flash(_("Assigned to %(names)s, due by %(date)s.", names=", ".join(p.name for p in done.added),
                date=due), "success")
    for person, before in done.moved:
        flash(_("%(name)s had this path already; their due date moved from %(before)s to %(date)s.",
                name=person.name, before=before.isoformat(), date=due), "success")
    if done.unchanged:
        flash(_("%(names)s had this path already, due by %(date)s; nothing changed for them.",
                names=", ".join(p.name for p in done.unchanged), date=due), "success")
    return _to_path(path, "people")


@bp.post("/onboarding/paths/<int:path_id>/assignments/<int:assignment_id>/remove")
@require("build_paths")
def unassign(path_id: int, assignment_id: int):
    path = _path_or_404(path_id)
    valid_or_400(ButtonForm())
    on_refusal(lambda refusal: render_path(path, 400, {"assign": refusal.problems}))
    person = paths.unassign(path, assignment_id, current_user)
    flash(_("%(name)s no longer has this path.", name=person.name), "success")
    return _to_path(path, "people")


@bp.get("/onboarding/paths/<int:path_id>/progress")
@require("build_paths")
def progress_page(path_id: int):
    path = _path_or_404(path_id)
    return render_template("onboarding/progress.html", path=path, matrix=progress.matrix(path, clock.today()))


@bp.get("/onboarding/paths/<int:path_id>/progress.csv")
@require("build_paths")
def progress_csv(path_id: int):
    path = _path_or_404(path_id)
    text = export.matrix_csv(progress.matrix(path, clock.today()))
    filename = f"learning-path-{path.id}-progress-{clock.today().isoformat()}.csv"
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/onboarding/paths/<int:path_id>/handbook")
@require("read")
def handbook(path_id: int):
    path = _path_or_404(path_id)
    if not (current_user.can("build_paths") or paths.is_assigned(path, current_user)):
        abort(403, description=_("Only trainers and the people this path is assigned to may see its handbook."))
    items = progress.published_items([path.id])[path.id]
    revisions = reading.current_revisions([item.article_id for item in items])
    return render_template("onboarding/handbook.html", path=path, articles=[item.article for item in items],
                           revisions=revisions, today=clock.today())


@bp.post("/kb/articles/<int:article_id>/acknowledge")
@require("read")
def acknowledge(article_id: int):
    article = queries.visible_article(article_id, current_user) or abort(404)
    form = AcknowledgeForm()
    valid_or_400(form)
    on_refusal(lambda refusal: _not_acknowledged(article_id, refusal))
    reading.acknowledge(article, current_user, form.revision_number.data)
    flash(_("You confirmed that you read and understood revision %(n)s of %(title)s.",
            n=form.revision_number.data, title=article.title), "success")
    if paths.in_assigned_path(article_id, current_user):
        return redirect(url_for("onboarding.mine"), 303)
    return redirect(url_for("kb.article", article_id=article_id, slug=article.slug), 303)


def _not_acknowledged(article_id: int, refusal):
    for problem in refusal.problems:
        flash(problem, "warning")
    return redirect(url_for("kb.article", article_id=article_id, _anchor="acknowledge"), 303)
