"""The knowledge base: articles, their lifecycle and revisions, categories and tags, import and export,
pages and the JSON API; kb.search and kb.feedback below it. Uses core and accounts; other packages show
their parts on kb's pages through core.hooks ("article-header", "article-end", "evidence-actions", "content-health")."""
from flask import Flask


def init_app(app: Flask) -> None:
    from core.web import csrf
    from kb import api, cli, feedback, search, views
    from kb.labels import for_templates
    app.jinja_env.globals.update(for_templates())
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # core.api checks the CSRF header itself for session-authenticated writes
    app.cli.add_command(cli.group)
    search.init_app(app)
    feedback.init_app(app)
