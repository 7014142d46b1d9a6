"""The search pages: results (work without JavaScript), title suggestions, and the search report (with the
synonym candidates and the searches that found nothing then but find articles now)."""
from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_login import current_user

from accounts.auth import require
from kb import categories, search
from kb.labels import TYPE_LABELS
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
    return render_template("kb/search/results.html", q=found.text, wanted=wanted, filter_args=wanted.filters.as_args(),
                           results=found, log_token=log_token, category_names=categories.names_by_id(),
                           link=_linker(found.text, wanted), hit_links=_hit_links(found.hits, log_token),
                           type_names=_type_names(found.hits))


def _hit_links(hits: list[search.Hit], log_token: str | None) -> dict[int, str]:
    """Each hit's address (with the search's token, so that opening it counts as this search's click), built
    here: the same url_for called from the template cost about twice as much, ten times a page."""
    return {hit.id: url_for("kb.article", article_id=hit.id, slug=hit.slug, from_search=log_token) for hit in hits}


def _type_names(hits: list[search.Hit]) -> dict[str, str]:
    """The hits' article types in the reader's language, each translated once a page, not once a hit."""
    return {kind: str(TYPE_LABELS.get(kind, kind)) for kind in {hit.type for hit in hits}}


def _linker(text: str, wanted: search_request.SearchRequest):
    """link(change) -> this search's URL with `change` applied (a facet, a page, the sort): one url_for per
    page, not one per facet value (a page has dozens of these links), and this search's own arguments encoded
    once, not once a link: the same query string as urlencode() of the whole, pair by pair, in the same order."""
    base = url_for("search.results")
    current = {**wanted.filters.as_args(), "q": text, "sort": wanted.sort}
    encoded = {k: _pair(k, v) for k, v in current.items()}

    def link(change: dict) -> str:
        pairs = {**encoded, **{k: _pair(k, v) for k, v in change.items()}}
        return f"{base}?{'&'.join(pair for pair in pairs.values() if pair is not None)}"
    return link


def _pair(name: str, value) -> str | None:
    return None if value is None else urlencode({name: value})


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
