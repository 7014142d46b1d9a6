"""Feedback pages: vote, flag, 'this solved it', the flag queue, my flags, content health, and beside the
evidence what other packages offer beside the evidence (the "evidence-actions" hook). Thin: validate, call
kb.feedback, flash, redirect."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from accounts.auth import require
from core import clock, hooks
from core.db import utcnow
from core.errors import Invalid, on_refusal
from core.forms import form_problem, valid_or_400
from kb import queries, service
from kb.feedback import evidence
from kb.feedback import health as content_health
from kb.feedback import service as feedback
from kb.feedback.forms import FlagForm, ResolveForm, VoteForm
from kb.models import Article

bp = Blueprint("feedback", __name__)


def _published_or_404(article_id: int) -> Article:
    article = queries.visible_article(article_id, current_user)
    if article is None or article.state != "published":
        abort(404)
    return article


def _to_article(article: Article):
    return redirect(url_for("kb.article", article_id=article.id, slug=article.slug, _anchor="feedback"), 303)


@bp.post("/kb/articles/<int:article_id>/vote")
@require("read")
def vote(article_id: int):
    article = _published_or_404(article_id)
    form = VoteForm()
    if not form.validate_on_submit():
        abort(400, description=form_problem(form))
    feedback.vote(article, current_user, form.helpful.data == "yes", form.comment.data or "")
    flash(_("Thank you: your answer is recorded."), "success")
    return _to_article(article)


@bp.route("/kb/articles/<int:article_id>/flag", methods=["GET", "POST"])
@require("read")
def flag(article_id: int):
    article = _published_or_404(article_id)
    form = FlagForm()
    if form.validate_on_submit():
        on_refusal(lambda refusal: _flag_page(article, form, refusal))
        feedback.flag(article, current_user, form.reason.data, form.comment.data or "")
        flash(_("Flag sent to %(owner)s, who owns the article. You will see the outcome under My flags.",
                owner=article.owner.name), "success")
        return _to_article(article)
    return _flag_page(article, form)


def _flag_page(article: Article, form: FlagForm, refusal=None):
    if refusal:
        form.form_errors.extend(refusal.problems)
    status = 400 if form.errors else 200
    return render_template("kb/feedback/flag.html", article=article, form=form), status


@bp.post("/kb/articles/<int:article_id>/solved")
@require("read")
def solved(article_id: int):
    article = _published_or_404(article_id)
    valid_or_400(FlaskForm())
    if feedback.mark_solved(article, current_user):
        flash(_("Counted: this article solved a case."), "success")
    else:
        flash(_("Counted already a moment ago."), "success")
    return _to_article(article)


def _queue_page(status: int = 200, failed: int | None = None, problems: list[str] | None = None):
    flags = feedback.queue(current_user)
    rows = [("flag", f.id, evidence.flag_origin(f.id)) for f in flags]
    return render_template("kb/feedback/flags.html", flags=flags, newer={f.id: feedback.newer_revisions(f) for f in flags},
                           failed=failed, problems=problems or [], sent=request.form, flag_origin=evidence.flag_origin,
                           evidence_actions=_evidence_actions(rows)), status


def _evidence_actions(rows: list[tuple]) -> dict:
    """What other packages offer beside each row of evidence ({origin: HTML}), e.g. "open an improvement"."""
    actions = {}
    for offered in hooks.results("evidence-actions", rows):
        actions.update(offered)
    return actions


@bp.get("/kb/flags")
@require("write_articles")
def queue():
    return _queue_page()


@bp.post("/kb/flags/<int:flag_id>/resolve")
@require("write_articles")
def resolve(flag_id: int):
    found = feedback.find_flag(flag_id) or abort(404)
    if not feedback.may_resolve(found, current_user):
        abort(403, description=_("Only the article's owner or a publisher can resolve this flag."))
    form = ResolveForm()
    if not form.validate_on_submit():
        return _queue_page(400, found.id, [form_problem(form)])
    on_refusal(lambda refusal: _queue_page(400, found.id, refusal.problems), Invalid)
    on_refusal(lambda refusal: _already_resolved(refusal), feedback.AlreadyResolved)
    feedback.resolve_flag(found, current_user, form.outcome.data, form.revision_number(), form.note.data or "",
                          seen_version=form.seen_version())
    who = found.flagged_by.name if found.flagged_by else _("the person who flagged it")
    if found.status == "fixed":
        flash(_("Flag resolved: fixed in revision %(n)s. %(who)s will see it.", n=found.fixed_in_revision, who=who),
              "success")
    else:
        flash(_("Flag dismissed. %(who)s will see your reason.", who=who), "success")
    return redirect(url_for("feedback.queue"), 303)


def _already_resolved(refusal):
    flash(str(refusal), "warning")
    return _queue_page(409)


@bp.get("/kb/flags/mine")
@require("read")
def mine():
    return render_template("kb/feedback/my_flags.html", flags=feedback.my_flags(current_user))


@bp.get("/kb/health")
@require("see_content_health")
def health():
    found = content_health.overview(clock.today(), utcnow())
    rows = ([("flag", f.id, evidence.flag_origin(f.id)) for f in found["open_flags"]]
            + [("votes", row.article.id, evidence.votes_origin(row.article.id)) for row in found["least_helpful"]]
            + [("search", row.query, evidence.search_origin(row.query)) for row in found["zero_searches"]])
    return render_template("kb/feedback/health.html", today=clock.today(), **found,
                           evidence_actions=_evidence_actions(rows),
                           flag_origin=evidence.flag_origin, votes_origin=evidence.votes_origin,
                           search_origin=evidence.search_origin, may_confirm=service.may_confirm_review)
