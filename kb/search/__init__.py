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
