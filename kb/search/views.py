"""The search pages: results (work without JavaScript), title suggestions, and the search report (with the
synonym candidates and the searches that found nothing then but find articles now)."""
from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_login import current_user

from accounts.auth import require
from kb import categories, search
from kb.search import log as search_log
from kb.search import request as search_request
from kb.search.synonyms import suggestions

bp = Blueprint("search", __name__)


@bp.get("/search")
def results():
    wanted = search_request.read(request.args)
    found = search_request.run(wanted, current_user, current_app.config["SEARCH_PAGE_SIZE"])
    log_token = None
    if wanted.page == 1:  # turning pages is the same search, counted once
        log_token = search_log.record(found.text, wanted.filters.describe(), found.total, found.millis, current_user)
    return render_template("kb/search/results.html", q=found.text, wanted=wanted, results=found,
                           log_token=log_token, category_names=categories.names_by_id(),
                           link=_linker(found.text, wanted))


def _linker(text: str, wanted: search_request.SearchRequest):
    """link(change) -> this search's URL with `change` applied (a facet, a page, the sort): one url_for per
    page, not one per facet value (a page has dozens of these links)."""
    base = url_for("search.results")
    current = {**wanted.filters.as_args(), "q": text, "sort": wanted.sort}

    def link(change: dict) -> str:
        args = {k: v for k, v in {**current, **change}.items() if v is not None}
        return f"{base}?{urlencode(args)}"
    return link


@bp.get("/search/suggest")
def suggest():
    """Article titles for what is being typed, for the search box's list (JSON)."""
    titles = search.suggest_titles(request.args.get("q", ""), current_user)
    return jsonify([{"title": t["title"], "url": url_for("kb.article", article_id=t["id"], slug=t["slug"])}
                    for t in titles])


@bp.get("/search/report")
@require("see_search_report")
def report():
    days = request.args.get("days", "30")
    days = int(days) if days.isascii() and days.isdigit() and 1 <= int(days) <= 3650 else 30
    found = search_log.report(days)
    return render_template("kb/search/report.html", report=found, days=days,
                           solved=suggestions.found_now(row.query for row in found.zero),
                           candidates=suggestions.candidates(days))
