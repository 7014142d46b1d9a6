"""JSON API for the tools staff work in: search, an article with its rendered HTML, and reuse (a ticket
linked to the article that solved it).

Authenticated by the session or a personal API token (core.api); the same visibility as the pages.
"""
from flask import Blueprint, current_app, jsonify, request, url_for
from flask_login import current_user

from core.api import api_error, api_require, json_body, register_json_errors
from core.openapi import BOOLEAN, DATE, INTEGER, NUMBER, STRING, URL, array, describe, nullable, obj, one_of
from kb import queries
from kb.feedback import service as feedback
from kb.models import ARTICLE_TYPES, AUDIENCES, LANGUAGES, STATES
from kb.search import SORTS
from kb.search import log as search_log
from kb.search import request as search_request

bp = Blueprint("kb_api", __name__, url_prefix="/api/v1")
register_json_errors(bp)
TAG = "Knowledge base"
TYPE, LANGUAGE, STATE = one_of(*ARTICLE_TYPES), one_of(*LANGUAGES), one_of(*STATES)
DIGITS = {**STRING, "pattern": "^[0-9]*$"}
LOCAL_TIME = {"type": "string", "description": "ISO 8601 date and time in UTC, without an offset"}
HIT = obj(id=INTEGER, title=STRING, url=URL, snippet={**STRING, "description": "HTML: the matched words in <mark>"},
          score=NUMBER, type=TYPE, language=LANGUAGE, state=STATE, category=nullable(INTEGER), updated=LOCAL_TIME)
SEARCH = obj(query=STRING, total=INTEGER, page=INTEGER, pages=INTEGER, did_you_mean=nullable(STRING),
             total_capped={**BOOLEAN, "description": "more pages match than `total` counted (SEARCH_MATCH_CAP)"},
             any_word=BOOLEAN, millis=NUMBER, hits=array(HIT),
             facets={"type": "object", "additionalProperties": array(obj(value={"type": ["string", "integer"]},
                                                                         count=INTEGER))})
REUSE = obj(article=INTEGER, counted=BOOLEAN, reuse_count=INTEGER)
ARTICLE = obj(id=INTEGER, title=STRING, slug=STRING, url=URL, type=TYPE, state=STATE, summary=STRING,
              language=LANGUAGE, audience=one_of(*AUDIENCES), category=STRING, tags=array(STRING), owner=STRING,
              version=INTEGER, body={**STRING, "description": "Markdown, as the author wrote it"},
              html={**STRING, "description": "the body rendered and sanitised, as the article page shows it"},
              review_by=nullable(DATE), updated=LOCAL_TIME)


def _article_url(article_id: int, slug: str) -> str:
    return url_for("kb.article", article_id=article_id, slug=slug, _external=True)


@bp.get("/search")
@describe("Search the articles the caller may see, as the search page does (every search is logged)", tag=TAG,
          answers={200: ("One page of hits, with facets", SEARCH)}, refusals=(400,),
          query={"q": STRING, "type": one_of("", *ARTICLE_TYPES), "lang": one_of("", *LANGUAGES),  # "": any
                 "category": DIGITS, "tag": STRING, "sort": one_of(*SORTS), "page": DIGITS})
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
@describe("One article the caller may see, with its Markdown and its rendered HTML", tag=TAG,
          answers={200: ("The article", ARTICLE)}, refusals=(404,))
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
@describe("Count one reuse of a published article (a ticket it solved); the same reference again counts once",
          tag=TAG, refusals=(404,),
          body=obj(("reference",), reference=nullable({**STRING, "maxLength": feedback.MAX_REFERENCE,
                                                       "pattern": r"^[^\u0000]*$"})),
          answers={201: ("Counted", REUSE), 200: ("Not counted again: this reference was counted before", REUSE)})
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
    if not isinstance(reference, str) or len(reference.strip()) > feedback.MAX_REFERENCE or "\x00" in reference:
        return api_error(400, f"The reference must be text of at most {feedback.MAX_REFERENCE} characters, "
                              "without NUL characters.")
    counted = feedback.record_reuse(found, current_user, "api", reference)
    return jsonify({"article": found.id, "counted": counted, "reuse_count": feedback.reuse_count(found)}), \
        201 if counted else 200
