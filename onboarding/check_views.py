"""Knowledge-check pages: take an article's check, and (trainers) write it. Thin: parse, call
kb.onboarding.checks, flash, redirect."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.auth import require
from core.errors import on_refusal
from kb import queries
from onboarding import checks
from onboarding.check_forms import CheckEditForm, CheckTakeForm, choice_slots, parse_answers, parse_draft

bp = Blueprint("checks", __name__)


@bp.app_template_global()
def check_summary(article_id: int, user) -> checks.CheckSummary:
    """For the article page: is there a check, may this user edit it, has this user passed it."""
    return checks.summary(article_id, user)


def _article_or_404(article_id: int):
    return queries.visible_article(article_id, current_user) or abort(404)


def _back(article):
    return redirect(url_for("kb.article", article_id=article.id, slug=article.slug), 303)


@bp.route("/kb/articles/<int:article_id>/check", methods=["GET", "POST"])
@require("read")
def take(article_id: int):
    article = _article_or_404(article_id)
    questions = checks.questions_for(article.id)
    if not questions:
        abort(404, description=_("This article has no knowledge check."))
    form = CheckTakeForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, description=_("The request was incomplete; reload the page and try again."))
        answers = parse_answers(request.form)  # forged choices: a 400 (onboarding.check_forms.BadAnswers)
        # ticks given to other questions must not show on these
        on_refusal(lambda refusal: _check_page(article, form, {} if isinstance(refusal, checks.AnswersChanged)
                                               else answers, refusal.problems))
        result = checks.grade(article, current_user, answers, seen=form.check.data or "")
        _flash_result(result)
        return redirect(url_for("checks.take", article_id=article.id), 303)
    return _check_page(article, form)


def _check_page(article, form: CheckTakeForm, answers: dict | None = None, problems: list | None = None):
    questions = checks.questions_for(article.id)
    form.check.data = checks.fingerprint(questions)
    return render_template("onboarding/check.html", article=article, questions=questions, form=form,
                           answers=answers or {}, problems=problems or [],
                           summary=checks.summary(article.id, current_user)), 400 if problems else 200


def _flash_result(result: checks.CheckResult) -> None:
    if result.passed:
        flash(_("Passed: all %(total)s answers are right.", total=result.total), "success")
        return
    flash(_("Not passed: %(correct)s of %(total)s answers are right. Re-read the article, then try again.",
            correct=result.correct, total=result.total), "warning")
    for number, text in result.wrong:
        flash(_("Re-read for question %(n)s: %(text)s", n=number, text=text), "warning")


@bp.route("/kb/articles/<int:article_id>/check/edit", methods=["GET", "POST"])
@require("build_paths")
def edit(article_id: int):
    article = _article_or_404(article_id)
    form = CheckEditForm()
    saved = checks.questions_for(article.id)
    problems = []
    if request.method == "GET":
        draft, form.base.data = checks.as_draft(saved), checks.fingerprint(saved)
    else:
        if not form.validate_on_submit():
            abort(400, description=_("The request was incomplete; reload the page and try again."))
        draft = parse_draft(request.form)
        if "more" not in request.form:
            on_refusal(lambda refusal: _edit_page(article, form, draft, refusal.problems))
            on_refusal(lambda refusal: _edit_page(article, form, draft, refusal.problems, rebase=True),
                       checks.CheckChanged)  # registered last, so it is tried first
            changed = checks.save_check(article, draft, current_user, base=form.base.data or "")
            flash(_("Nothing changed.") if changed is None else
                  _("Knowledge check saved: %(n)s questions.", n=len(changed)) if changed else
                  _("Knowledge check removed."), "success")
            return _back(article)
    return _edit_page(article, form, draft, problems)


def _edit_page(article, form: CheckEditForm, draft, problems: list, rebase: bool = False):
    """The check editor with what the trainer typed; `rebase`: the check was saved meanwhile, so the next
    save is based on the saved one."""
    if rebase:
        form.base.data = checks.fingerprint(checks.questions_for(article.id))
    blank = form.blank_slots(len(draft), more="more" in request.form)
    form.blank.data = str(blank)
    slots = [(text, choice_slots(choices)) for text, choices in draft] + [("", choice_slots([]))] * blank
    return render_template("onboarding/check_edit.html", article=article, form=form, slots=slots,
                           problems=problems, max_questions=checks.MAX_QUESTIONS), 400 if problems else 200
