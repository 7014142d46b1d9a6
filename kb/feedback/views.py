"""Feedback pages: vote, flag, 'this solved it', the flag queue, my flags, content health, and opening an
improvement from the evidence. Thin: validate, call kb.feedback (or improvement.service), flash, redirect."""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from accounts.auth import require
from core.forms import valid_or_400
from core.db import utcnow
from improvement import service as improvement_service
from kb.feedback import evidence, service as feedback
from kb import queries, service
from kb.feedback import health as content_health
from kb.feedback.forms import EvidenceForm, FlagForm, ResolveForm, VoteForm, for_templates
from kb.models import Article

bp = Blueprint("feedback", __name__)
bp.record_once(lambda state: state.app.jinja_env.globals.update(for_templates()))


def _published_or_404(article_id: int) -> Article:
    article = queries.visible_article(article_id, current_user)
    if article is None or article.state != "published":
        abort(404)
    return article


def _to_article(article: Article):
    return redirect(url_for("kb.article", article_id=article.id, slug=article.slug, _anchor="feedback"), 303)


def _form_problem(form) -> str:
    if "csrf_token" in form.errors:
        return _("The request was incomplete; reload the page and try again.")
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@bp.post("/kb/articles/<int:article_id>/vote")
@require("read")
def vote(article_id: int):
    article = _published_or_404(article_id)
    form = VoteForm()
    if not form.validate_on_submit():
        abort(400, description=_form_problem(form))
    try:
        feedback.vote(article, current_user, form.helpful.data == "yes", form.comment.data or "")
    except feedback.Invalid as problem:
        abort(400, description=str(problem))
    flash(_("Thank you: your answer is recorded."), "success")
    return _to_article(article)


@bp.route("/kb/articles/<int:article_id>/flag", methods=["GET", "POST"])
@require("read")
def flag(article_id: int):
    article = _published_or_404(article_id)
    form = FlagForm()
    if form.validate_on_submit():
        try:
            feedback.flag(article, current_user, form.reason.data, form.comment.data or "")
        except feedback.Invalid as problem:
            form.form_errors.append(str(problem))
        else:
            flash(_("Flag sent to %(owner)s, who owns the article. You will see the outcome under My flags.",
                    owner=article.owner.name), "success")
            return _to_article(article)
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
    origins = [evidence.flag_origin(f.id) for f in flags]
    return render_template("kb/feedback/flags.html", flags=flags, newer={f.id: feedback.newer_revisions(f) for f in flags},
                           failed=failed, problems=problems or [], sent=request.form, flag_origin=evidence.flag_origin,
                           improvements=improvement_service.open_for_origins(origins)), status


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
        return _queue_page(400, found.id, [_form_problem(form)])
    try:
        feedback.resolve_flag(found, current_user, form.outcome.data, form.revision_number(), form.note.data or "",
                              seen_version=form.seen_version())
    except service.NotAllowed as refusal:
        abort(403, description=str(refusal))
    except feedback.AlreadyResolved as refusal:
        flash(str(refusal), "warning")
        return _queue_page(409)
    except feedback.Invalid as problem:
        return _queue_page(400, found.id, [str(problem)])
    who = found.flagged_by.name if found.flagged_by else _("the person who flagged it")
    if found.status == "fixed":
        flash(_("Flag resolved: fixed in revision %(n)s. %(who)s will see it.", n=found.fixed_in_revision, who=who),
              "success")
    else:
        flash(_("Flag dismissed. %(who)s will see your reason.", who=who), "success")
    return redirect(url_for("feedback.queue"), 303)


@bp.get("/kb/flags/mine")
@require("read")
def mine():
    return render_template("kb/feedback/my_flags.html", flags=feedback.my_flags(current_user))


@bp.get("/kb/health")
@require("see_content_health")
def health():
    found = content_health.overview(date.today(), utcnow())
    origins = ([evidence.flag_origin(f.id) for f in found["open_flags"]]
               + [evidence.votes_origin(row.article.id) for row in found["least_helpful"]]
               + [evidence.search_origin(row.query) for row in found["zero_searches"]])
    return render_template("kb/feedback/health.html", today=date.today(), **found,
                           improvements=improvement_service.open_for_origins(origins),
                           flag_origin=evidence.flag_origin, votes_origin=evidence.votes_origin,
                           search_origin=evidence.search_origin, may_confirm=service.may_confirm_review)



def _evidence_or_400(kind: str, ref: str) -> evidence.Evidence:
    number = int(ref) if ref.isascii() and ref.isdigit() and len(ref) < 10 else None
    if kind == "flag":
        found = feedback.find_flag(number) if number else None
        if found is None:
            abort(404)
        return evidence.from_flag(found)
    if kind == "votes":
        article = _published_or_404(number) if number else abort(404)
        return evidence.from_votes(article) or abort(400, description=_("Nobody said this article did not help."))
    times = content_health.zero_result_count(ref)
    if not times:
        abort(400, description=_("This search did not come up empty in the last %(days)s days.",
                                 days=content_health.SEARCH_DAYS))
    return evidence.from_search(ref, times)


@bp.post("/kb/health/improvement")
@require("run_improvements")
def open_improvement():
    form = EvidenceForm()
    if not form.validate_on_submit():
        abort(400, description=_form_problem(form))
    found = _evidence_or_400(form.kind.data, form.ref.data.strip())
    already = improvement_service.open_for_origins([found.origin]).get(found.origin)
    improvement = already or improvement_service.open_from_evidence(
        found.title, found.problem, found.source, found.origin, found.evidence, current_user, found.article_ids)
    if already:
        flash(_("An improvement opened from this evidence is open already: here it is."), "success")
    else:
        flash(_("Improvement opened in Plan, with the evidence and the article linked."), "success")
    return redirect(url_for("improvement.page", improvement_id=improvement.id), 303)

