"""Knowledge-base pages. Thin: validate, call kb.service, flash, redirect."""
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.auth import User, require
from core import audit, clock
from core.db import db
from core.errors import NotAllowed, on_refusal
from core.forms import show_refusal, valid_or_400
from core.markdown import rendering
from kb import categories, queries, service
from kb.diff import line_diff
from kb.feedback import service as feedback
from kb.forms import KCS_TEMPLATE, ArticleForm, CategoryForm, StateForm, VersionForm, kcs_template
from kb.labels import STATE_LABELS
from kb.models import Article, Category
from kb.search import log as search_log

bp = Blueprint("kb", __name__)


def _article_or_404(article_id: int) -> Article:
    article = queries.visible_article(article_id, current_user)
    if article is None:
        abort(404)
    return article


def _editable_or_404(article_id: int) -> Article:
    article = _article_or_404(article_id)
    if article.state == "archived":
        abort(404)
    return article



def _article_form(**kwargs) -> ArticleForm:
    owners = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
    return ArticleForm(categories=categories.all_categories(), owners=list(owners), **kwargs)


@bp.get("/")
def home():
    return render_template("kb/home.html", recent=queries.recently_updated(current_user),
                           popular=queries.most_used(current_user), roots=categories.roots())


@bp.get("/kb/categories/<int:category_id>")
def category(category_id: int):
    found = db.session.get(Category, category_id) or abort(404)
    return render_template("kb/category.html", category=found,
                           articles=queries.in_category(found, current_user))


@bp.route("/kb/categories", methods=["GET", "POST"])
@require("manage_categories")
def manage_categories():
    form = CategoryForm(categories=categories.all_categories())
    if form.validate_on_submit():
        parent = db.session.get(Category, form.parent_id.data) if form.parent_id.data else None
        on_refusal(lambda refusal: _categories_page(form, refusal))
        created = categories.create_category(form.name.data, parent, current_user)
        flash(_("Category %(path)s created.", path=created.path), "success")
        return redirect(url_for("kb.manage_categories"))
    return _categories_page(form)


def _categories_page(form: CategoryForm, refusal=None):
    if refusal:
        show_refusal(form, refusal)
    status = 400 if form.errors else 200
    return render_template("kb/categories.html", form=form, tree=categories.roots()), status


@bp.get("/kb/articles/<int:article_id>")
@bp.get("/kb/articles/<int:article_id>/<path:slug>")
def article(article_id: int, slug: str | None = None):
    found = _article_or_404(article_id)
    if found.state == "published":
        service.record_view(found)
    if re.fullmatch(search_log.TOKEN, request.args.get("from_search", "")):
        search_log.record_click(request.args["from_search"], found.id, current_user)
    return render_template("kb/article.html", article=found, actions=service.actions_for(found, current_user),
                           feedback=feedback.panel(found, current_user),
                           state_form=StateForm(base_version=found.version), today=clock.today(),
                           may_confirm_review=service.may_confirm_review(found, current_user))


@bp.route("/kb/articles/new", methods=["GET", "POST"])
@require("write_articles")
def new_article():
    form = _article_form()
    if request.method == "GET":
        form.owner_id.data = current_user.id
        if request.args.get("type", "knowledge_article") == "knowledge_article":
            form.body.data = KCS_TEMPLATE
        if request.args.get("issue"):  # "write an article for this" from a search that found nothing
            form.title.data = " ".join(request.args["issue"].split())[:200]
            form.body.data = kcs_template(issue=form.title.data)
    if form.validate_on_submit() and form.save.data:
        on_refusal(lambda refusal: _collision_page(form, None), service.SaveCollision)
        created = service.create_article(form.content(), current_user, form.note.data or "")
        flash(_("Draft saved."), "success")
        _warn_of_html_shown_as_text(form)
        return redirect(url_for("kb.article", article_id=created.id, slug=created.slug))
    return _editor_page(form, None)


@bp.route("/kb/articles/<int:article_id>/edit", methods=["GET", "POST"])
@require("write_articles")
def edit_article(article_id: int):
    found = _editable_or_404(article_id)
    form = _article_form(obj=found)
    if request.method == "GET":
        form.tags.data = ", ".join(found.tag_names)
        form.base_version.data = found.version
        form.note.data = ""
    if form.validate_on_submit() and form.save.data:
        if form.version() is None:
            form.base_version.errors = [_("The form lost its version; reload the article.")]
            return _editor_page(form, found)
        on_refusal(lambda refusal: _conflict_page(article_id, form), service.EditConflict)
        on_refusal(lambda refusal: _collision_page(form, db.session.get(Article, article_id)), service.SaveCollision)
        revised = service.revise_article(found, form.version(), form.content(), current_user,
                                         form.note.data or "", major=form.major.data)
        flash(_("Saved as revision %(n)s.", n=revised.number) if revised else _("Nothing changed."), "success")
        _warn_of_html_shown_as_text(form)
        return redirect(url_for("kb.article", article_id=found.id, slug=found.slug))
    return _editor_page(form, found)


def _editor_page(form: ArticleForm, found: Article | None):
    shown = rendering(form.body_text()) if request.method == "POST" and not form.body.errors else None
    status = 400 if form.errors else 200
    return render_template("kb/edit.html", form=form, article=found,
                           preview=shown.html if shown and form.preview.data else None,
                           html_shown_as_text=_html_shown_as_text(shown.shown_as_text) if shown else None), status


def _html_shown_as_text(tags: tuple[str, ...], most: int = 8) -> str | None:
    """The warning that HTML typed into the body is shown as text (the tags, as typed, the first few)."""
    if not tags:
        return None
    listed = ", ".join(tags[:most]) + (" …" if len(tags) > most else "")
    return _("Readers will see this HTML as text, as you typed it, not as markup: %(tags)s. To show code, "
             "put it between backticks, like `<b>`.", tags=listed)


def _warn_of_html_shown_as_text(form: ArticleForm) -> None:
    if warning := _html_shown_as_text(rendering(form.body_text()).shown_as_text):
        flash(warning, "warning")


def _collision_page(form: ArticleForm, found: Article | None):
    """Another save created the same slug or tag at this very moment: keep the text, ask to save again."""
    flash(_("Someone saved at the same moment and nothing of yours was saved yet. Your text is below: "
            "press Save again."), "warning")
    return render_template("kb/edit.html", form=form, article=found, preview=None), 409


def _conflict_page(article_id: int, form: ArticleForm):
    """Someone saved first: show both versions and keep every word the second editor typed."""
    db.session.rollback()
    current = db.session.get(Article, article_id)
    form.base_version.data = current.version
    diff = line_diff(current.body, form.body.data or "")
    return render_template("kb/conflict.html", form=form, article=current, diff=diff), 409


def _changed_meanwhile(article_id: int):
    """A one-button action on a page older than the article: show the article as it is now."""
    flash(_("The article changed while you were looking at it; check it and try again."), "warning")
    return redirect(url_for("kb.article", article_id=article_id)), 303


@bp.post("/kb/articles/<int:article_id>/state")
@require("write_articles")
def change_state(article_id: int):
    found = _article_or_404(article_id)
    form = StateForm()
    valid_or_400(form)
    if form.action.data not in service.ACTIONS:
        abort(400, description=_("Unknown action."))
    on_refusal(lambda refusal: _changed_meanwhile(article_id), service.EditConflict)
    service.change_state(found, form.action.data, form.base_version.data, current_user)
    flash(_("The article is now: %(state)s.", state=STATE_LABELS[found.state]), "success")
    return redirect(url_for("kb.article", article_id=found.id, slug=found.slug))


@bp.post("/kb/articles/<int:article_id>/reviewed")
@require("write_articles")
def confirm_reviewed(article_id: int):
    found = _article_or_404(article_id)
    form = VersionForm()
    valid_or_400(form)
    on_refusal(lambda refusal: _changed_meanwhile(article_id), service.EditConflict)
    next_review = service.confirm_reviewed(found, form.base_version.data, current_user, clock.today())
    flash(_("Review confirmed; the next review is due by %(date)s.", date=next_review.isoformat()), "success")
    if request.form.get("back") == "review":
        return redirect(url_for("kb.review"))
    return redirect(url_for("kb.article", article_id=found.id, slug=found.slug))


@bp.get("/kb/articles/<int:article_id>/history")
@require("read")
def history(article_id: int):
    found = _article_or_404(article_id)
    return render_template("kb/history.html", article=found, timeline=audit.trail("article", found.id))


@bp.get("/kb/articles/<int:article_id>/diff")
@require("read")
def diff(article_id: int):
    found = _article_or_404(article_id)
    newest = len(found.revisions)
    a, b = request.args.get("a", newest - 1, type=int), request.args.get("b", newest, type=int)
    old, new = (queries.revision(found, n) if 0 < n <= newest else None for n in (a, b))
    if old is None or new is None:
        abort(400, description=_("Choose two revisions between 1 and %(n)s.", n=newest))
    return render_template("kb/diff.html", article=found, old=old, new=new,
                           title_diff=line_diff(old.title, new.title),
                           summary_diff=line_diff(old.summary, new.summary),
                           body_diff=line_diff(old.body, new.body))


@bp.post("/kb/articles/<int:article_id>/revisions/<int:number>/restore")
@require("write_articles")
def restore(article_id: int, number: int):
    found = _editable_or_404(article_id)
    form = VersionForm()
    valid_or_400(form)
    on_refusal(lambda refusal: _back_to_history(article_id, str(refusal)), NotAllowed)
    on_refusal(lambda refusal: _back_to_history(article_id, _("The article changed while you were looking at it; "
                                                               "check the history and try again.")),
               service.EditConflict)
    restored = service.restore_revision(found, number, form.base_version.data, current_user)
    flash(_("Revision %(old)s restored as revision %(new)s.", old=number, new=restored.number), "success")
    return redirect(url_for("kb.article", article_id=found.id, slug=found.slug))


def _back_to_history(article_id: int, message: str):
    flash(message, "warning")
    return redirect(url_for("kb.history", article_id=article_id))


@bp.get("/kb/review")
@require("write_articles")
def review():
    today = clock.today()
    return render_template("kb/review.html", due=queries.due_for_review(current_user, today), today=today,
                           awaiting=queries.awaiting_review(), may_confirm=service.may_confirm_review)
