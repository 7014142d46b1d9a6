"""The improvement register's parts on kb's pages, registered as kb's hooks so that kb never imports us:
- on an article's page, the improvements that link it;
- beside each row of evidence on content health and the flag queue (a flag, an article's unhelpful answers,
  a search that keeps finding nothing) "Open an improvement", or the improvement already open for it, and
  the action itself, which opens the improvement in Plan;
- on content health, the funnel plots of helpfulness and flags (improvement.knowledge);
- at the end of an article's page, for its owner, its weekly helpfulness chart with its revisions marked."""
from flask import Blueprint, Flask, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from accounts.auth import require
from core import hooks
from core.forms import form_problem
from improvement import knowledge, service
from kb.feedback import evidence
from kb.feedback.forms import EvidenceForm

bp = Blueprint("improvement_evidence", __name__)


def evidence_actions(rows: list[tuple]) -> dict[str, Markup]:
    """{origin: HTML} for rows of (kind, ref, origin), for those who may run improvements."""
    if not current_user.can("run_improvements"):
        return {}
    already = service.open_for_origins([origin for _kind, _ref, origin in rows])
    return {origin: Markup(render_template("improvement/_evidence_action.html", kind=kind, ref=ref,
                                           open=already.get(origin)))
            for kind, ref, origin in rows}


@bp.post("/kb/health/improvement")
@require("run_improvements")
def open_improvement():
    form = EvidenceForm()
    if not form.validate_on_submit():
        abort(400, description=form_problem(form))
    found = evidence.find(form.kind.data, form.ref.data.strip(), current_user)
    already = service.open_for_origins([found.origin]).get(found.origin)
    improvement = already or service.open_from_evidence(
        found.title, found.problem, found.source, found.origin, found.evidence, current_user, found.article_ids)
    if already:
        flash(_("An improvement opened from this evidence is open already: here it is."), "success")
    else:
        flash(_("Improvement opened in Plan, with the evidence and the article linked."), "success")
    return redirect(url_for("improvement.page", improvement_id=improvement.id), 303)


def article_links(article) -> str:
    """On an article's page: the improvements that link it (for people who are logged in)."""
    if not current_user.is_authenticated:
        return ""
    linked = service.improvements_for_article(article.id)
    return render_template("improvement/_article_links.html", improvements=linked) if linked else ""


def content_health_funnels() -> str:
    """On content health: the funnel plots, the articles above their limits named in a table."""
    found = knowledge.health_funnels()
    charts = {
        "helpfulness": knowledge.funnel_chart(found.helpfulness, found.articles,
                                              _("Share of answers that said it did not help"), 100, "%",
                                              _("Answers to “Did this help?”")),
        "flags": knowledge.funnel_chart(found.flags, found.articles, _("Flags per 1,000 views"), 1000,
                                        _("per 1,000 views"), _("Views")),
    }
    above = {"helpfulness": found.above(found.helpfulness), "flags": found.above(found.flags)}
    rows = [("votes", str(u.key), evidence.votes_origin(u.key)) for u in above["helpfulness"]]
    return render_template("improvement/_funnels.html", funnels=found, charts=charts, above=above,
                           actions=evidence_actions(rows))


def article_helpfulness(article) -> str:
    """At the end of an article's page, for its owner only: its weekly helpfulness chart."""
    if not current_user.is_authenticated or current_user.id != article.owner_id:
        return ""
    chart, notes = knowledge.helpfulness_chart(article)
    return render_template("improvement/_article_helpfulness.html", chart=chart, notes=notes) if chart else ""


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    hooks.register(app, "evidence-actions", evidence_actions)
    hooks.register(app, "article-header", article_links)
    hooks.register(app, "content-health", content_health_funnels)
    hooks.register(app, "article-end", article_helpfulness)
