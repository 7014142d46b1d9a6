"""Search: text analysis (English and Chinese), query parsing, the Whoosh index and its sync with the
database, running a search, the search log and report, pages and commands.

`kb.search.search(...)` is the one way to run a search."""
from kb.search.run import SORTS, Filters, Hit, Results, matching_ids, search, suggest_titles

__all__ = ["SORTS", "Filters", "Hit", "Results", "init_app", "matching_ids", "search", "suggest_titles"]


def init_app(app) -> None:
    from core import hooks
    from core.db import db
    from kb.search import cli, index, log, views
    from kb.search.synonyms import views as synonym_views
    index.listen(db.session.session_factory)
    log.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(synonym_views.bp)
    app.cli.add_command(cli.group)
    hooks.register(app, "database-restored", index.rebuilt_message)
    app.after_request(_say_if_stale)


SEARCH_ENDPOINTS = {"search.results", "search.suggest", "kb_api.search"}


def _say_if_stale(response):
    """A search answered from an index that is behind the database (a host catching up after a start or a
    long absence) says so: `X-Search-Stale: <changes not yet applied>`."""
    from flask import current_app, request

    from kb.search import index
    if request.endpoint in SEARCH_ENDPOINTS:
        try:
            behind = index.behind()
        except Exception:  # the database is away: the search answered all the same
            current_app.logger.warning("could not tell whether the search index is behind", exc_info=False)
            return response
        if behind:
            response.headers["X-Search-Stale"] = f"{behind} changes not yet applied"
    return response
