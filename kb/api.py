"""JSON API for the tools staff work in: search, an article with its rendered HTML, and reuse (a ticket
linked to the article that solved it).

Authenticated by the session or a personal API token (core.api); the same visibility as the pages.
"""
from flask import Blueprint, current_app, jsonify, request, url_for
from flask_login import current_user

from core.api import api_error, api_require, json_body, register_json_errors
from kb import queries
from kb.feedback import service as feedback
from kb.search import log as search_log
from kb.search import request as search_request

bp = Blueprint("kb_api", __name__, url_prefix="/api/v1")
register_json_errors(bp)


def _article_url(article_id: int, slug: str) -> str:
    return url_for("kb.article", article_id=article_id, slug=slug, _external=True)


@bp.get("/search")
@api_require("read")
def search():
    wanted = search_request.read(request.args)
    if wanted.problems:
        return api_error(400, " ".join(wanted.problems))
    found = search_request.run(wanted, current_user, current_app.config["SEARCH_PAGE_SIZE"])
    search_log.record(found.text, wanted.filters.describe(), found.total, found.millis, current_user, source="api")
    return jsonify({
        "query": found.text, "total": found.total, "total_capped": found.capped, "page": found.page, "pages": found.pages,
        "did_you_mean": found.did_you_mean or None, "any_word": found.any_word, "millis": round(found.millis, 2),
        "hits": [{"id": h.id, "title": h.title, "url": _article_url(h.id, h.slug),
                  "snippet": str(h.snippet), "score": h.score, "type": h.type, "language": h.language,
                  "state": h.state, "category": h.category, "updated": h.updated.isoformat()}
                 for h in found.hits],
        "facets": {name: [{"value": value, "count": count} for value, count in counts]
                   for name, counts in found.facets.items()},
    })


@bp.get("/articles/<int:article_id>")
@api_require("read")
def article(article_id: int):
    found = queries.visible_article(article_id, current_user)
    if found is None:
        return api_error(404, "There is no article with this id that you may see.")
    return jsonify({
        "id": found.id, "title": found.title, "slug": found.slug, "url": _article_url(found.id, found.slug),
        "type": found.type, "state": found.state, "summary": found.summary, "language": found.language,
        "audience": found.audience, "category": found.category.path, "tags": found.tag_names,
        "owner": found.owner.username, "version": found.version, "body": found.body, "html": found.body_html,
        "review_by": found.review_by.isoformat() if found.review_by else None,
        "updated": found.updated_at.isoformat(),
    })


@bp.post("/articles/<int:article_id>/reuse")
@api_require("read")
def reuse(article_id: int):
    """Body (optional): {"reference": "TICKET-123"}. Counts one reuse; the same reference again counts once."""
    found = queries.visible_article(article_id, current_user)
    if found is None or found.state != "published":
        return api_error(404, "There is no published article with this id that you may see.")
    body = json_body() if request.get_data() else {}
    if not isinstance(body, dict):
        return api_error(400, 'Send no body, or JSON: {"reference": "TICKET-123"}.')
    reference = body.get("reference", "")
    if reference is None:
        reference = ""
    if not isinstance(reference, str) or len(reference.strip()) > feedback.MAX_REFERENCE:
        return api_error(400, f"The reference must be text of at most {feedback.MAX_REFERENCE} characters.")
    counted = feedback.record_reuse(found, current_user, "api", reference)
    return jsonify({"article": found.id, "counted": counted, "reuse_count": feedback.reuse_count(found)}), \
        201 if counted else 200
